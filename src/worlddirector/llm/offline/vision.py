"""Offline keyframe description with OpenCV: colours, sky/ground, salient blobs and their layout.

No model: the background is estimated as the image's dominant colours (k-means on a downscaled
frame); pixels far from every background colour form salient blobs; each blob becomes an object
with a colour name, a position hint and a size; objects with the same colour are matched across
keyframes to say whether they move. It cannot name things ("a car"), so labels are colour-shape
labels ("red blob"), and the setting is a guess from where sky-, grass-, sand- or water-like colours
sit in the frame. That is honest and still useful for continuity checks.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from worlddirector import colors
from worlddirector.errors import BadInputError
from worlddirector.llm.schemas import Relation, SceneGraph, SceneObject

_WORK = 160  # analysis width


def color_name(bgr) -> str:
    """The shared colour word (:func:`worlddirector.colors.color_name`) for a BGR colour."""
    return colors.color_name(np.asarray(bgr)[::-1])


def _load(path: Path) -> np.ndarray:
    if not Path(path).is_file():
        raise BadInputError(f"{path}: keyframe image not found")
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise BadInputError(f"{path}: not a readable image")
    h, w = img.shape[:2]
    scale = _WORK / max(w, 1)
    return cv2.resize(img, (_WORK, max(8, int(round(h * scale)))), interpolation=cv2.INTER_AREA)


def _dominant(img: np.ndarray, k: int = 4) -> list[tuple[np.ndarray, float]]:
    return colors.dominant_colors(img, k)


def _band_color(img: np.ndarray, y0: float, y1: float) -> str:
    h = img.shape[0]
    band = img[int(h * y0): max(int(h * y1), int(h * y0) + 1)]
    return color_name(np.median(band.reshape(-1, 3), axis=0))


def _blobs(img: np.ndarray, background: list[np.ndarray]) -> list[dict]:
    """Salient regions: pixels far from both background models.

    Two models, because scenes are layered (sky over horizon over ground): the median colour of each
    row band (an object rarely fills half a row) and the frame's large dominant colours (clouds in a
    sky, patterned floors). A pixel is salient only when it is far from both.
    """
    lab = cv2.cvtColor(img, cv2.COLOR_BGR2LAB).astype(np.float32)
    bg_lab = [cv2.cvtColor(np.uint8([[c]]), cv2.COLOR_BGR2LAB)[0, 0].astype(np.float32) for c in background]
    dist_global = np.min(np.stack([np.linalg.norm(lab - b, axis=2) for b in bg_lab]), axis=0)
    row_med = np.median(lab, axis=1)  # (H, 3)
    row_med = cv2.GaussianBlur(row_med.reshape(-1, 1, 3), (1, 7), 0).reshape(-1, 3)
    dist_rows = np.linalg.norm(lab - row_med[:, None, :], axis=2)
    dist = np.minimum(dist_global, dist_rows)
    mask = (dist > 40).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, labels, stats, cents = cv2.connectedComponentsWithStats(mask, connectivity=8)
    H, W = img.shape[:2]
    out = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if area < 0.002 * H * W or area > 0.5 * H * W:
            continue
        color = np.median(img[labels == i], axis=0)
        out.append(dict(box=(x / W, y / H, (x + w) / W, (y + h) / H), area=area / (H * W),
                        center=(cents[i][0] / W, cents[i][1] / H), color=color_name(color)))
    out.sort(key=lambda b: -b["area"])
    return out[:6]


def _position(b: dict, horizon: float) -> str:
    cx, cy = b["center"]
    horiz = "left" if cx < 0.36 else "right" if cx > 0.64 else "centre"
    bottom = b["box"][3]
    vert = "on the ground" if bottom >= horizon else "in the air" if bottom < horizon - 0.1 else "near the horizon"
    return f"{horiz}, {vert}"


def _size(area: float) -> str:
    return "small" if area < 0.02 else "medium" if area < 0.1 else "large"


def _setting(img: np.ndarray) -> tuple[str, float]:
    """A guess at the place from the colours of the top and bottom bands; returns (setting, horizon y)."""
    top, bottom = _band_color(img, 0.0, 0.25), _band_color(img, 0.75, 1.0)
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    row_v = hsv[..., 2].mean(axis=1)
    grad = np.abs(np.diff(cv2.GaussianBlur(row_v.reshape(-1, 1), (1, 5), 0).ravel()))
    lo, hi = int(len(grad) * 0.2), int(len(grad) * 0.8)
    horizon = (lo + int(np.argmax(grad[lo:hi]))) / img.shape[0] if hi > lo else 0.5
    sky = top in ("blue", "cyan", "white") or (top == "gray" and hsv[: img.shape[0] // 4, :, 2].mean() > 150)
    ground = {"green": "grass", "yellow": "sand", "orange": "sand", "brown": "dirt or wood", "blue": "water",
              "cyan": "water", "white": "snow or a pale floor", "gray": "stone or concrete",
              "black": "a dark floor"}.get(bottom, f"a {bottom} floor")
    where = "outdoors" if sky else "indoors or enclosed"
    return f"{where}, {ground} below, {top} {'sky' if sky else 'backdrop'}", horizon


def _lighting(img: np.ndarray) -> str:
    v = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 2].mean()
    return "dark or night" if v < 60 else "dim" if v < 110 else "bright daylight" if v > 170 else "even light"


def describe(images: list[Path], hint: str = "") -> SceneGraph:
    if not images:
        raise BadInputError("no keyframes to describe")
    frames = [_load(Path(p)) for p in images]
    doms = [_dominant(f) for f in frames]
    first = frames[len(frames) // 2]
    dom = doms[len(frames) // 2]
    background = [c for c, share in dom if share >= 0.2] or [dom[0][0]]
    setting, horizon = _setting(first)

    tracks: dict[str, list[dict]] = {}
    for img, d in zip(frames, doms):
        bg = [c for c, share in d if share >= 0.2] or background
        seen: set[str] = set()
        for b in _blobs(img, bg):
            if b["color"] in seen:
                continue
            seen.add(b["color"])
            tracks.setdefault(b["color"], []).append(b)

    objects: list[SceneObject] = []
    anchors: list[tuple[str, dict]] = []
    for color, obs in sorted(tracks.items(), key=lambda kv: -max(b["area"] for b in kv[1]))[:6]:
        b = max(obs, key=lambda o: o["area"])
        dx = obs[-1]["center"][0] - obs[0]["center"][0]
        dy = obs[-1]["center"][1] - obs[0]["center"][1]
        if len(obs) < 2 or (abs(dx) < 0.05 and abs(dy) < 0.05):
            motion = "static" if len(obs) == len(frames) else "appears in some keyframes only"
        else:
            motion = ("moves " + ("right" if dx > 0 else "left") if abs(dx) >= abs(dy)
                      else "moves " + ("down" if dy > 0 else "up"))
        label = f"{color} {'object' if _size(b['area']) != 'large' else 'shape'}"
        objects.append(SceneObject(label=label, color=color, position_hint=_position(b, horizon),
                                   size_hint=_size(b["area"]), motion=motion))
        anchors.append((label, b))

    relations: list[Relation] = []
    for i in range(len(anchors)):
        for j in range(i + 1, len(anchors)):
            (la, a), (lb, b) = anchors[i], anchors[j]
            if abs(a["center"][0] - b["center"][0]) > 0.1:
                rel = "left_of" if a["center"][0] < b["center"][0] else "right_of"
            elif a["center"][1] < b["center"][1]:
                rel = "above"
            else:
                rel = "below"
            relations.append(Relation(subject=la, relation=rel, object=lb))
    relations = relations[:8]

    colors = []
    for c, _share in dom:
        n = color_name(c)
        if n not in colors:
            colors.append(n)
    lighting = _lighting(first)
    moving = [o.label for o in objects if o.motion.startswith("moves")]
    desc = f"{setting.capitalize()}, {lighting}; {len(objects)} salient object(s)"
    if objects:
        desc += " (" + ", ".join(f"{o.label} {o.position_hint}" for o in objects[:3]) + ")"
    if moving:
        desc += "; moving: " + ", ".join(moving)
    if hint:
        desc += f". Prompt hint: {' '.join(hint.split()[:20])}"
    return SceneGraph(setting=setting, lighting=lighting, dominant_colors=colors, objects=objects,
                      relations=relations, description=desc + ".")
