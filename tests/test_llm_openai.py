"""The ``openai`` model backend against a local fake of the Responses API, through the real SDK."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from fakes.logs import debug_logging
from fakes.openai_fake import FakeOpenAI
from fakes.server import serve

from worlddirector.config import load_settings
from worlddirector.errors import ConfigError
from worlddirector.llm import LLMError, PlanContext, RevisionRequest, get_llm

KEY = "sk-callerkey-4f9a8b7c6d5e4f3a2b1c"

PLAN = {
    "scene_prompt": "In a crystal cave, the courier in a red scarf sprints across violet rock as a golem wakes.",
    "choices": [
        {"label": "The courier fights the golem.", "short": "Fight"},
        {"label": "The courier hides behind a crystal.", "short": "Hide"},
        {"label": "The courier dives into a portal.", "short": "Portal"},
    ],
    "state_summary": "Protagonist: the courier (red scarf). Location: a crystal cave.",
}


@pytest.fixture
def fake():
    f = FakeOpenAI()
    with serve(f.app()) as url:
        f.url = url
        yield f


def _settings(fake, **kw):
    return load_settings(openai_base_url=fake.url + "/v1", openai_api_key=None, openai_llm_model="planner-x", **kw)


def test_plan_scene_uses_strict_json_schema_and_validates(fake):
    fake.replies.append(json.dumps(PLAN))
    llm = get_llm("openai", api_key=KEY, settings=_settings(fake))
    plan = llm.plan_scene(PlanContext(base_prompt="A courier chases shards through portal worlds."))
    assert plan.choices[2].short == "Portal"
    body = fake.requests[-1]["body"]
    assert body["model"] == "planner-x"
    fmt = body["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["strict"] is True
    assert fmt["schema"]["additionalProperties"] is False
    assert set(fmt["schema"]["required"]) == {"scene_prompt", "choices", "state_summary"}
    assert fake.seen_auth[-1] == f"Bearer {KEY}"


def test_invalid_output_is_retried_once_then_succeeds(fake):
    bad = dict(PLAN, choices=PLAN["choices"][:2])  # only two choices
    fake.replies += [json.dumps(bad), json.dumps(PLAN)]
    llm = get_llm("openai", api_key=KEY, settings=_settings(fake))
    plan = llm.plan_scene(PlanContext(base_prompt="A courier."))
    assert len(plan.choices) == 3
    assert len(fake.requests) == 2
    retry_text = json.dumps(fake.requests[1]["body"]["input"])
    assert "previous answer was invalid" in retry_text


def test_invalid_output_twice_is_an_error_not_padding(fake):
    fake.replies += ["not json at all", json.dumps({"scene_prompt": "x"})]
    llm = get_llm("openai", api_key=KEY, settings=_settings(fake))
    with pytest.raises(LLMError, match="invalid scene_plan output twice"):
        llm.plan_scene(PlanContext(base_prompt="A courier."))
    assert len(fake.requests) == 2


def test_keyframes_are_sent_as_input_image_data_urls(fake, tmp_path):
    graph = {"setting": "outdoors", "lighting": "day", "dominant_colors": ["green"], "relations": [],
             "objects": [{"label": "ball", "color": "red", "position_hint": "centre, on the ground",
                          "size_hint": "small", "motion": "moves right"}], "description": "A red ball on grass."}
    fake.replies.append(json.dumps(graph))
    paths = []
    for i in range(2):
        img = np.full((720, 1280, 3), 60 + i * 50, np.uint8)
        p = tmp_path / f"k{i}.jpg"
        cv2.imwrite(str(p), img)
        paths.append(p)
    g = get_llm("openai", api_key=KEY, settings=_settings(fake)).describe_keyframes(paths, hint="a ball")
    assert g.objects[0].label == "ball"
    content = fake.requests[-1]["body"]["input"][0]["content"]
    images = [c for c in content if c["type"] == "input_image"]
    assert len(images) == 2 and all(c["image_url"].startswith("data:image/jpeg;base64,") for c in images)


def test_revision_roundtrip(fake):
    fake.replies.append(json.dumps({"revised_prompt": "A red ball rolls. It rests on the floor.", "changes": [
        {"edit": "It rests on the floor.", "reason": "floating", "violation_ids": ["v1"]}]}))
    r = get_llm("openai", api_key=KEY, settings=_settings(fake)).revise_prompt(
        RevisionRequest(original_prompt="A red ball rolls.", prompt="A red ball rolls."))
    assert r.changes[0].violation_ids == ["v1"]


def test_callers_key_never_reaches_errors_logs_or_files(fake, tmp_path, capsys):
    with debug_logging():
        bad_key = "sk-bad-key-000000"
        llm = get_llm("openai", api_key=bad_key, settings=_settings(fake))
        assert bad_key not in repr(llm)
        with pytest.raises(LLMError) as ei:
            llm.plan_scene(PlanContext(base_prompt="A courier."))
        assert "rejected the API key" in str(ei.value) and bad_key not in str(ei.value)
        # a successful call with a good caller key: logged, but never the key
        fake.replies += ["garbage", json.dumps(PLAN)]
        get_llm("openai", api_key=KEY, settings=_settings(fake)).plan_scene(PlanContext(base_prompt="A courier."))
        captured = capsys.readouterr()
        assert "llm.invalid_output" in captured.err  # logging did happen
        assert KEY not in captured.err + captured.out and bad_key not in captured.err + captured.out


def test_openai_backend_needs_a_key_or_a_server():
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        get_llm("openai", settings=load_settings(openai_api_key=None, openai_base_url=None))


def test_unreachable_server_is_a_clear_error():
    s = load_settings(openai_base_url="http://127.0.0.1:9/v1", openai_api_key=None)
    from worlddirector.llm.openai_llm import OpenAILLM

    llm = OpenAILLM(api_key=KEY, settings=s, max_retries=0, timeout=2)
    with pytest.raises(LLMError, match="cannot reach"):
        llm.plan_scene(PlanContext(base_prompt="A courier."))
