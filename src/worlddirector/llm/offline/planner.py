"""Offline scene planner: a world's base prompt + the story so far -> one 8-second beat and 3 choices.

How it stays coherent: the protagonist, their look and the mission are read from the base prompt
once and carried in the state summary; the place only changes when the chosen branch travels (a
portal or rift); a pursuer stays until a beat's outcome defeats or loses it; found items are
counted. How it stays varied: every open decision (threat, hazard, camera, outcome, which moves are
offered, destinations) is drawn from a RNG seeded by (base prompt, path, choice), so siblings
differ and a re-plan of the same scene is identical.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from worlddirector.llm.offline import lexicon as lx
from worlddirector.llm.offline.state import WorldState, find_locale
from worlddirector.llm.offline.text import (
    article,
    goal_item,
    look as base_look,
    mission,
    norm,
    protagonist,
    sentence,
    singular,
    stable_rng,
)
from worlddirector.llm.schemas import Choice, PlanContext, ScenePlan, SummaryContext

_THREAT_ACTIONS = (
    "bursts out from behind {prop}", "closes in fast", "blocks the way ahead", "drops down from above",
    "rises out of the {ground}", "cuts off the only exit",
)
_RESPONSES = (
    "ducks under a swipe and rolls across the {ground}", "vaults over {prop}", "skids sideways across the {ground}",
    "swings {tool} to keep it at bay", "dodges left and right between the debris",
)


@dataclass(frozen=True)
class Theme:
    """What the base prompt fixes for the whole world."""

    protagonist: str
    item: str  # plural goal item, e.g. "chronoglyph shards"
    mission: str
    portals: bool
    base_locale: lx.Locale | None
    look: str | None = None  # what the base prompt says the protagonist wears; kept for the whole world

    @classmethod
    def from_base(cls, base: str) -> Theme:
        item = goal_item(base) or "glowing relics"
        if not item.endswith("s"):
            item += "s"
        portals = bool(re.search(r"\b(portal|portals|multiverse|rift|dimension|worlds)\b", base, re.IGNORECASE))
        return cls(
            protagonist=protagonist(base, default="traveller"),
            item=item,
            mission=mission(base) or f"recover every one of the {item}",
            portals=portals,
            base_locale=None if portals else (find_locale(base) or _custom_locale(base)),
            look=base_look(base),
        )


def _custom_locale(base: str) -> lx.Locale | None:
    """A place the base prompt names that the lexicon does not know ("down a hallway")."""
    m = re.search(r"\b(?:in|inside|through|across|down|along|on|at|over)\s+((?:a|an|the)\s+[^.,;:!?()]+)", base,
                  flags=re.IGNORECASE)
    if not m:
        return None
    name = " ".join(m.group(1).split()[:8]).lower()
    key = norm(name).split()[-1]
    return lx.Locale(name, key, "smooth floor", "soft natural light",
                     ("a wooden crate", "a red door", "a tall potted plant"), "white")


PERSONISH = {
    "courier", "traveller", "traveler", "hero", "heroine", "explorer", "knight", "thief", "detective", "pilot",
    "wizard", "ranger", "scout", "messenger", "adventurer", "hunter", "warrior", "agent", "runner", "girl", "boy",
    "man", "woman", "kid", "child", "soldier", "princess", "prince", "witch", "mage", "ninja", "samurai", "rider",
}


def _is_person(noun: str) -> bool:
    return noun.split()[-1] in PERSONISH if noun else False


def _plural(noun: str) -> bool:
    return noun.endswith("s") and not noun.endswith("ss")


def categorize(choice: str | None) -> str:
    """Which kind of move a choice label is (confront / evade / explore / travel)."""
    if not choice:
        return "opening"
    t = norm(choice)
    for cat in ("travel", "confront", "evade", "explore"):
        if any(re.search(rf"\b{re.escape(v)}", t) for v in lx.VERB_CATEGORY[cat]):
            return cat
    return "explore"


def _strip_subject(label: str, p: str) -> str:
    """``"The courier dives through..." -> "dives through..."`` (a choice label as a predicate)."""
    t = label.strip().rstrip(".")
    m = re.match(rf"^(?:the\s+)?{re.escape(p)}\s+", t, flags=re.IGNORECASE)
    return t[m.end():] if m else t[0].lower() + t[1:]


def _fill(tpl: str, **kw: str) -> str:
    return tpl.format(**kw)


class OfflinePlanner:
    def plan(self, ctx: PlanContext) -> ScenePlan:
        theme = Theme.from_base(ctx.base_prompt)
        st = WorldState.parse(ctx.state_summary or (ctx.ancestors[-1].state_summary if ctx.ancestors else ""))
        rng = stable_rng("plan", ctx.base_prompt, ctx.path, ctx.choice or "")
        p = theme.protagonist
        if "(" in st.protagonist:  # the story so far already fixed it
            look = st.protagonist.partition("(")[2].rstrip(")")
        else:
            look = theme.look or rng.choice(lx.LOOKS)
        cat = categorize(ctx.choice)

        # where: a travel choice names its destination; otherwise stay where the story is
        if cat == "opening":
            locale = theme.base_locale or (lx.HUB if theme.portals else rng.choice(lx.LOCALES))
        else:
            dest = find_locale(ctx.choice or "") if cat == "travel" else None
            locale = dest or find_locale(st.location) or theme.base_locale or rng.choice(lx.LOCALES)

        # who threatens: a pursuer follows through the story unless the beat travels away from it
        threat = st.pursuer if st.pursuer and cat not in ("travel", "opening") and rng.random() < 0.7 else None
        if threat is None:
            threat = rng.choice([t for t, _ in lx.THREATS if t != st.pursuer])
        threat_short = dict(lx.THREATS)[threat] if threat in dict(lx.THREATS) else threat.split()[-1]
        prop = rng.choice(locale.props)
        tool = st.carrying[-1] if st.carrying else rng.choice(lx.TOOLS)
        hazard = rng.choice(lx.HAZARDS)
        camera = rng.choice(lx.CAMERAS).format(p=p)
        item1 = singular(theme.item)
        kw = dict(prop=prop, ground=locale.ground, tool=tool)

        # the three beats
        if cat == "opening":
            setup = f"the {p} in {article(look)} steps onto the {locale.ground}, scanning for {theme.item}"
        else:
            setup = f"the {p} {_strip_subject(ctx.choice or '', p)}"
        escalation = (
            f"{threat} {_fill(rng.choice(_THREAT_ACTIONS), **kw)} as {hazard}; "
            f"the {p} {_fill(rng.choice(_RESPONSES), **kw)}"
        )
        outcome_kind = self._outcome_kind(cat, rng)
        new_tool = rng.choice([t for t in lx.TOOLS if t not in st.carrying and t != tool])
        if outcome_kind == "found":
            outcome = f"the {p} recovers {article(item1)} glowing in the {locale.ground} and holds it up"
        elif outcome_kind == "defeat":
            outcome = (f"the {p} defeats the {threat_short}, which "
                       + ("collapse and go still" if _plural(threat_short) else "collapses and goes still"))
        elif outcome_kind == "escape":
            outcome = f"the {p} escapes the {threat_short} and pockets {new_tool} found on the ground"
        else:
            outcome = (f"the {p} lands hard beside {prop} as the {threat_short} "
                       + ("circle" if _plural(threat_short) else "circles") + " back for another pass")

        parts = [
            sentence(f"In {locale.name}, on {locale.ground} under {locale.light}"),
            sentence(f"Setup (0-2 s): {setup}"),
            sentence(f"Escalation (2-6 s): {escalation}"),
            sentence(f"Outcome (6-8 s): {outcome}"),
        ]
        choices = self._choices(theme, locale, threat, threat_short, st, rng, opening=cat == "opening")
        if cat == "opening" and locale is lx.HUB:
            parts[-1] = sentence(f"Outcome (6-8 s): {outcome}, as three portals flare open: "
                                 + ", ".join(_portal_color(c.label) for c in choices))
        parts.append(sentence(f"Camera: {camera}, cinematic, natural physics, objects stay solid and grounded"))
        who = f"the {p} is the same lone figure" if _is_person(p) else f"the {p}"
        parts.append(sentence(f"Keep: {who} wearing {article(look)}"))
        if ctx.guidance:
            parts.append(sentence("Style: " + " ".join(ctx.guidance.split()[:25])))
        scene_prompt = " ".join(parts)

        from worlddirector.llm.offline.summary import summarize

        summary = summarize(
            SummaryContext(base_prompt=ctx.base_prompt, previous_summary=ctx.state_summary, scene_prompt=scene_prompt,
                           choice=ctx.choice),
            look=look,
        )
        return ScenePlan(scene_prompt=scene_prompt, choices=choices, state_summary=summary.summary)

    @staticmethod
    def _outcome_kind(cat: str, rng: random.Random) -> str:
        weights = {
            "opening": {"cliff": 1.0},
            "confront": {"defeat": 0.45, "found": 0.35, "cliff": 0.2},
            "evade": {"escape": 0.6, "cliff": 0.25, "found": 0.15},
            "explore": {"found": 0.55, "escape": 0.2, "cliff": 0.25},
            "travel": {"cliff": 0.4, "found": 0.3, "escape": 0.3},
        }[cat]
        return rng.choices(list(weights), weights=list(weights.values()))[0]

    @staticmethod
    def _choices(theme: Theme, locale: lx.Locale, threat: str, threat_short: str, st: WorldState,
                 rng: random.Random, *, opening: bool) -> list[Choice]:
        p = theme.protagonist
        seen = {norm(v) for v in st.visited} | {norm(locale.name)}
        dests = [loc for loc in lx.LOCALES if norm(loc.name) not in seen] or [
            loc for loc in lx.LOCALES if loc is not locale
        ]
        rng.shuffle(dests)
        if opening and (locale is lx.HUB or theme.portals):
            cats = ["travel", "travel", "travel"]
        else:
            cats = ["confront", "evade", "explore"]
            if theme.portals or rng.random() < 0.5:
                cats[rng.randrange(3)] = "travel"
        out: list[Choice] = []
        used_moves: set[int] = set()
        for i, cat in enumerate(cats):
            moves = lx.MOVES[cat]
            j = rng.randrange(len(moves))
            if cat == "travel":
                j = 0 if opening or i % 2 == 0 else 1
            while (cat, j) in used_moves and cat != "travel":
                j = (j + 1) % len(moves)
            used_moves.add((cat, j))
            dest = dests[i % len(dests)]
            prop = rng.choice(locale.props)
            label_t, short_t = moves[j]
            kw = dict(p=p, t=threat, ts=threat_short, prop=prop, prop_short="the " + prop.split()[-1],
                      item=singular(theme.item), dest=dest.name, color=dest.portal_color)
            label, short = sentence(label_t.format(**kw)), short_t.format(**kw)
            if cat == "travel" and j == 1:
                short = f"Ride the rift to the {dest.key}"
            out.append(Choice(label=label, short=short[:1].upper() + short[1:]))
        return out


def _portal_color(label: str) -> str:
    m = re.search(r"through an? (.+?) portal into (.+?)\.?$", label)
    return f"{m.group(1)} to {m.group(2)}" if m else label
