"""Procedural surface textures (numpy), so structure-from-motion finds features on every surface.

All textures tile seamlessly (periodic noise), are generated from a fixed seed (identical in every
process, so renders are deterministic) and are cached per process. Environment textures carry
their own colour; object textures are near-grey detail that the object's colour multiplies, so a
"red crate" is still red at its centre pixel.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

TEX_SIZE = 512

# layer name -> index in the texture array (order is the array order)
LAYERS: tuple[str, ...] = (
    "detail", "wood", "metal", "tiles", "bricks", "plaster", "grass", "sand", "asphalt", "rock",
    "concrete", "bark", "leaves", "windows", "fabric", "macro", "skin",
)
LAYER = {name: i for i, name in enumerate(LAYERS)}


def _periodic_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth value noise in [0, 1] that tiles: a random cell grid, tiled 3x3, cubic-resized, cropped."""
    grid = rng.random((cells, cells), dtype=np.float64).astype(np.float32)
    big = np.tile(grid, (3, 3))
    up = cv2.resize(big, (size * 3, size * 3), interpolation=cv2.INTER_CUBIC)
    return up[size : 2 * size, size : 2 * size]


def fbm(rng: np.random.Generator, size: int = TEX_SIZE, base: int = 4, octaves: int = 6, gain: float = 0.55) -> np.ndarray:
    """Fractal noise normalised to [0, 1]."""
    out = np.zeros((size, size), np.float32)
    amp, total = 1.0, 0.0
    cells = base
    for _ in range(octaves):
        out += amp * _periodic_noise(rng, size, min(cells, size // 2))
        total += amp
        amp *= gain
        cells *= 2
    out /= total
    lo, hi = np.percentile(out, 1), np.percentile(out, 99)
    return np.clip((out - lo) / max(hi - lo, 1e-6), 0, 1)


def _speckle(rng: np.random.Generator, size: int, density: float) -> np.ndarray:
    """Sparse dots (blurred a little) for high-frequency, trackable detail."""
    dots = (rng.random((size, size)) < density).astype(np.float32)
    return np.clip(cv2.GaussianBlur(dots, (3, 3), 0.7) * 3.0, 0, 1)


def _rgb(gray: np.ndarray, c0, c1) -> np.ndarray:
    c0 = np.asarray(c0, np.float32) / 255.0
    c1 = np.asarray(c1, np.float32) / 255.0
    return gray[..., None] * (c1 - c0) + c0


def _make(name: str) -> np.ndarray:
    rng = np.random.default_rng(abs(hash_name(name)))
    s = TEX_SIZE
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    n = fbm(rng)
    sp = _speckle(rng, s, 0.004)
    if name == "detail":
        # strong enough for feature matching on objects, mild enough that the object's colour reads true
        g = 0.64 + 0.36 * n - 0.3 * sp
        return _rgb(g, (0, 0, 0), (255, 255, 255))
    if name == "skin":
        return _rgb(0.85 + 0.15 * n, (0, 0, 0), (255, 255, 255))
    if name == "fabric":
        weave = 0.5 + 0.5 * np.sin(xx * 2 * np.pi * 64) * np.sin(yy * 2 * np.pi * 64)
        return _rgb(0.72 + 0.16 * n + 0.1 * weave, (0, 0, 0), (255, 255, 255))
    if name == "wood":
        warp = fbm(rng, base=2, octaves=4)
        rings = 0.5 + 0.5 * np.sin((yy * 24 + warp * 3.0) * 2 * np.pi)
        planks = ((yy * 4) % 1.0 < 0.03).astype(np.float32)
        g = 0.62 + 0.22 * rings + 0.16 * n - 0.45 * planks - 0.15 * sp
        return _rgb(np.clip(g, 0, 1), (0, 0, 0), (255, 245, 225))
    if name == "metal":
        brushed = fbm(rng, base=64, octaves=2)
        panels = ((xx * 4) % 1.0 < 0.015) | ((yy * 4) % 1.0 < 0.015)
        g = 0.58 + 0.2 * brushed + 0.2 * n - 0.35 * sp
        g = np.where(panels, 0.3, g)
        rivets = ((xx * 8) % 1.0 - 0.5) ** 2 + ((yy * 8) % 1.0 - 0.5) ** 2 < 0.002
        g = np.where(rivets, 0.4, g)
        return _rgb(np.clip(g, 0, 1), (0, 0, 0), (240, 245, 255))
    if name == "tiles":
        tile = 8
        gx, gy = (xx * tile) % 1.0, (yy * tile) % 1.0
        grout = (gx < 0.04) | (gy < 0.04)
        idx = (np.floor(xx * tile) + 31 * np.floor(yy * tile)).astype(int)
        shade = np.random.default_rng(7).random(tile * 40)[idx % (tile * 40)]
        g = 0.55 + 0.2 * shade + 0.2 * n - 0.2 * sp
        g = np.where(grout, 0.25, g)
        return _rgb(np.clip(g, 0, 1), (40, 38, 36), (235, 228, 215))
    if name == "bricks":
        rows = 16
        row = np.floor(yy * rows)
        off = (row % 2) * 0.5
        bx = (xx * 8 + off) % 1.0
        by = (yy * rows) % 1.0
        mortar = (bx < 0.05) | (by < 0.1)
        idx = (np.floor(xx * 8 + off) + 17 * row).astype(int)
        shade = np.random.default_rng(11).random(400)[idx % 400]
        g = 0.45 + 0.3 * shade + 0.25 * n
        col = _rgb(np.clip(g, 0, 1), (70, 25, 15), (215, 110, 80))
        col[mortar] = np.array([0.72, 0.7, 0.66], np.float32) * (0.8 + 0.2 * n[mortar, None])
        return col
    if name == "plaster":
        stains = fbm(rng, base=3, octaves=5)
        grit = fbm(rng, base=64, octaves=2)
        g = 0.55 + 0.18 * n + 0.15 * stains + 0.12 * grit - 0.45 * sp
        return _rgb(np.clip(g, 0, 1), (60, 60, 58), (232, 226, 210))
    if name == "grass":
        blades = fbm(rng, base=96, octaves=2)
        g = 0.35 + 0.35 * blades + 0.3 * n
        col = _rgb(np.clip(g, 0, 1), (25, 55, 15), (130, 190, 70))
        flowers = _speckle(rng, s, 0.0015)[..., None]
        return np.clip(col * (1 - flowers) + flowers * np.array([0.95, 0.9, 0.5]), 0, 1)
    if name == "sand":
        ripples = 0.5 + 0.5 * np.sin((xx * 10 + fbm(rng, base=2, octaves=3) * 2) * 2 * np.pi)
        g = 0.55 + 0.15 * ripples + 0.25 * n - 0.2 * sp
        return _rgb(np.clip(g, 0, 1), (120, 90, 50), (245, 215, 160))
    if name == "asphalt":
        grit = fbm(rng, base=128, octaves=2)
        g = 0.3 + 0.25 * grit + 0.25 * n + 0.35 * sp
        col = _rgb(np.clip(g, 0, 1), (20, 20, 22), (150, 150, 155))
        lane = (np.abs(yy - 0.5) < 0.012) & ((xx * 4) % 1.0 < 0.6)
        col[lane] = np.array([0.9, 0.85, 0.5], np.float32)
        return col
    if name == "rock":
        cracks = np.abs(fbm(rng, base=6, octaves=5) - 0.5) < 0.02
        g = 0.35 + 0.45 * n + 0.2 * fbm(rng, base=32, octaves=3)
        g = np.where(cracks, g * 0.4, g)
        return _rgb(np.clip(g, 0, 1), (45, 40, 35), (185, 175, 160))
    if name == "concrete":
        g = 0.45 + 0.32 * n + 0.25 * fbm(rng, base=64, octaves=2) - 0.4 * sp
        seams = ((xx * 2) % 1.0 < 0.01) | ((yy * 2) % 1.0 < 0.01)
        g = np.where(seams, 0.3, g)
        return _rgb(np.clip(g, 0, 1), (50, 50, 52), (210, 208, 200))
    if name == "bark":
        streaks = fbm(rng, base=4, octaves=3)
        lines = 0.5 + 0.5 * np.sin((xx * 30 + streaks * 4) * 2 * np.pi)
        g = 0.35 + 0.35 * lines + 0.3 * n
        return _rgb(np.clip(g, 0, 1), (35, 22, 12), (140, 100, 65))
    if name == "leaves":
        blobs = fbm(rng, base=48, octaves=3)
        g = 0.3 + 0.5 * blobs + 0.2 * n
        return _rgb(np.clip(g, 0, 1), (15, 50, 15), (110, 180, 70))
    if name == "windows":
        wx, wy = (xx * 6) % 1.0, (yy * 8) % 1.0
        win = (wx > 0.2) & (wx < 0.8) & (wy > 0.25) & (wy < 0.8)
        idx = (np.floor(xx * 6) + 13 * np.floor(yy * 8)).astype(int)
        lit = np.random.default_rng(5).random(200)[idx % 200]
        base = _rgb(np.clip(0.6 + 0.25 * n, 0, 1), (60, 55, 50), (225, 215, 200))
        glass = _rgb(np.clip(0.25 + 0.5 * lit + 0.1 * n, 0, 1), (20, 30, 45), (170, 200, 225))
        return np.where(win[..., None], glass, base)
    if name == "macro":
        return _rgb(fbm(rng, base=3, octaves=4), (0, 0, 0), (255, 255, 255))
    raise KeyError(name)


def hash_name(name: str) -> int:
    """A stable (process-independent) hash; Python's ``hash`` is salted per process."""
    import zlib

    return zlib.crc32(name.encode())


VERSION = 4  # bump when any texture changes (invalidates the disk cache)


def _cache_path():
    import os
    from pathlib import Path

    root = Path(os.environ.get("WD_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "worlddirector" / f"textures-v{VERSION}-{TEX_SIZE}-{len(LAYERS)}.npy"


@lru_cache(maxsize=1)
def texture_array() -> np.ndarray:
    """All layers as uint8 (layers, size, size, 3); synthesised once, then read from a disk cache.

    Synthesis is deterministic, so the cache only saves time (about a second); a missing, unreadable
    or wrong-shaped cache file is simply rebuilt.
    """
    import os

    path = _cache_path()
    shape = (len(LAYERS), TEX_SIZE, TEX_SIZE, 3)
    try:
        arr = np.load(path)
        if arr.shape == shape and arr.dtype == np.uint8:
            return arr
    except (OSError, ValueError):
        pass
    arr = np.stack([(np.clip(_make(n), 0, 1) * 255 + 0.5).astype(np.uint8) for n in LAYERS])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, arr)
        os.replace(tmp, path)
    except OSError:
        pass
    return arr
