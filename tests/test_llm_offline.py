"""The offline model backend: planner coherence and variety, state summary, keyframe description, revision."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from worlddirector.errors import BadInputError
from worlddirector.llm import (
    Change,
    PlanContext,
    RevisionRequest,
    ScenePlan,
    SummaryContext,
    ViolationBrief,
    get_llm,
)

BASE = (
    "The Courier chases chronoglyph shards through remixed takes on famous game worlds "
    "(neon city vibes, gothic battlefields, clockwork cities) to seal the Cataclysm Rift."
)


@pytest.fixture(scope="module")
def llm():
    return get_llm("offline")


def _walk(llm, path_choices: list[int]) -> list[ScenePlan]:
    plans = [llm.plan_scene(PlanContext(base_prompt=BASE))]
    path = []
    for idx in path_choices:
        path.append(str(idx))
        prev = plans[-1]
        plans.append(llm.plan_scene(PlanContext(
            base_prompt=BASE, path="/".join(path), choice=prev.choices[idx].label, state_summary=prev.state_summary)))
    return plans


def test_unknown_backend_is_bad_input():
    with pytest.raises(BadInputError, match="unknown model backend"):
        get_llm("gpt-nonsense")


def test_root_plan_is_an_action_beat_with_three_distinct_choices(llm):
    plan = llm.plan_scene(PlanContext(base_prompt=BASE))
    text = plan.scene_prompt
    assert text.index("Setup") < text.index("Escalation") < text.index("Outcome")
    assert "courier" in text.lower()
    assert len(plan.choices) == 3
    assert len({c.label for c in plan.choices}) == 3 and len({c.short for c in plan.choices}) == 3
    assert all(len(c.short.split()) <= 6 for c in plan.choices)
    assert "seal the Cataclysm Rift" in plan.state_summary


def test_planner_is_deterministic_but_varied(llm):
    a = _walk(llm, [0, 1])
    b = _walk(llm, [0, 1])
    assert [p.scene_prompt for p in a] == [p.scene_prompt for p in b]
    siblings = [_walk(llm, [i])[-1].scene_prompt for i in range(3)]
    assert len(set(siblings)) == 3
    # across many paths the planner does not repeat itself
    prompts = {_walk(llm, [i, j])[-1].scene_prompt for i in range(3) for j in range(3)}
    assert len(prompts) == 9


def test_story_keeps_its_facts(llm):
    plans = _walk(llm, [0, 1, 2, 0])
    look = plans[0].state_summary.split("(")[1].split(")")[0]
    for p in plans:
        assert look in p.scene_prompt  # the protagonist keeps their look in every clip
        assert "Mission: seal the Cataclysm Rift" in p.state_summary
    # travelling through a portal moves the story to the named place
    root = plans[0]
    child = plans[1]
    dest = root.choices[0].label.split(" into ")[1].rstrip(".")
    assert child.scene_prompt.startswith(f"In {dest}")
    assert f"Location: {dest}" in child.state_summary


def test_custom_base_prompt_keeps_its_setting(llm):
    plan = llm.plan_scene(PlanContext(base_prompt="A robot walks down a hallway"))
    assert plan.scene_prompt.startswith("In a hallway")
    assert "robot" in plan.scene_prompt
    assert "Location: a hallway" in plan.state_summary


def test_summary_counts_found_items_and_tools(llm):
    prev = llm.summarize_state(SummaryContext(base_prompt=BASE, scene_prompt="In a crystal cave. Outcome (6-8 s): the "
                                              "courier escapes the golem and pockets a brass key found on the ground."))
    assert "a brass key" in prev.summary and "Pursuer: none" in prev.summary
    nxt = llm.summarize_state(SummaryContext(
        base_prompt=BASE, previous_summary=prev.summary,
        scene_prompt="In a frozen mountain pass. Escalation: a pack of shadow wolves closes in. "
        "Outcome (6-8 s): the courier recovers a chronoglyph shard glowing in the snow."))
    assert "Found: 1 chronoglyph shards" in nxt.summary
    assert "Location: a frozen mountain pass" in nxt.summary
    assert "Visited: a crystal cave" in nxt.summary
    assert "a brass key" in nxt.summary  # carried forward
    assert "shadow wolves" in nxt.summary


def _frame(path, ball_x: int):
    img = np.zeros((180, 320, 3), np.uint8)
    img[:90] = (235, 160, 60)  # sky (BGR blue)
    img[90:] = (40, 150, 40)  # grass
    cv2.circle(img, (ball_x, 130), 18, (0, 0, 230), -1)  # red ball on the ground
    cv2.rectangle(img, (250, 20), (290, 50), (0, 220, 240), -1)  # yellow box in the sky
    cv2.imwrite(str(path), img)
    return path


def test_describe_keyframes_finds_colours_layout_and_motion(llm, tmp_path):
    frames = [_frame(tmp_path / f"k{i}.jpg", 60 + 80 * i) for i in range(3)]
    g = llm.describe_keyframes(frames)
    assert g.setting.startswith("outdoors") and "grass" in g.setting
    by_color = {o.color: o for o in g.objects}
    assert "red" in by_color and "yellow" in by_color
    assert by_color["red"].motion == "moves right"
    assert "on the ground" in by_color["red"].position_hint
    assert by_color["yellow"].motion == "static" and "in the air" in by_color["yellow"].position_hint
    assert {"blue", "green"} <= set(g.dominant_colors)


def test_describe_keyframes_rejects_missing_and_non_images(llm, tmp_path):
    with pytest.raises(BadInputError):
        llm.describe_keyframes([tmp_path / "nope.jpg"])
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    with pytest.raises(BadInputError):
        llm.describe_keyframes([bad])


def test_revision_keeps_intent_dedups_and_bounds_length(llm):
    original = "A red ball rolls across a wooden floor in a sunny kitchen."
    r1 = llm.revise_prompt(RevisionRequest(
        original_prompt=original, prompt=original,
        violations=[ViolationBrief(id="v1", type="floating", severity=0.9), ViolationBrief(id="v2", type="flicker")]))
    assert r1.revised_prompt.startswith(original)
    assert [c.violation_ids for c in r1.changes] == [["v1"], ["v2"]]
    # the same edit again is not added twice
    r2 = llm.revise_prompt(RevisionRequest(
        original_prompt=original, prompt=r1.revised_prompt,
        edits=[Change(edit="every object rests firmly on the floor", reason="again", violation_ids=["v3"])]))
    assert r2.revised_prompt == r1.revised_prompt and r2.changes == []
    # many edits: the prompt stays under the word bound and still starts with the original
    edits = [Change(edit=f"detail number {i} is kept crisp and clear", reason="r", violation_ids=[]) for i in range(30)]
    r3 = llm.revise_prompt(RevisionRequest(original_prompt=original, prompt=r1.revised_prompt, edits=edits,
                                           max_words=40))
    assert len(r3.revised_prompt.split()) <= 40
    assert r3.revised_prompt.startswith(original)
    assert all(c.edit.split()[-1] in ("clear",) for c in r3.changes)


def test_revision_applies_removals_from_a_rule_reviser(llm):
    original = "A glowing red ball rolls across a wooden floor."
    r = llm.revise_prompt(RevisionRequest(
        original_prompt=original, prompt=original + " Steady light.",
        edits=[Change(edit="remove 'glowing'", reason="flicker source", violation_ids=["v1"]),
               Change(edit="every object rests on the floor", reason="floating", violation_ids=["v2"])]))
    assert r.revised_prompt == "A red ball rolls across a wooden floor. Steady light. Every object rests on the floor."
    assert [c.violation_ids for c in r.changes] == [["v1"], ["v2"]]


def test_planner_keeps_the_costume_the_base_prompt_gives():
    """The default world's courier wears a crimson flight jacket; the offline planner must not re-dress her."""
    from worlddirector.llm import get_llm
    from worlddirector.llm.schemas import PlanContext
    from worlddirector.world.defaults import DEFAULT_BASE_PROMPT

    llm = get_llm("offline")
    root = llm.plan_scene(PlanContext(base_prompt=DEFAULT_BASE_PROMPT))
    assert "crimson flight jacket" in root.scene_prompt
    assert "crimson flight jacket" in root.state_summary
    child = llm.plan_scene(
        PlanContext(base_prompt=DEFAULT_BASE_PROMPT, path="0", choice=root.choices[0].label,
                    state_summary=root.state_summary)
    )
    assert "crimson flight jacket" in child.scene_prompt
