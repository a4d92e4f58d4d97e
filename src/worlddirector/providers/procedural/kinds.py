"""The object kinds the generator can draw: size, default colours, how they move, and their meshes.

Each mesh is a handful of :class:`~.meshes.Part` primitives placed around the object's bounding-box
centre (+X is the direction the object faces and travels, +Z up, the feet / wheels / base touch
``z = -size_z / 2``). Sizes are real-world metres so reconstruction can recover true scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from worlddirector.providers.procedural.meshes import Part

DARK = (45, 45, 50)
METAL = (150, 155, 160)
SKIN = (224, 180, 150)
WOOD = (150, 105, 60)
GLASS = (60, 80, 100)
LEAF = (255, 255, 255)


@dataclass(frozen=True)
class KindSpec:
    name: str
    size: tuple[float, float, float]
    colors: tuple[str, ...]
    static: bool
    default_motion: str | None
    motions: frozenset[str]
    build: Callable[[], list[Part]]
    floor_resting: bool = True
    """Rests on the floor when static (candidate for the ``floating`` defect)."""


def _person() -> list[Part]:
    legs = (45, 55, 80)
    return [
        Part("box", (0, 0.1, -0.45), (0.15, 0.15, 0.85), legs, "fabric", anim=("leg", (0, 0, -0.03), 0.5, 0.0)),
        Part("box", (0, -0.1, -0.45), (0.15, 0.15, 0.85), legs, "fabric", anim=("leg", (0, 0, -0.03), 0.5, 3.1416)),
        Part("box", (0, 0, 0.27), (0.26, 0.42, 0.62), "body", "fabric"),
        Part("sphere", (0, 0, 0.73), (0.24, 0.22, 0.27), SKIN, "skin"),
        Part("box", (0, 0.27, 0.27), (0.11, 0.11, 0.6), "body", "fabric", anim=("swing", (0, 0.27, 0.55), 0.45, 3.1416)),
        Part("box", (0, -0.27, 0.27), (0.11, 0.11, 0.6), "body", "fabric", anim=("swing", (0, -0.27, 0.55), 0.45, 0.0)),
    ]


def _robot() -> list[Part]:
    return [
        Part("box", (0, 0.14, -0.47), (0.18, 0.18, 0.56), METAL, "metal", anim=("leg", (0, 0, -0.2), 0.4, 0.0)),
        Part("box", (0, -0.14, -0.47), (0.18, 0.18, 0.56), METAL, "metal", anim=("leg", (0, 0, -0.2), 0.4, 3.1416)),
        Part("box", (0, 0, 0.06), (0.42, 0.5, 0.6), "body", "metal"),
        Part("box", (0, 0, 0.55), (0.32, 0.32, 0.3), "body", "metal"),
        Part("box", (0.165, 0, 0.58), (0.03, 0.26, 0.08), (60, 220, 255), "detail", emit=0.8),
        Part("cylinder", (0, 0, 0.73), (0.03, 0.03, 0.1), DARK, "metal"),
        Part("box", (0, 0.31, 0.05), (0.12, 0.12, 0.55), METAL, "metal", anim=("swing", (0, 0.31, 0.3), 0.35, 3.1416)),
        Part("box", (0, -0.31, 0.05), (0.12, 0.12, 0.55), METAL, "metal", anim=("swing", (0, -0.31, 0.3), 0.35, 0.0)),
    ]


def _dog() -> list[Part]:
    leg = [(0.28, 0.09), (0.28, -0.09), (-0.28, 0.09), (-0.28, -0.09)]
    parts = [
        Part("box", (0, 0, 0.08), (0.7, 0.26, 0.24), "body", "fabric"),
        Part("box", (0.42, 0, 0.2), (0.22, 0.18, 0.18), "body", "fabric"),
        Part("box", (0.55, 0, 0.17), (0.1, 0.1, 0.08), DARK, "detail"),
        Part("box", (-0.4, 0, 0.16), (0.2, 0.05, 0.05), "body", "fabric", rot=(0, -30, 0)),
    ]
    for i, (x, y) in enumerate(leg):
        parts.append(Part("box", (x, y, -0.15), (0.07, 0.07, 0.3), "body", "fabric",
                          anim=("leg", (x, y, 0.0), 0.55, 3.1416 * ((i + i // 2) % 2))))
    return parts


def leg_geometry(kind: str) -> tuple[float, float, float] | None:
    """``(length, width, pivot_z)`` of a kind's legs (its ``leg`` parts, at scale 1), or None.

    ``length`` runs from the hip pivot to the sole, ``width`` is the leg's extent along +X (the sole's
    length), ``pivot_z`` the hip's height in the object frame (all legs of a kind are alike).
    """
    legs = [p for p in KINDS[kind].build() if p.anim and p.anim[0] == "leg"]
    if not legs:
        return None
    p = legs[0]
    pz = float(p.anim[1][2])
    return pz - (p.center[2] - p.dims[2] / 2), float(p.dims[0]), pz


def _car() -> list[Part]:
    parts = [
        Part("box", (0, 0, -0.2), (4.2, 1.8, 0.65), "body", "metal"),
        Part("box", (-0.2, 0, 0.39), (2.2, 1.6, 0.55), "body", "metal"),
        Part("box", (0.2, 0, 0.39), (1.2, 1.62, 0.4), GLASS, "detail"),
        Part("box", (-1.0, 0, 0.39), (0.5, 1.62, 0.4), GLASS, "detail"),
        Part("box", (2.08, 0.6, -0.15), (0.06, 0.3, 0.15), (250, 250, 220), "detail", emit=0.9),
        Part("box", (2.08, -0.6, -0.15), (0.06, 0.3, 0.15), (250, 250, 220), "detail", emit=0.9),
    ]
    for x in (1.3, -1.3):
        for y in (0.82, -0.82):
            parts.append(Part("cylinder", (x, y, -0.39), (0.66, 0.66, 0.25), DARK, "asphalt",
                              rot=(90, 0, 0), anim=("roll", (x, y, -0.39), 0.33)))
    return parts


def _truck() -> list[Part]:
    parts = [
        Part("box", (1.9, 0, -0.15), (1.8, 2.2, 1.9), "body", "metal"),
        Part("box", (2.55, 0, 0.35), (0.5, 2.22, 0.7), GLASS, "detail"),
        Part("box", (-0.9, 0, 0.15), (4.0, 2.3, 2.5), (225, 225, 220), "metal"),
        Part("box", (0, 0, -1.0), (6.0, 1.6, 0.3), DARK, "metal"),
    ]
    for x in (2.0, -0.5, -2.0):
        for y in (1.0, -1.0):
            parts.append(Part("cylinder", (x, y, -0.95), (0.9, 0.9, 0.3), DARK, "asphalt",
                              rot=(90, 0, 0), anim=("roll", (x, y, -0.95), 0.45)))
    return parts


def _tree() -> list[Part]:
    return [
        Part("cylinder", (0, 0, -1.15), (0.35, 0.35, 2.2), WOOD, "bark"),
        Part("cone", (0, 0, 0.6), (1.8, 1.8, 2.2), "body", "leaves"),
        Part("cone", (0, 0, 1.55), (1.3, 1.3, 1.4), "body", "leaves"),
    ]


def _bush() -> list[Part]:
    return [
        Part("sphere", (0.15, 0.1, -0.05), (0.9, 0.9, 0.8), "body", "leaves"),
        Part("sphere", (-0.2, -0.15, -0.12), (0.75, 0.75, 0.65), "body", "leaves"),
    ]


def _crate() -> list[Part]:
    return [
        Part("box", (0, 0, 0), (0.9, 0.9, 0.9), "body", "wood"),
        Part("box", (0, 0, 0.0), (0.92, 0.92, 0.1), "body", "wood"),
    ]


def _table() -> list[Part]:
    parts = [Part("box", (0, 0, 0.335), (1.6, 0.9, 0.08), "body", "wood")]
    for x in (0.7, -0.7):
        for y in (0.35, -0.35):
            parts.append(Part("box", (x, y, -0.04), (0.08, 0.08, 0.67), "body", "wood"))
    return parts


def _chair() -> list[Part]:
    parts = [
        Part("box", (0, 0, -0.02), (0.5, 0.5, 0.06), "body", "wood"),
        Part("box", (-0.22, 0, 0.24), (0.06, 0.5, 0.46), "body", "wood"),
    ]
    for x in (0.21, -0.21):
        for y in (0.21, -0.21):
            parts.append(Part("box", (x, y, -0.26), (0.05, 0.05, 0.43), "body", "wood"))
    return parts


def _lamp() -> list[Part]:
    return [
        Part("cylinder", (0, 0, -1.25), (0.4, 0.4, 0.1), DARK, "metal"),
        Part("cylinder", (0, 0, -0.1), (0.08, 0.08, 2.2), "body", "metal"),
        Part("sphere", (0, 0, 1.1), (0.38, 0.38, 0.38), (255, 240, 190), "detail", emit=1.0),
    ]


def _pillar() -> list[Part]:
    return [
        Part("box", (0, 0, 0), (0.6, 0.6, 3.0), "body", "concrete"),
        Part("box", (0, 0, -1.45), (0.75, 0.75, 0.1), "body", "concrete"),
    ]


def _ball() -> list[Part]:
    return [Part("sphere", (0, 0, 0), (0.5, 0.5, 0.5), "body", "detail", anim=("roll", (0, 0, 0), 0.25)),
            Part("box", (0, 0, 0), (0.505, 0.06, 0.505), (245, 245, 240), "detail", anim=("roll", (0, 0, 0), 0.25))]


def _rock() -> list[Part]:
    return [
        Part("sphere", (0.05, 0, -0.05), (1.0, 0.85, 0.6), "body", "rock", rot=(0, 0, 20)),
        Part("sphere", (-0.2, 0.1, 0.08), (0.6, 0.55, 0.5), "body", "rock", rot=(10, 0, -30)),
    ]


def _barrel() -> list[Part]:
    return [
        Part("cylinder", (0, 0, 0), (0.6, 0.6, 0.9), "body", "metal"),
        Part("cylinder", (0, 0, 0.25), (0.62, 0.62, 0.06), DARK, "metal"),
        Part("cylinder", (0, 0, -0.25), (0.62, 0.62, 0.06), DARK, "metal"),
    ]


def _fence() -> list[Part]:
    parts = [Part("box", (0, 0, 0.25), (3.0, 0.06, 0.12), "body", "wood"),
             Part("box", (0, 0, -0.15), (3.0, 0.06, 0.12), "body", "wood")]
    for x in (-1.45, -0.5, 0.5, 1.45):
        parts.append(Part("box", (x, 0, 0), (0.1, 0.1, 1.1), "body", "wood"))
    return parts


def _building() -> list[Part]:
    return [
        Part("box", (0, 0, -0.15), (8.0, 8.0, 12.0), "body", "windows"),
        Part("box", (0, 0, 6.0), (8.2, 8.2, 0.3), DARK, "concrete"),
        Part("box", (4.02, 0, -5.15), (0.1, 1.6, 2.0), (70, 50, 35), "wood"),
    ]


def _catapult() -> list[Part]:
    parts = [
        Part("box", (0, 0.6, -0.5), (2.4, 0.15, 0.15), "body", "wood"),
        Part("box", (0, -0.6, -0.5), (2.4, 0.15, 0.15), "body", "wood"),
        Part("box", (0.9, 0, -0.5), (0.15, 1.2, 0.15), "body", "wood"),
        Part("box", (-0.9, 0, -0.5), (0.15, 1.2, 0.15), "body", "wood"),
        Part("box", (-0.1, 0.55, -0.1), (0.15, 0.12, 0.8), "body", "wood"),
        Part("box", (-0.1, -0.55, -0.1), (0.15, 0.12, 0.8), "body", "wood"),
        Part("box", (-0.1, 0, 0.3), (0.15, 1.2, 0.12), "body", "wood"),
        # the throwing arm pivots on the cross beam; at angle 0 it lies back along -X
        Part("box", (-0.85, 0, 0.36), (1.5, 0.12, 0.12), "body", "wood", anim=("arm", (-0.1, 0, 0.3))),
        Part("box", (-1.45, 0, 0.45), (0.3, 0.35, 0.12), (45, 45, 50), "wood", anim=("arm", (-0.1, 0, 0.3))),
    ]
    for x in (0.8, -0.8):
        for y in (0.72, -0.72):
            parts.append(Part("cylinder", (x, y, -0.5), (0.6, 0.6, 0.1), WOOD, "wood", rot=(90, 0, 0)))
    return parts


def _bench() -> list[Part]:
    parts = [Part("box", (0, 0.02, -0.02), (1.6, 0.45, 0.06), "body", "wood"),
             Part("box", (0, -0.21, 0.22), (1.6, 0.05, 0.35), "body", "wood")]
    for x in (0.7, -0.7):
        parts.append(Part("box", (x, 0, -0.24), (0.08, 0.4, 0.37), DARK, "metal"))
    return parts


def _cone() -> list[Part]:
    return [Part("box", (0, 0, -0.33), (0.42, 0.42, 0.04), DARK, "detail"),
            Part("cone", (0, 0, 0.02), (0.34, 0.34, 0.66), "body", "detail"),
            Part("cylinder", (0, 0, 0.05), (0.24, 0.24, 0.1), (240, 240, 240), "detail")]


def _drone() -> list[Part]:
    parts = [Part("box", (0, 0, 0), (0.3, 0.3, 0.14), "body", "metal"),
             Part("box", (0, 0, 0.02), (0.9, 0.05, 0.04), DARK, "metal", rot=(0, 0, 45)),
             Part("box", (0, 0, 0.02), (0.9, 0.05, 0.04), DARK, "metal", rot=(0, 0, -45))]
    for x, y in ((0.32, 0.32), (0.32, -0.32), (-0.32, 0.32), (-0.32, -0.32)):
        parts.append(Part("cylinder", (x, y, 0.08), (0.28, 0.28, 0.02), (200, 200, 205), "detail",
                          anim=("rotor", (x, y, 0.08))))
    return parts


def _bird() -> list[Part]:
    return [
        Part("sphere", (0, 0, 0), (0.45, 0.18, 0.16), "body", "detail"),
        Part("cone", (0.27, 0, 0.01), (0.06, 0.06, 0.1), (240, 170, 40), "detail", rot=(0, 90, 0)),
        Part("box", (0, 0.2, 0.02), (0.2, 0.35, 0.02), "body", "detail", anim=("flap", (0, 0.05, 0.02), 0.7, 0.0)),
        Part("box", (0, -0.2, 0.02), (0.2, 0.35, 0.02), "body", "detail", anim=("flap", (0, -0.05, 0.02), -0.7, 0.0)),
    ]


def _statue() -> list[Part]:
    return [
        Part("box", (0, 0, -0.9), (1.0, 1.0, 0.8), (190, 185, 175), "concrete"),
        Part("box", (0, 0, 0.2), (0.45, 0.55, 1.1), "body", "rock"),
        Part("sphere", (0, 0, 1.0), (0.4, 0.4, 0.5), "body", "rock"),
    ]


def _shelf() -> list[Part]:
    parts = [Part("box", (0, 0.48, 0), (0.45, 0.04, 2.0), "body", "wood"),
             Part("box", (0, -0.48, 0), (0.45, 0.04, 2.0), "body", "wood"),
             Part("box", (-0.21, 0, 0), (0.03, 1.0, 2.0), "body", "wood")]
    for i, z in enumerate((-0.95, -0.45, 0.05, 0.55, 0.98)):
        parts.append(Part("box", (0, 0, z), (0.45, 1.0, 0.04), "body", "wood"))
        if i < 4:
            parts.append(Part("box", (0, 0.2 - 0.12 * i, z + 0.14), (0.3, 0.25, 0.24),
                              [(190, 60, 50), (60, 110, 180), (220, 190, 70), (70, 150, 90)][i], "detail"))
    return parts


def _sign() -> list[Part]:
    return [Part("cylinder", (0, 0, -0.35), (0.08, 0.08, 1.5), METAL, "metal"),
            Part("box", (0, 0, 0.7), (0.08, 0.8, 0.6), "body", "detail"),
            Part("box", (0.045, 0, 0.7), (0.01, 0.5, 0.1), (250, 250, 250), "detail")]


ANIMATE_GROUND = frozenset({"walk", "run"})
ALL_GROUND = frozenset({"walk", "run", "roll", "fall", "bounce", "launch"})

KINDS: dict[str, KindSpec] = {k.name: k for k in (
    KindSpec("person", (0.6, 0.66, 1.75), ("blue", "red", "green", "yellow", "orange", "purple", "white", "gray"),
             False, "walk", frozenset({"walk", "run", "fall", "bounce"}), _person),
    KindSpec("robot", (0.6, 0.74, 1.5), ("silver", "white", "orange", "yellow", "blue", "red"),
             False, "walk", frozenset({"walk", "run", "fall", "bounce", "fly"}), _robot),
    KindSpec("dog", (1.0, 0.3, 0.6), ("brown", "tan", "black", "white", "gray"),
             False, "walk", frozenset({"walk", "run", "bounce"}), _dog),
    KindSpec("car", (4.2, 1.8, 1.45), ("red", "blue", "white", "black", "silver", "yellow", "green"),
             False, "drive", frozenset({"drive", "roll", "fall", "fly"}), _car),
    KindSpec("truck", (6.0, 2.3, 2.8), ("white", "red", "blue", "orange", "green"),
             False, "drive", frozenset({"drive", "roll"}), _truck),
    KindSpec("tree", (1.8, 1.8, 4.5), ("green",), True, None, frozenset({"fall"}), _tree),
    KindSpec("bush", (1.2, 1.2, 0.9), ("green",), True, None, frozenset(), _bush),
    KindSpec("crate", (0.92, 0.92, 0.9), ("tan", "brown", "orange", "beige"), True, None,
             frozenset({"fall", "roll", "fly", "bounce", "launch"}), _crate),
    KindSpec("table", (1.6, 0.9, 0.75), ("brown", "tan", "white", "black"), True, None, frozenset({"fall"}), _table),
    KindSpec("chair", (0.5, 0.5, 0.95), ("brown", "black", "red", "white", "blue"), True, None,
             frozenset({"fall", "roll"}), _chair),
    KindSpec("lamp", (0.4, 0.4, 2.6), ("black", "gray", "silver"), True, None, frozenset({"fall"}), _lamp),
    KindSpec("pillar", (0.75, 0.75, 3.0), ("gray", "white", "beige"), True, None, frozenset(), _pillar),
    KindSpec("ball", (0.5, 0.5, 0.5), ("red", "blue", "yellow", "orange", "green", "purple"), False, "roll",
             frozenset({"roll", "bounce", "fall", "fly", "launch"}), _ball),
    KindSpec("rock", (1.1, 0.9, 0.74), ("gray", "brown", "tan"), True, None,
             frozenset({"fall", "roll", "launch", "bounce"}), _rock),
    KindSpec("barrel", (0.62, 0.62, 0.9), ("red", "blue", "brown", "green", "yellow", "orange"), True, None,
             frozenset({"roll", "fall", "launch"}), _barrel),
    KindSpec("fence", (3.0, 0.1, 1.1), ("brown", "white", "tan"), True, None, frozenset(), _fence),
    KindSpec("building", (8.2, 8.2, 12.3), ("beige", "gray", "tan", "white", "brown"), True, None,
             frozenset(), _building, floor_resting=False),
    KindSpec("catapult", (3.1, 1.6, 1.6), ("brown",), True, None, frozenset({"launch", "roll"}), _catapult),
    KindSpec("bench", (1.6, 0.5, 0.82), ("brown", "green", "black"), True, None, frozenset({"fall"}), _bench),
    KindSpec("cone", (0.42, 0.42, 0.7), ("orange",), True, None, frozenset({"fall", "roll", "bounce"}), _cone),
    KindSpec("drone", (0.9, 0.9, 0.2), ("black", "white", "gray", "red"), False, "fly",
             frozenset({"fly", "fall"}), _drone, floor_resting=False),
    KindSpec("bird", (0.55, 0.8, 0.2), ("black", "white", "gray", "brown", "blue"), False, "fly",
             frozenset({"fly", "walk"}), _bird, floor_resting=False),
    KindSpec("statue", (1.0, 1.0, 2.6), ("gray", "white", "gold"), True, None, frozenset({"fall"}), _statue),
    KindSpec("shelf", (0.45, 1.0, 2.0), ("brown", "gray", "white"), True, None, frozenset({"fall"}), _shelf),
    KindSpec("sign", (0.1, 0.8, 2.2), ("red", "blue", "green", "yellow"), True, None, frozenset({"fall"}), _sign),
)}
