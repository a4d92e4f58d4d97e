"""Reconstruction: from a video to a metric, Z-up 3D world (``world.json``, ``world.glb``, ``points.ply``).

Multi-view with pycolmap when the clip has parallax; an honestly labelled single-view world when
it does not. See ``docs/reconstruction.md``.
"""

from worlddirector.reconstruction.pipeline import reconstruct

__all__ = ["reconstruct"]
