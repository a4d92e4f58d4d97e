"""The offline running world state: a few labelled facts, written and read as plain sentences.

The summary is text (so any backend, and a person, can read it), but the offline backend writes it
as ``Key: value.`` sentences so it can read its own summaries back exactly. Summaries written by a
remote model are kept as an ``Earlier`` fact instead of being lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from worlddirector.llm.offline.lexicon import HUB, LOCALES, THREATS, TOOLS, Locale
from worlddirector.llm.offline.text import norm, shorten

KEYS = ("Protagonist", "Mission", "Location", "Carrying", "Found", "Pursuer", "Visited", "Last beat", "Earlier")
_SPLIT = re.compile(r"(?:^|(?<=\s))(" + "|".join(re.escape(k) for k in KEYS) + r"):\s*")


@dataclass
class WorldState:
    protagonist: str = ""
    mission: str = ""
    location: str = ""
    carrying: list[str] = field(default_factory=list)
    found: int = 0
    found_item: str = ""
    pursuer: str = ""
    visited: list[str] = field(default_factory=list)
    last_beat: str = ""
    earlier: str = ""

    @classmethod
    def parse(cls, text: str) -> WorldState:
        st = cls()
        parts = _SPLIT.split(text or "")
        if len(parts) < 3:
            if (text or "").strip():
                st.earlier = shorten(" ".join(text.split()), 30)
            return st
        for key, value in zip(parts[1::2], parts[2::2]):
            value = value.strip().rstrip(".").strip()
            if key == "Protagonist":
                st.protagonist = value
            elif key == "Mission":
                st.mission = value
            elif key == "Location":
                st.location = value
            elif key == "Carrying":
                st.carrying = [v.strip() for v in value.split(",") if v.strip() and v.strip() != "nothing"]
            elif key == "Found":
                m = re.match(r"(\d+)\s+(.*)", value)
                if m:
                    st.found, st.found_item = int(m.group(1)), m.group(2)
            elif key == "Pursuer":
                st.pursuer = "" if value == "none" else value
            elif key == "Visited":
                st.visited = [v.strip() for v in value.split(";") if v.strip()]
            elif key == "Last beat":
                st.last_beat = value
            elif key == "Earlier":
                st.earlier = value
        return st

    def facts(self) -> list[str]:
        out = []
        if self.protagonist:
            out.append(f"Protagonist: {self.protagonist}.")
        if self.mission:
            out.append(f"Mission: {self.mission}.")
        if self.location:
            out.append(f"Location: {self.location}.")
        out.append(f"Carrying: {', '.join(self.carrying[-4:]) or 'nothing'}.")
        if self.found_item:
            out.append(f"Found: {self.found} {self.found_item}.")
        out.append(f"Pursuer: {self.pursuer or 'none'}.")
        if self.visited:
            out.append(f"Visited: {'; '.join(self.visited[-4:])}.")
        if self.last_beat:
            out.append(f"Last beat: {shorten(self.last_beat, 30)}.")
        if self.earlier:
            out.append(f"Earlier: {self.earlier}.")
        return out

    def render(self) -> str:
        return " ".join(self.facts())


def find_locale(text: str) -> Locale | None:
    """The known place a text mentions (by full name first, then by its key word)."""
    t = norm(text)
    for loc in (HUB, *LOCALES):
        if norm(loc.name) in t:
            return loc
    for loc in (HUB, *LOCALES):
        if re.search(rf"\b{loc.key}\b", t):
            return loc
    return None


def find_threat(text: str) -> str | None:
    t = norm(text)
    for phrase, _short in THREATS:
        if norm(phrase) in t:
            return phrase
    return None


def find_tools(text: str) -> list[str]:
    t = norm(text)
    return [tool for tool in TOOLS if re.search(rf"\b(pockets|picks up|grabs|takes) {re.escape(norm(tool))}\b", t)]
