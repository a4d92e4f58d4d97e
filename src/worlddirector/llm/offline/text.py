"""Small text helpers for the offline backend: stable randomness and reading a base prompt.

The offline backend must be deterministic (the same world and path always get the same scene), yet
varied across paths, so every choice it makes draws from a ``random.Random`` seeded by a hash of
the inputs that define the scene.
"""

from __future__ import annotations

import hashlib
import random
import re

_ARTICLES = {"a", "an", "the", "one", "some"}
_STOP = {
    "in", "on", "at", "through", "across", "into", "onto", "over", "under", "down", "up", "along", "near",
    "with", "and", "or", "to", "from", "of", "by", "while", "as", "who", "that", "which", "beside", "behind",
    "is", "are", "was", "were", "be", "has", "have", "for", "past", "around", "toward", "towards",
}
_VERBS = {
    "walks", "runs", "rolls", "moves", "flies", "falls", "chases", "jumps", "explores", "stands", "sits",
    "drives", "races", "hops", "bounces", "slides", "swims", "climbs", "dances", "fights", "searches",
    "crosses", "enters", "leaves", "wanders", "rides", "glides", "spins", "floats", "hunts", "seeks",
    "travels", "sprints", "dashes", "leaps", "carries", "pushes", "pulls", "throws", "kicks", "lands",
}


def stable_rng(*parts: object) -> random.Random:
    """A ``Random`` whose sequence depends only on ``parts`` (not on PYTHONHASHSEED)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z'\-]*", text)


def protagonist(text: str, default: str = "traveller") -> str:
    """The first noun phrase introduced by an article: ``"A courier chases..." -> "courier"``."""
    toks = words(text)
    for i, t in enumerate(toks):
        if t.lower() in _ARTICLES:
            phrase: list[str] = []
            for w in toks[i + 1 : i + 5]:
                lw = w.lower()
                if lw in _STOP or lw in _VERBS or lw.endswith("ing") or lw in _ARTICLES:
                    break
                phrase.append(lw)
            if phrase:
                return " ".join(phrase[-2:])
    return default


_GARMENTS = (
    "jacket|coat|raincoat|overcoat|cloak|armor|armour|suit|hoodie|dress|robe|robes|uniform|helmet|vest|cape|poncho|"
    "overalls|jumpsuit|trench coat|scarf|mask|goggles"
)


def look(text: str) -> str | None:
    """What the protagonist wears, if the prompt says:
    ``"a courier in a scuffed crimson flight jacket sprints" -> "scuffed crimson flight jacket"``."""
    m = re.search(
        rf"\b(?:in|wearing)\s+(?:(?:a|an|the|her|his|their)\s+)?"
        rf"((?:(?!(?:a|an|the|and|with|of|in|on)\b)[A-Za-z\-]+\s+){{0,4}}?(?:{_GARMENTS}))\b",
        text,
        flags=re.IGNORECASE,
    )
    return m.group(1).lower() if m else None


def goal_item(text: str) -> str | None:
    """What the protagonist is after: ``"chasing chronoglyph shards through..." -> "chronoglyph shards"``."""
    m = re.search(
        r"\b(?:chas\w*|hunt\w*|seek\w*|search\w* for|find\w*|collect\w*|retriev\w*|gather\w*|recover\w*|deliver\w*)"
        r"\s+(?:the\s+|a\s+|an\s+)?([A-Za-z\-]+(?:\s+[A-Za-z\-]+)?)",
        text,
        flags=re.IGNORECASE,
    )
    if not m:
        return None
    item = [w for w in m.group(1).split() if w.lower() not in _STOP]
    return " ".join(item).lower() or None


def mission(text: str) -> str | None:
    """``"... to seal the Cataclysm Rift."`` -> ``"seal the Cataclysm Rift"``."""
    m = re.search(
        r"\bto\s+((?:seal|stop|save|reach|find|escape|deliver|rescue|defeat|close|restore|win|protect|open|free)"
        r"\b[^.,;:!?]*)",
        text,
        flags=re.IGNORECASE,
    )
    return m.group(1).strip() if m else None


def singular(noun_phrase: str) -> str:
    """Naive singular of the last word (``"chronoglyph shards" -> "chronoglyph shard"``)."""
    parts = noun_phrase.split()
    if not parts:
        return noun_phrase
    last = parts[-1]
    if last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif last.endswith("s") and not last.endswith("ss") and len(last) > 3:
        last = last[:-1]
    return " ".join(parts[:-1] + [last])


def article(noun_phrase: str) -> str:
    return ("an " if noun_phrase[:1].lower() in "aeiou" else "a ") + noun_phrase


def sentence(text: str) -> str:
    """Capitalise the first letter and end with a full stop."""
    text = " ".join(text.split()).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def shorten(text: str, max_words: int) -> str:
    ws = text.split()
    return text if len(ws) <= max_words else " ".join(ws[:max_words])
