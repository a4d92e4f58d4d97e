"""Offline state summary: fold a scene's prompt into the running facts (see ``state.py``)."""

from __future__ import annotations

import re

from worlddirector.llm.offline import lexicon as lx
from worlddirector.llm.offline.state import WorldState, find_locale, find_threat, find_tools
from worlddirector.llm.offline.text import article, norm, singular, stable_rng
from worlddirector.llm.schemas import StateSummary, SummaryContext


def _outcome(scene: str) -> str:
    m = re.search(r"Outcome[^:]*:\s*([^.]*)", scene)
    if m:
        return m.group(1).strip()
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", scene) if s.strip()]
    return sentences[-1].rstrip(".") if sentences else scene


def summarize(ctx: SummaryContext, look: str | None = None) -> StateSummary:
    from worlddirector.llm.offline.planner import Theme

    theme = Theme.from_base(ctx.base_prompt or ctx.scene_prompt)
    st = WorldState.parse(ctx.previous_summary)
    if not st.protagonist:
        look = look or stable_rng("look", ctx.base_prompt).choice(lx.LOOKS)
        st.protagonist = f"the {theme.protagonist} ({look})"
    if not st.mission:
        st.mission = theme.mission
    if not st.found_item:
        st.found_item = theme.item

    scene = ctx.scene_prompt
    loc = find_locale(scene.split(".")[0]) or find_locale(scene)
    if loc is not None:
        if st.location and norm(st.location) != norm(loc.name) and st.location not in st.visited:
            st.visited.append(st.location)
        st.location = loc.name
    elif not st.location:
        m = re.search(r"\b(?:in|inside|at|on|across|through)\s+((?:a|an|the)\s+[^.,;]+)", scene, re.IGNORECASE)
        if m:
            st.location = m.group(1).strip()

    outcome = _outcome(scene)
    out_n = norm(outcome)
    threat = find_threat(scene)
    if threat:
        st.pursuer = threat
    if re.search(r"\b(defeats|destroys|loses|escapes)\b", out_n):
        st.pursuer = ""
    if re.search(rf"\b(recovers|finds|grabs|collects)\s+(a|an|the)\s+{re.escape(norm(singular(theme.item)))}", out_n):
        st.found += 1
    for tool in find_tools(outcome):
        if tool not in st.carrying:
            st.carrying.append(tool)
    st.carrying = st.carrying[-4:]
    st.visited = st.visited[-4:]
    st.last_beat = outcome
    summary = st.render()
    return StateSummary(summary=summary, facts=[f.rstrip(".") for f in st.facts()])


__all__ = ["article", "summarize"]
