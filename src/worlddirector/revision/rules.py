"""The offline reviser's knowledge: which prompt clause answers which finding.

Each finding (an agent-report violation type, or an analysis metric below its threshold) maps to a
:class:`Rule`: a *key* naming what the clause controls, a ladder of wordings (level 1 is used first;
if the same problem shows up again after the clause was added, the next level replaces it), and the
reason shown to a person. Several findings share a key (``pop_in`` and ``pop_out`` are both about
objects staying in view), which is how edits are deduplicated.

The wordings are plain English that real video models follow, and they are chosen to contain the
phrases the offline procedural generator understands (``providers/procedural/rates.py``
``PIN_PHRASES``), and to avoid words its parser would read as scene content ("hovers" and "jumps"
are motions, "still" is a camera move, "room" is a setting), so the offline loop improves for the
same reason a real one would: the prompt pins down the property that went wrong. A test checks
every wording against the generator's parser.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    key: str
    levels: tuple[str, ...]
    reason: str
    priority: float = 1.0  # tie-breaker when the prompt must be shortened (higher = kept longer)

    def phrase(self, level: int) -> str:
        return self.levels[min(level, len(self.levels)) - 1]


# violation type (agent_report.json) -> rule
VIOLATION_RULES: dict[str, Rule] = {
    "floating": Rule(
        "support",
        (
            "objects rest firmly on the floor",
            "objects rest firmly on the floor, nothing floats",
        ),
        "objects had no support and fell when gravity was applied",
        1.4,
    ),
    "interpenetration": Rule(
        "solidity",
        (
            "solid objects never pass through each other or the walls",
            "solid objects with clear space between them, objects do not overlap or pass through the walls",
        ),
        "objects overlapped each other or the walls",
        1.4,
    ),
    "unstable_object": Rule(
        "stability",
        ("objects stand upright and stable", "objects stand upright and stable on flat ground"),
        "objects tipped or slid on their own",
        1.0,
    ),
    "unreachable_area": Rule(
        "layout",
        (
            "an open floor with clear connected walkways",
            "an open, uncluttered floor with wide connected walkways",
        ),
        "part of the walkable floor could not be reached by the agents",
        0.8,
    ),
    "agent_stuck": Rule(
        "clearance",
        ("wide clear paths between objects", "wide clear paths with plenty of space between objects"),
        "agents got stuck between obstacles",
        0.8,
    ),
    "tunneling": Rule(
        "floor",
        ("a solid, continuous floor", "a solid, flat, continuous floor with no gaps"),
        "an agent fell through the floor or passed through geometry",
        1.0,
    ),
    "pop_in": Rule(
        "persistence",
        (
            "objects stay visible the whole time",
            "objects stay visible the whole time, nothing appears or disappears",
        ),
        "objects appeared out of nowhere",
        1.3,
    ),
    "pop_out": Rule(
        "persistence",
        (
            "objects stay visible the whole time",
            "objects stay visible the whole time, nothing appears or disappears",
        ),
        "objects vanished mid-shot",
        1.3,
    ),
    "teleport": Rule(
        "continuity",
        ("smooth continuous motion", "smooth, continuous motion throughout, no teleporting"),
        "objects jumped from one place to another between frames",
        1.2,
    ),
    "size_drift": Rule(
        "scale",
        ("each object keeps a consistent size", "each object keeps a consistent size and shape throughout"),
        "objects grew or shrank over time",
        1.1,
    ),
    "flicker": Rule(
        "lighting",
        ("steady lighting", "even, constant lighting with no flicker"),
        "the brightness jumped between frames",
        1.2,
    ),
    "implausible_motion": Rule(
        "physics",
        (
            "realistic physics with natural gravity",
            "realistic physics with natural gravity and believable weight",
        ),
        "tracked motion did not follow gravity",
        1.0,
    ),
    "av_desync": Rule(
        "sound",
        (
            "sound in sync with the action",
            "sound in sync with the action, each sound exactly when its event happens",
        ),
        "sounds were out of step with the events that make them",
        0.9,
    ),
}

# analysis metric -> (threshold below which it counts as weak, rule)
METRIC_RULES: dict[str, tuple[float, Rule]] = {
    "temporal_flickering": (0.9, VIOLATION_RULES["flicker"]),
    "identity_persistence": (0.8, VIOLATION_RULES["pop_out"]),
    "subject_consistency": (0.8, VIOLATION_RULES["size_drift"]),
    "path_realism": (0.7, VIOLATION_RULES["teleport"]),
    "motion_smoothness": (0.7, VIOLATION_RULES["teleport"]),
    "background_consistency": (
        0.75,
        Rule(
            "background", ("a stable, unchanging background",), "the background changed between frames", 0.7
        ),
    ),
    "imaging_quality": (
        0.5,
        Rule("image", ("a sharp, well-exposed image",), "the image was blurry, noisy or badly exposed", 0.6),
    ),
    # av_sync is agreement near lag 0 over the best lag's (analysis/audio.py); at or below 0.45 another
    # alignment explains the sounds clearly better -- the av_desync check's MAX_AV_SYNC, kept equal
    "av_sync": (0.45, VIOLATION_RULES["av_desync"]),
}

# Phrases in the user's prompt that invite a problem. Removing them does not change the subject,
# action or setting; each is removed only when the matching problem was actually found.
INVITING_PHRASES: dict[str, tuple[str, ...]] = {
    "lighting": ("flickering", "flashing", "strobing", "strobe"),
    "continuity": ("glitchy", "glitching", "jerky", "stuttering"),
    "scale": ("shape-shifting", "morphing"),
}

ALL_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys([r.key for r in VIOLATION_RULES.values()] + [r.key for _, r in METRIC_RULES.values()])
)
