"""The offline procedural video provider: prompt → scene → rendered H.264 clip with ground truth.

Public entry point: :func:`generate_clip`. See ``docs/generator.md`` for the vocabulary, the
conventions and the emulated-failure rates.
"""

from worlddirector.providers.procedural.clip import generate_clip, plan_clip

__all__ = ["generate_clip", "plan_clip"]
