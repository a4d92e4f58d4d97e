"""The LLM reviser through the model layer (real openai SDK against a local fake Responses API)."""

from __future__ import annotations

import json

import pytest
from fakes.openai_fake import FakeOpenAI
from fakes.server import serve
from test_revision import PROMPT, _report

from worlddirector.config import get_settings
from worlddirector.llm import LLMError
from worlddirector.revision import revise

KEY = "sk-caller-revision-0123456789abcd"


@pytest.fixture
def fake(monkeypatch):
    f = FakeOpenAI()
    with serve(f.app()) as url:
        monkeypatch.setenv("OPENAI_BASE_URL", url + "/v1")
        get_settings.cache_clear()
        yield f
    get_settings.cache_clear()


def test_llm_rephrases_the_rule_edits_with_structured_output(fake):
    revised = PROMPT + ". Every crate rests firmly on the floor and nothing floats."
    fake.replies.append(
        json.dumps(
            {
                "revised_prompt": revised,
                "changes": [
                    {
                        "edit": "every crate rests firmly on the floor and nothing floats",
                        "reason": "crates floated",
                        "violation_ids": ["v000"],
                    }
                ],
            }
        )
    )
    rev = revise(
        PROMPT, original_prompt=PROMPT, report=_report("floating"), analysis=None, llm="openai", api_key=KEY
    )
    assert rev.reviser == "llm:openai"
    assert rev.revised_prompt == revised
    assert rev.changes[0].violation_ids == ["v000"] and rev.changes[0].reason == "crates floated"
    assert any(o.op == "insert" for o in rev.diff)
    # the model saw the evidence and the rule edits it may rephrase
    sent = json.dumps(fake.requests[-1]["body"])
    assert "floating" in sent and "objects rest firmly on the floor" in sent and "v000" in sent
    assert fake.seen_auth[-1] == f"Bearer {KEY}"
    assert KEY not in rev.model_dump_json()


def test_llm_prompt_that_loses_the_users_intent_is_not_used(fake):
    fake.replies.append(
        json.dumps(
            {
                "revised_prompt": "A sailing boat drifts across a calm lake at dawn.",
                "changes": [{"edit": "a boat instead", "reason": "why not", "violation_ids": []}],
            }
        )
    )
    rev = revise(
        PROMPT, original_prompt=PROMPT, report=_report("floating"), analysis=None, llm="openai", api_key=KEY
    )
    assert rev.reviser == "rules"
    assert rev.revised_prompt.startswith(PROMPT) and "rest firmly on the floor" in rev.revised_prompt.lower()
    assert any("drifted from the user's intent" in n for n in rev.notes)


def test_llm_failure_is_an_error_with_a_reason_not_a_silent_fallback(fake):
    fake.replies += ["not json at all", "still not json"]
    with pytest.raises(LLMError):
        revise(
            PROMPT,
            original_prompt=PROMPT,
            report=_report("flicker"),
            analysis=None,
            llm="openai",
            api_key=KEY,
        )


def test_nothing_to_fix_makes_no_model_call(fake):
    rev = revise(PROMPT, original_prompt=PROMPT, report=_report(), analysis=None, llm="openai", api_key=KEY)
    assert rev.revised_prompt == PROMPT and fake.requests == []
