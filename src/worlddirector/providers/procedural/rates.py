"""How often ``--defects auto`` emulates each generative failure, and which phrases make it rarer.

Real text-to-video models fail in recognisable ways; a prompt that pins a property down (the way
the director's reviser does: "objects rest firmly on the floor", "steady lighting") makes the
matching failure less likely, but not impossible. These two tables are the whole model. They are
documented in ``docs/generator.md``; the reviser may use :data:`PIN_PHRASES` to phrase its edits.
"""

from __future__ import annotations

VISUAL_DEFECTS: tuple[str, ...] = (
    "floating", "interpenetration", "pop_in", "pop_out", "flicker", "teleport", "size_drift",
)
AUDIO_DEFECTS: tuple[str, ...] = ("av_desync", "silent")
ALL_DEFECTS: tuple[str, ...] = VISUAL_DEFECTS + AUDIO_DEFECTS

# probability that one instance of each type is injected into a clip under --defects auto
RATES: dict[str, float] = {
    "floating": 0.30,
    "interpenetration": 0.25,
    "pop_in": 0.20,
    "pop_out": 0.20,
    "flicker": 0.25,
    "teleport": 0.20,
    "size_drift": 0.20,
    "av_desync": 0.20,
    "silent": 0.05,
}

# a pinned property multiplies its rate by this factor
PIN_FACTOR = 0.15

# phrase (matched in the lower-cased prompt) -> defect types whose rate it lowers
PIN_PHRASES: dict[str, tuple[str, ...]] = {
    "rest firmly on the floor": ("floating",),
    "rests firmly on the floor": ("floating",),
    "resting firmly on the floor": ("floating",),
    "rest on the ground": ("floating",),
    "rests on the ground": ("floating",),
    "grounded": ("floating",),
    "nothing floats": ("floating",),
    "no floating": ("floating",),
    "objects do not overlap": ("interpenetration",),
    "do not pass through each other": ("interpenetration",),
    "solid objects": ("interpenetration",),
    "no clipping": ("interpenetration",),
    "keep clear of the walls": ("interpenetration",),
    "objects stay visible": ("pop_in", "pop_out"),
    "always visible": ("pop_in", "pop_out"),
    "objects persist": ("pop_in", "pop_out"),
    "nothing appears or disappears": ("pop_in", "pop_out"),
    "no objects appear or vanish": ("pop_in", "pop_out"),
    "steady lighting": ("flicker",),
    "constant lighting": ("flicker",),
    "stable lighting": ("flicker",),
    "even lighting": ("flicker",),
    "no flicker": ("flicker",),
    "smooth continuous motion": ("teleport",),
    "smooth motion": ("teleport",),
    "continuous motion": ("teleport",),
    "no jumps": ("teleport",),
    "consistent size": ("size_drift",),
    "consistent sizes": ("size_drift",),
    "constant size": ("size_drift",),
    "objects keep their size": ("size_drift",),
    "sound in sync": ("av_desync",),
    "synchronized sound": ("av_desync",),
    "sound matches the action": ("av_desync",),
    "with sound": ("silent",),
    "audible": ("silent",),
}

# the one canonical phrase per type (what a reviser should add to fix it)
CANONICAL_PIN: dict[str, str] = {
    "floating": "objects rest firmly on the floor",
    "interpenetration": "solid objects do not pass through each other",
    "pop_in": "objects stay visible",
    "pop_out": "objects stay visible",
    "flicker": "steady lighting",
    "teleport": "smooth continuous motion",
    "size_drift": "consistent size",
    "av_desync": "sound in sync",
    "silent": "with sound",
}
