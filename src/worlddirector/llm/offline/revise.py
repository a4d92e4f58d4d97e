"""Offline prompt revision: apply edits to a prompt without losing what the user asked for.

Rules: the original prompt's sentences are never removed or reworded (subject, action and setting
live there); each edit is added as its own sentence unless the prompt already says it (same words,
or a sentence with >= 80% word overlap); when the prompt would exceed ``max_words``, the oldest
*added* sentences go first, so the prompt cannot grow without bound. When the caller passes
violations but no edits, a small table maps each violation type to one standard edit.
"""

from __future__ import annotations

import re

from worlddirector.llm.offline.text import norm, sentence
from worlddirector.llm.schemas import Change, RevisionRequest, RevisionResult

# violation type -> (edit, reason)
EDIT_FOR: dict[str, tuple[str, str]] = {
    "floating": ("every object rests firmly on the floor", "objects were seen floating above the ground"),
    "interpenetration": ("objects never pass through each other or the walls", "objects overlapped in space"),
    "tunneling": ("moving objects bounce off solid surfaces and never pass through them",
                  "a fast object passed through a surface"),
    "unstable_object": ("stacked objects stand stable and upright", "objects tipped or slid without cause"),
    "pop_in": ("every object is visible from the first frame", "objects appeared out of nowhere"),
    "pop_out": ("every object stays in view until the end of the shot", "objects vanished mid-shot"),
    "teleport": ("objects move continuously, never jumping between places", "objects jumped between positions"),
    "size_drift": ("every object keeps a constant size", "objects changed size over time"),
    "flicker": ("steady, even lighting with no flicker", "brightness flickered between frames"),
    "implausible_motion": ("motion is smooth and follows real physics", "motion was physically implausible"),
    "unreachable_area": ("an open, clear path runs through the whole scene", "parts of the scene were unreachable"),
    "agent_stuck": ("the floor is flat and uncluttered", "agents got stuck on geometry"),
    "av_desync": ("sounds match the on-screen action", "audio and motion were out of sync"),
}

_SENT = re.compile(r"(?<=[.!?])\s+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT.split(" ".join(text.split())) if s.strip()]


def _overlap(a: str, b: str) -> float:
    wa, wb = set(norm(a).split()), set(norm(b).split())
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def _n_words(parts: list[str]) -> int:
    return sum(len(p.split()) for p in parts)


def derive_edits(req: RevisionRequest) -> list[Change]:
    """One standard edit per violation type present (most severe types first)."""
    by_type: dict[str, list] = {}
    for v in sorted(req.violations, key=lambda v: -v.severity):
        by_type.setdefault(v.type, []).append(v)
    out = []
    for vtype, vs in by_type.items():
        if vtype in EDIT_FOR:
            edit, reason = EDIT_FOR[vtype]
            out.append(Change(edit=edit, reason=f"{reason} ({len(vs)} finding(s))", violation_ids=[v.id for v in vs]))
    return out


_REMOVE = re.compile(r"""^remove\s+['"](.+)['"]\s*\.?$""", re.IGNORECASE)


def _drop_phrase(sents: list[str], phrase: str) -> tuple[list[str], bool]:
    """Remove ``phrase`` (case-insensitive, whole words) from each sentence; drop sentences left empty."""
    pat = re.compile(r"\s*\b" + re.escape(phrase.strip()) + r"\b", re.IGNORECASE)
    out, hit = [], False
    for s in sents:
        t, n = pat.subn("", s)
        hit = hit or n > 0
        t = re.sub(r"\s+([,.;!?])", r"\1", " ".join(t.split())).strip(" ,;")
        if len(norm(t).split()) >= 2:
            out.append(sentence(t))
    return out, hit


def revise(req: RevisionRequest) -> RevisionResult:
    original = _sentences(req.original_prompt)
    current = _sentences(req.prompt)
    orig_norm = {norm(s) for s in original}
    # keep the original first, in order, even if an earlier revision dropped a sentence of it
    kept_added = [s for s in current if norm(s) not in orig_norm]
    edits = req.edits or derive_edits(req)

    applied: list[Change] = []
    new_sents: list[str] = []
    # removals first ("remove 'glowing'"): a rule reviser asks to drop a phrase that causes a defect
    for ch in edits:
        m = _REMOVE.match(ch.edit.strip())
        if m:
            original, hit_o = _drop_phrase(original, m.group(1))
            kept_added, hit_a = _drop_phrase(kept_added, m.group(1))
            if hit_o or hit_a:
                applied.append(ch)
    edits = [ch for ch in edits if not _REMOVE.match(ch.edit.strip())]
    for ch in edits:
        s = sentence(ch.edit)
        existing = original + kept_added + new_sents
        if any(norm(s) == norm(e) or norm(s) in norm(e) or _overlap(s, e) >= 0.8 for e in existing):
            continue
        new_sents.append(s)
        applied.append(ch)

    added = kept_added + new_sents
    while added and _n_words(original + added) > req.max_words:
        # drop the oldest earlier addition first; only then this round's own (last-priority first)
        if len(added) > len(new_sents):
            added.pop(0)
        else:
            dropped = added.pop()
            applied = [c for c in applied if sentence(c.edit) != dropped]
            new_sents.remove(dropped)
    revised = " ".join(original + added)
    return RevisionResult(revised_prompt=revised, changes=applied)
