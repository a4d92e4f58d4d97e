"""The offline reviser: findings -> prompt edits with reasons, intent kept, edits bounded."""

from __future__ import annotations

import pytest

from worlddirector.artifacts.agent_report import AgentReport, Replay, Violation
from worlddirector.artifacts.analysis import Analysis, VideoInfo
from worlddirector.artifacts.revision import Revision
from worlddirector.errors import BadInputError
from worlddirector.revision import intent_similarity, revise, revise_dir
from worlddirector.revision.diff import apply_side, word_diff
from worlddirector.revision.rules import METRIC_RULES, VIOLATION_RULES

PROMPT = "A red robot walks down a long hallway past two crates"
ALL_TYPES = list(VIOLATION_RULES)


def _v(i: int, typ: str, sev: float = 0.7) -> Violation:
    return Violation(
        id=f"v{i:03d}",
        type=typ,
        severity=sev,
        position=(0.0, 1.0, 0.5),
        time=1.0,
        frames=[24],
        evidence=f"hand-made {typ}",
    )


def _report(*types: str, sev: float = 0.7) -> AgentReport:
    return AgentReport(
        seed=0,
        n_agents=2,
        sim_seconds=5.0,
        violations=[_v(i, t, sev) for i, t in enumerate(types)],
        replay=Replay(),
    )


def _analysis(**metrics: float) -> Analysis:
    base = {
        k: 0.95
        for k in (
            "temporal_flickering",
            "identity_persistence",
            "subject_consistency",
            "path_realism",
            "motion_smoothness",
            "background_consistency",
            "imaging_quality",
            "overall",
        )
    }
    base.update(metrics)
    return Analysis(
        video=VideoInfo(path="video.mp4", width=320, height=180, fps=24, n_frames=48, duration=2.0),
        metrics=base,
    )


def test_every_violation_type_maps_to_an_edit_with_reason_and_ids():
    for typ in ALL_TYPES:
        rev = revise(PROMPT, original_prompt=PROMPT, report=_report(typ), analysis=None)
        adds = [c for c in rev.changes if c.action in ("add", "strengthen")]
        assert adds, f"{typ}: no edit"
        assert adds[0].violation_ids == ["v000"], typ
        assert adds[0].reason and adds[0].edit.lower() in rev.revised_prompt.lower(), typ
        assert rev.revised_prompt.startswith(PROMPT), f"{typ}: the user's prompt must stay first and intact"


def test_weak_metrics_map_to_edits_and_strong_ones_do_not():
    rev = revise(
        PROMPT, original_prompt=PROMPT, report=_report(), analysis=_analysis(temporal_flickering=0.5)
    )
    assert [c.metrics for c in rev.changes] == [["temporal_flickering"]]
    assert "steady lighting" in rev.revised_prompt.lower()
    clean = revise(PROMPT, original_prompt=PROMPT, report=_report(), analysis=_analysis())
    assert clean.revised_prompt == PROMPT and clean.changes == []
    assert any("unchanged" in n for n in clean.notes)
    for name, (threshold, rule) in METRIC_RULES.items():
        r = revise(PROMPT, original_prompt=PROMPT, report=None, analysis=_analysis(**{name: threshold / 2}))
        assert any(name in c.metrics for c in r.changes), name


def test_edits_are_deduplicated_by_what_they_fix():
    # pop_in and pop_out are both "objects stay visible": one clause answering all four ids
    rev = revise(
        PROMPT,
        original_prompt=PROMPT,
        report=_report("pop_in", "pop_out", "pop_out", "pop_in"),
        analysis=_analysis(identity_persistence=0.3),
    )
    adds = [c for c in rev.changes if c.action == "add"]
    assert len(adds) == 1
    assert sorted(adds[0].violation_ids) == ["v000", "v001", "v002", "v003"]
    assert adds[0].metrics == ["identity_persistence"]
    assert rev.revised_prompt.lower().count("stay visible") == 1


def test_persisting_problem_escalates_instead_of_repeating():
    r1 = revise(PROMPT, original_prompt=PROMPT, report=_report("floating"), analysis=None)
    r2 = revise(
        r1.revised_prompt,
        original_prompt=PROMPT,
        report=_report("floating"),
        analysis=None,
        previous=r1,
        iteration=2,
    )
    assert [c.action for c in r2.changes] == ["strengthen"]
    assert r2.revised_prompt.lower().count("rest firmly on the floor") == 1
    assert "nothing floats" in r2.revised_prompt.lower()
    # at the strongest wording there is nothing more to add: unchanged, with a note
    r3 = revise(
        r2.revised_prompt,
        original_prompt=PROMPT,
        report=_report("floating"),
        analysis=None,
        previous=r2,
        iteration=3,
    )
    assert r3.revised_prompt == r2.revised_prompt and r3.changes == []
    assert any("strongest wording" in n for n in r3.notes)


def test_fixed_problems_keep_their_clause():
    r1 = revise(PROMPT, original_prompt=PROMPT, report=_report("flicker"), analysis=None)
    r2 = revise(
        r1.revised_prompt,
        original_prompt=PROMPT,
        report=_report("teleport"),
        analysis=None,
        previous=r1,
        iteration=2,
    )
    low = r2.revised_prompt.lower()
    assert "steady lighting" in low and "smooth continuous motion" in low


def test_a_clause_already_in_the_users_prompt_is_not_added_again():
    p = "A ball rolls across a warehouse floor under steady lighting"
    rev = revise(p, original_prompt=p, report=_report("flicker"), analysis=None)
    assert rev.revised_prompt.lower().count("steady") == 1
    assert [c.action for c in rev.changes] == [
        "add"
    ]  # the stronger wording, since the user's did not suffice
    assert "no flicker" in rev.revised_prompt.lower()


def test_prompt_stays_bounded_and_keeps_intent_under_every_finding():
    everything = _report(*(ALL_TYPES * 3))
    prompt, prev = PROMPT, None
    for it in range(1, 6):
        rev = revise(
            prompt,
            original_prompt=PROMPT,
            report=everything,
            analysis=_analysis(temporal_flickering=0.2, background_consistency=0.2, imaging_quality=0.1),
            previous=prev,
            iteration=it,
        )
        assert len(rev.constraints) <= 6
        assert len(rev.revised_prompt.split()) <= 140
        assert rev.intent_similarity >= 0.76
        assert abs(rev.intent_similarity - intent_similarity(PROMPT, rev.revised_prompt)) < 1e-3
        # subject, action and setting words stay
        for word in ("robot", "walks", "hallway", "crates"):
            assert word in rev.revised_prompt
        prompt, prev = rev.revised_prompt, rev
    assert any(c.action in ("add", "strengthen") for c in prev.changes) or prev.notes


def test_inviting_words_are_removed_only_when_the_problem_was_found():
    p = "A flickering neon street with a blue car driving"
    kept = revise(p, original_prompt=p, report=_report("floating"), analysis=None)
    assert "flickering" in kept.revised_prompt
    fixed = revise(p, original_prompt=p, report=_report("flicker"), analysis=None)
    assert "flickering" not in fixed.revised_prompt.lower()
    assert {c.action for c in fixed.changes} == {"remove", "add"}
    assert "car" in fixed.revised_prompt and "street" in fixed.revised_prompt
    assert fixed.removed_phrases == ["flickering"]


def test_intent_similarity_ranks_meaning():
    same = intent_similarity(PROMPT, PROMPT + ". Steady lighting.")
    other = intent_similarity(PROMPT, "A sailing boat drifts across a calm lake at dawn")
    assert 0.75 < same <= 1.0
    assert other < 0.4 < same


def test_word_diff_rebuilds_both_sides():
    old, new = "a robot walks down a hallway", "a robot walks down a hallway. Steady lighting."
    ops = word_diff(old, new)
    assert apply_side(ops, "old") == old and apply_side(ops, "new") == new
    assert any(o.op == "insert" and "Steady" in o.text for o in ops)


def test_revise_dir_writes_revision_json(tmp_path):
    _report("size_drift").save(tmp_path)
    _analysis().save(tmp_path)
    rev = revise_dir(tmp_path, PROMPT, original_prompt=PROMPT, iteration=1)
    again = Revision.load(tmp_path)
    assert again.revised_prompt == rev.revised_prompt
    assert "consistent size" in again.revised_prompt
    assert any(o.op == "insert" for o in again.diff)


def test_bad_input(tmp_path):
    with pytest.raises(BadInputError):
        revise("   ", original_prompt=PROMPT, report=_report(), analysis=None)
    with pytest.raises(BadInputError, match="no agent_report.json"):
        revise_dir(tmp_path, PROMPT, original_prompt=PROMPT, iteration=1)


def test_every_wording_is_understood_by_the_offline_generator_and_adds_no_scene_content():
    parse = pytest.importorskip("worlddirector.providers.procedural.parse").parse_prompt
    base = parse(PROMPT).model_dump()
    pinned_types = {
        "floating",
        "interpenetration",
        "pop_in",
        "pop_out",
        "flicker",
        "teleport",
        "size_drift",
        "av_desync",
    }
    for typ, rule in VIOLATION_RULES.items():
        for phrase in rule.levels:
            got = parse(f"{PROMPT}. {phrase[0].upper()}{phrase[1:]}.").model_dump()
            for k in ("setting", "light", "camera", "groups", "room_scale"):
                if not (k == "room_scale" and "wide" in phrase):  # "wide" paths widen the layout on purpose
                    assert got[k] == base[k], f"{phrase!r} changed {k}"
            if typ in pinned_types:
                assert typ in got["pins"], f"{phrase!r} does not pin {typ}"


def test_av_sync_counts_as_weak_exactly_where_the_av_desync_check_fires():
    """The reviser and the simulation check read the same av_sync scale: a clip the check would call
    desynced gets a sound edit from the metric alone, a clean-scoring one (>= 0.6 on dev) none."""
    from worlddirector.simulation.checks.av_sync import MAX_AV_SYNC

    threshold, rule = METRIC_RULES["av_sync"]
    assert threshold == MAX_AV_SYNC
    assert rule is VIOLATION_RULES["av_desync"]
