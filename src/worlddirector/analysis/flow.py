"""Dense optical flow (OpenCV DIS) and the global (camera) motion it implies.

Why DIS: it is the fastest dense flow in OpenCV (well under a millisecond per 160x90 pair on one
core) and good enough for what we ask of it: camera motion, motion segmentation and VBench-style
motion statistics. RAFT, which VBench uses, needs model weights and a GPU to be fast.

Flow between consecutive analysed frames is computed once at "flow resolution" (half the analysis
width) and shared by camera motion, tracks and metrics. Per pair we also fit a homography to a
grid of flow vectors with RANSAC: it describes what a rotating or far-away camera does to the
image, so the residual of a pixel against it is "motion not explained by the camera".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import cv2
import numpy as np

FLOW_WIDTH = 160
STILL_PX = 0.25
STILL_FRACTION = 0.6


@dataclass
class MotionField:
    """Per analysed pair i (frame i -> i+1): flow at flow resolution and camera-model summaries."""

    flow: np.ndarray  # (N-1, fh, fw, 2) float32, in flow-resolution pixels
    homography: np.ndarray  # (N-1, 3, 3) frame i -> i+1 in flow-resolution pixels
    translation: np.ndarray  # (N-1, 2) median flow (px at flow resolution)
    divergence: np.ndarray  # (N-1,) relative scale change per pair (zoom / dolly component)
    rotation: np.ndarray  # (N-1,) in-plane rotation per pair (radians)
    parallax: np.ndarray  # (N-1,) median |flow - homography| over the grid (px at flow res)
    magnitude: np.ndarray  # (N-1,) median |flow| (px at flow res)
    factor: float  # analysis pixels per flow pixel
    gray_small: np.ndarray  # (N, fh, fw) uint8 frames at flow resolution

    @cached_property
    def residual(self) -> np.ndarray:
        """(N-1, fh, fw) |flow - camera flow| per pair (camera flow from the pair homography):
        motion the camera does not explain. Computed once, shared by tracks and events."""
        return np.stack([_residual_flow(self, q) for q in range(len(self.flow))]) if len(self.flow) else (
            np.zeros((0,) + self.gray_small.shape[1:], np.float32))

    @cached_property
    def residual_around(self) -> np.ndarray:
        """``residual`` dilated 5x5 (the largest residual in each pixel's neighbourhood)."""
        k5 = np.ones((5, 5), np.uint8)
        return np.stack([cv2.dilate(r, k5) for r in self.residual]) if len(self.residual) else self.residual


def _dis(preset: int = cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST):
    return cv2.DISOpticalFlow_create(preset)


def downscale(gray: np.ndarray, width: int) -> np.ndarray:
    """Area-resize a stack of gray frames to ``width`` pixels wide."""
    n, h, w = gray.shape
    if w <= width:
        return gray
    hh = max(2, round(h * width / w))
    return area_resize_stack(gray, width, hh)


def area_resize_stack(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """``np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in frames])``.
    When both sides shrink by the same whole factor every output pixel is the mean of its own
    block of input pixels, so the frames stacked into one image are resized by one call (blocks
    never straddle two frames); otherwise frame by frame."""
    n, h, w = frames.shape[:3]
    s = w // width if width else 0
    if n and s >= 1 and w == s * width and h == s * height and frames.flags.c_contiguous:
        big = cv2.resize(frames.reshape((n * h, w) + frames.shape[3:]), (width, n * height), interpolation=cv2.INTER_AREA)
        return big.reshape((n, height, width) + frames.shape[3:])
    return np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in frames])


def _grid(h: int, w: int, step: int = 8) -> np.ndarray:
    ys, xs = np.mgrid[step // 2 : h : step, step // 2 : w : step]
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def compute_motion(gray: np.ndarray, width: int = FLOW_WIDTH) -> MotionField:
    """Flow and camera-model fit for every consecutive pair of ``gray`` (N, h, w) frames."""
    small = downscale(gray, width)
    n, fh, fw = small.shape
    dis = _dis()
    m = max(0, n - 1)
    flows = np.zeros((m, fh, fw, 2), np.float32)
    Hs = np.tile(np.eye(3, dtype=np.float64), (m, 1, 1))
    trans = np.zeros((m, 2))
    div = np.zeros(m)
    rot = np.zeros(m)
    par = np.zeros(m)
    mag = np.zeros(m)
    pts = _grid(fh, fw)
    xi, yi = pts[:, 0].astype(int), pts[:, 1].astype(int)
    c = np.array([fw / 2, fh / 2], np.float32)
    all_pts = pts
    for i in range(m):
        f = dis.calc(small[i], small[i + 1], None)
        flows[i] = f
        # flow is only trustworthy where there is texture: keep grid points with gradient
        gx = cv2.Sobel(small[i], cv2.CV_32F, 1, 0, ksize=3)[yi, xi]
        gy = cv2.Sobel(small[i], cv2.CV_32F, 0, 1, ksize=3)[yi, xi]
        textured = np.hypot(gx, gy) > 12.0
        sel = textured if textured.sum() >= 24 else np.ones(len(all_pts), bool)
        v_all = f[yi, xi]
        v = v_all[sel]
        p_sel = all_pts[sel]
        dst = p_sel + v
        speed = np.linalg.norm(v, axis=1)
        mag[i] = float(np.median(speed))
        trans[i] = np.median(v, axis=0)
        diff = cv2.absdiff(small[i], small[i + 1])
        if np.mean(speed < STILL_PX) > STILL_FRACTION or np.mean(diff < 4) > STILL_FRACTION + 0.2:
            H = np.eye(3)  # a still camera: most textured points (or most pixels) do not change
        else:
            H, _ = cv2.findHomography(p_sel, dst, cv2.RANSAC, 1.0, maxIters=200)
            if H is None:
                H = np.eye(3)
        Hs[i] = H
        proj = cv2.perspectiveTransform(p_sel[None].astype(np.float32), H)[0]
        par[i] = float(np.median(np.linalg.norm(proj - dst, axis=1)))
        # similarity fit (least squares): v = t + s*(p-c) + r*perp(p-c)
        q = p_sel - c
        A = np.zeros((2 * len(q), 4))
        A[0::2, 0] = 1
        A[1::2, 1] = 1
        A[0::2, 2] = q[:, 0]
        A[1::2, 2] = q[:, 1]
        A[0::2, 3] = -q[:, 1]
        A[1::2, 3] = q[:, 0]
        sol, *_ = np.linalg.lstsq(A, v.reshape(-1).astype(np.float64), rcond=None)
        div[i] = sol[2]
        rot[i] = sol[3]
    return MotionField(
        flow=flows,
        homography=Hs,
        translation=trans,
        divergence=div,
        rotation=rot,
        parallax=par,
        magnitude=mag,
        factor=gray.shape[2] / fw,
        gray_small=small,
    )


def flow_pair(a: np.ndarray, b: np.ndarray, preset: int = cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST) -> np.ndarray:
    """Dense flow a -> b (both gray uint8)."""
    return _dis(preset).calc(a, b, None)


def mean_absdiff(a: np.ndarray, b: np.ndarray) -> float:
    """``float(np.mean(cv2.absdiff(a, b)))`` of two uint8 images (2-D, or up to 4 channels):
    numpy's float64 mean of uint8 values is their integer sum (exact in any order below 2**53)
    over the count, and ``sumElems`` adds the channels' integers exactly in doubles; ~10x faster
    on a 320x180 RGB pair. Other inputs take numpy's path."""
    d = cv2.absdiff(a, b)
    if d.dtype != np.uint8 or d.ndim > 3 or (d.ndim == 3 and d.shape[2] > 4) or d.size * 255 >= 1 << 53:
        return float(np.mean(d))
    return sum(cv2.sumElems(d)) / d.size


@lru_cache(maxsize=8)
def _pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))


@lru_cache(maxsize=8)
def _pixel_grid2(h: int, w: int) -> np.ndarray:
    """(h, w, 2) float32 pixel coordinates (x, y), read-only (shared by every pair)."""
    g = np.stack(_pixel_grid(h, w), -1)
    g.flags.writeable = False
    return g


def warp_by_flow(img: np.ndarray, flow: np.ndarray, t: float = 1.0) -> np.ndarray:
    """Backward-warp ``img`` by ``t * flow`` (sample img at x + t*flow(x)).

    One interleaved float32 map (x, y per pixel) instead of two planes: the same float32 sums,
    and ``cv2.remap`` converts either form to the same fixed-point map, so the same pixels
    (``test_warp_by_flow_matches_two_plane_maps``); it saves slicing the flow into planes."""
    h, w = flow.shape[:2]
    xy = _pixel_grid2(h, w) + (flow if t == 1.0 else t * flow)
    return cv2.remap(img, xy, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@lru_cache(maxsize=8)
def _pixel_grid64(h: int, w: int) -> np.ndarray:
    """(h, w, 2) float64 pixel coordinates (x, y), read-only (shared by every pair)."""
    gx, gy = _pixel_grid(h, w)
    g = np.stack([gx, gy], -1).astype(np.float64)
    g.flags.writeable = False
    return g


_EYE = np.eye(3)


def camera_flow(H: np.ndarray, h: int, w: int, component: int | None = None) -> np.ndarray:
    """(h, w, 2) float32: the flow a pair homography ``H`` alone gives every pixel (the camera's part);
    with ``component`` (0: x, 1: y) only that component, (h, w). An identity ``H`` (a still
    camera, see :func:`compute_motion`) maps every pixel to itself: zeros, without the transform
    (which would compute ``x*1 + y*0 + 0`` = x exactly)."""
    if (H == _EYE).all():
        return np.zeros((h, w) if component is not None else (h, w, 2), np.float32)
    grid = _pixel_grid64(h, w)
    cam = cv2.perspectiveTransform(grid.reshape(-1, 1, 2), H.astype(np.float64)).reshape(h, w, 2)
    if component is None:
        return (cam - grid).astype(np.float32)
    return (cam[..., component] - grid[..., component]).astype(np.float32)


def _residual_flow(motion: MotionField, q: int) -> np.ndarray:
    """|flow - camera flow| of pair ``q`` (see :attr:`MotionField.residual`)."""
    f = motion.flow[q]
    d = f - camera_flow(motion.homography[q], *f.shape[:2])
    dx, dy = d[..., 0], d[..., 1]
    return np.sqrt(dx * dx + dy * dy)  # = np.linalg.norm(d, axis=2) bit for bit, 5x faster


def one_off_flow_jump(motion: MotionField, p: int, min_px: float, ratio: float) -> np.ndarray:
    """Bool mask of pixels whose residual flow at pair ``p`` makes a one-off jump: above ``min_px``
    and ``ratio`` x the largest residual the same neighbourhood (5x5) has in the two pairs on
    either side. A walker or a bounce moves about as much in neighbouring pairs; an object that
    jumps (or a flow that follows it to a new place) moves once. Empty at the first/last pair."""
    m = len(motion.flow)
    r = motion.residual[p]
    if p < 1 or p >= m - 1:
        return np.zeros(r.shape, bool)
    around = [q for q in range(max(0, p - 2), min(m, p + 3)) if q != p]
    ref = np.maximum.reduce([motion.residual_around[q] for q in around])
    return (r > min_px) & (r > ratio * ref)


FB_ERR = 0.5
"""Forward-backward Lucas-Kanade error (analysis pixels) above which a followed point is dropped."""
_LK = {"winSize": (9, 9), "maxLevel": 2}


def follow_points(gray: np.ndarray, a: int, b: int, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points (N, 2) at frame ``a`` of ``gray`` followed to frame ``b`` pair by pair (pyramidal
    Lucas-Kanade, checked forward-backward); returns (end points, ok)."""
    cur = pts.reshape(-1, 1, 2).astype(np.float32)
    ok = np.ones(len(pts), bool)
    for f in range(a, b):
        nxt, st, _ = cv2.calcOpticalFlowPyrLK(gray[f], gray[f + 1], cur, None, **_LK)
        back, st2, _ = cv2.calcOpticalFlowPyrLK(gray[f + 1], gray[f], nxt, None, **_LK)
        ok &= (st[:, 0] == 1) & (st2[:, 0] == 1) & (np.linalg.norm(back - cur, axis=2)[:, 0] < FB_ERR)
        cur = nxt
    return cur[:, 0], ok
