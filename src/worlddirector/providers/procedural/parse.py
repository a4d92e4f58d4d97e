"""Prompt → structured scene description (what was asked), before anything is sampled.

A small left-to-right reader, not a grammar: quantities, colours and sizes collect until a noun
takes them ("three small red crates"); a motion verb belongs to the noun before it ("a robot walks")
or, as an adjective, to the noun after it ("a rolling ball"); a verb such as "launches" after a
catapult or a person makes the *next* object the projectile. Setting, light and camera words are
global. Pin phrases (:data:`~.rates.PIN_PHRASES`) are matched first. Every content word that none
of these consumed is returned in ``unparsed`` so ``generation.json`` can show it.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from worlddirector.providers.procedural import vocab
from worlddirector.providers.procedural.kinds import KINDS
from worlddirector.providers.procedural.rates import PIN_PHRASES

MAX_PER_GROUP = 12
LAUNCHERS = {"catapult", "person", "robot"}


class ObjectGroup(BaseModel):
    kind: str
    count: int = 1
    color: str | None = None
    size_factor: float | None = None
    motion: str | None = None
    projectile_of: int | None = Field(None, description="index of the group that launches this one")
    words: list[str] = Field(default_factory=list)


class ParsedPrompt(BaseModel):
    setting: str | None = None
    room_scale: tuple[float, float] = (1.0, 1.0)
    light: str | None = None
    camera: str | None = None
    groups: list[ObjectGroup] = Field(default_factory=list)
    pins: list[str] = Field(default_factory=list, description="defect types the prompt pins down")
    pin_phrases: list[str] = Field(default_factory=list)
    unparsed: list[str] = Field(default_factory=list)
    ignored_settings: list[str] = Field(default_factory=list)


_TOKEN = re.compile(r"[a-z0-9][a-z0-9'\-]*")


def parse_prompt(prompt: str) -> ParsedPrompt:
    text = " " + re.sub(r"\s+", " ", prompt.lower()) + " "
    out = ParsedPrompt()
    # pin phrases first (longest first), blanked out so their words are not re-read
    for phrase in sorted(PIN_PHRASES, key=len, reverse=True):
        if re.search(rf"\b{re.escape(phrase)}\b", text):
            out.pin_phrases.append(phrase)
            for t in PIN_PHRASES[phrase]:
                if t not in out.pins:
                    out.pins.append(t)
            text = re.sub(rf"\b{re.escape(phrase)}\b", " ", text)
    text = text.replace("well lit", "well-lit").replace("golden hour", "golden-hour").replace("hand held", "handheld")
    tokens = _TOKEN.findall(text)
    camera_context = any(t in ("camera", "shot", "cam") for t in tokens)

    pend_count: int | None = None
    pend_color: str | None = None
    pend_sizes: list[str] = []
    pend_motion: str | None = None
    pending_projectile: int | None = None
    last: int | None = None
    weak_camera: str | None = None

    def reset() -> None:
        nonlocal pend_count, pend_color, pend_sizes, pend_motion
        pend_count, pend_color, pend_sizes, pend_motion = None, None, [], None

    for i, tok in enumerate(tokens):
        word = tok.strip("'-")
        word = word.removesuffix("'s")
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if word.isdigit():
            pend_count = max(1, min(int(word), MAX_PER_GROUP))
            continue
        if word in vocab.NUMBERS and (word not in ("a", "an") or pend_count is None):
            if word in ("a", "an"):
                pend_count = 1
            else:
                pend_count = vocab.NUMBERS[word]
            continue
        if word in vocab.COLORS:
            pend_color = vocab.COLOR_ALIASES.get(word, word)
            continue
        if word in vocab.SIZES or word in vocab.ROOM_SIZES:
            pend_sizes.append(word)
            continue
        if word in vocab.KINDS:
            kind = vocab.KINDS[word]
            size = None
            for s in pend_sizes:
                if s in vocab.SIZES:
                    size = (size or 1.0) * vocab.SIZES[s]
                elif s in ("wide", "long"):
                    size = (size or 1.0) * 1.2
                else:
                    out.unparsed.append(s)
            count = pend_count or 1
            if word.endswith("s") and word != kind and pend_count is None and word not in ("bus", "glass"):
                count = 2  # a bare plural ("crates") means a few
            g = ObjectGroup(kind=kind, count=min(count, MAX_PER_GROUP), color=pend_color, size_factor=size,
                            motion=pend_motion, words=[word])
            if pending_projectile is not None and g.motion is None:
                g.motion = "launch"
                g.projectile_of = pending_projectile
                pending_projectile = None
            out.groups.append(g)
            last = len(out.groups) - 1
            reset()
            continue
        if word in vocab.SETTINGS:
            setting = vocab.SETTINGS[word]
            if out.setting is None:
                out.setting = setting
                sx, sy = out.room_scale
                for s in pend_sizes:
                    if s in vocab.ROOM_SIZES:
                        fx, fy = vocab.ROOM_SIZES[s]
                    else:
                        fx = fy = vocab.SIZES[s] ** 0.5
                    sx, sy = sx * fx, sy * fy
                out.room_scale = (round(sx, 3), round(sy, 3))
            elif setting != out.setting and word not in out.ignored_settings:
                out.ignored_settings.append(word)
            reset()
            continue
        if word in vocab.LIGHTS or tok in vocab.LIGHTS:
            out.light = out.light or vocab.LIGHTS.get(tok, vocab.LIGHTS.get(word))
            continue
        if word in vocab.MOTIONS:
            motion = vocab.MOTIONS[word]
            in_phrase = pend_count is not None or pend_color is not None or bool(pend_sizes)
            if (last is None or in_phrase) and nxt not in ("camera",):
                pend_motion = motion
                continue
            g = out.groups[last]
            if motion == "launch" and g.kind in LAUNCHERS:
                pending_projectile = last
                continue
            if g.motion is None:
                g.motion = motion
            continue
        if word in vocab.CAMERA:
            if word not in vocab.CAMERA_WEAK:
                out.camera = out.camera or vocab.CAMERA[word]
            elif camera_context:  # "around", "follows", ...: only when nothing stronger names the move
                weak_camera = weak_camera or vocab.CAMERA[word]
            continue
        if word in vocab.STOPWORDS or len(word) <= 1:
            continue
        if word not in out.unparsed:
            out.unparsed.append(word)
    out.camera = out.camera or weak_camera
    for s in pend_sizes:  # size words that never found a noun
        if s not in out.unparsed:
            out.unparsed.append(s)
    if pending_projectile is not None:
        # "a catapult launches" with no projectile named: it throws a rock
        out.groups.append(ObjectGroup(kind="rock", count=1, size_factor=0.5, motion="launch",
                                      projectile_of=pending_projectile, words=[]))
    for g in out.groups:
        if g.motion is not None and g.motion not in KINDS[g.kind].motions and g.motion != "launch":
            g.words.append(f"(motion {g.motion} not possible for {g.kind})")
            g.motion = KINDS[g.kind].default_motion
    return out
