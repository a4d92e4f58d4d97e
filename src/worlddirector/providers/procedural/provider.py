"""The procedural generator behind the common :class:`VideoProvider` interface."""

from __future__ import annotations

from pathlib import Path

from worlddirector.artifacts import Generation
from worlddirector.providers.base import ProgressFn, VideoProvider, VideoRequest


class ProceduralProvider(VideoProvider):
    name = "procedural"
    synthetic = True

    def __init__(self, **_: object) -> None:
        pass

    def configured(self) -> tuple[bool, str]:
        return True, "offline renderer (no key, no network)"

    def generate(self, request: VideoRequest, out_dir: Path, on_progress: ProgressFn | None = None,
                 force: bool = True) -> Generation:
        from worlddirector.providers.procedural.clip import generate_clip

        return generate_clip(
            request.prompt, out_dir, seed=request.seed or 0, seconds=request.seconds, size=tuple(request.size),
            fps=request.fps, defects=request.defects, audio=request.audio, continue_from=request.continue_from,
            on_progress=on_progress, force=force,
        )
