"""Video analysis: keyframes, shots, camera motion, object tracks and events, quality metrics.

Entry point: :func:`analyze_video` (video file -> ``analysis.json`` + ``keyframes/``). Works on any
video PyAV can read, not only the procedural generator's clips. See ``docs/analysis.md``.
"""

from worlddirector.analysis.pipeline import analyze_video

__all__ = ["analyze_video"]
