"""``generate``: the one entry point for "make a clip", whatever the provider.

It validates the output directory first (an existing non-empty directory without ``force`` is a
:class:`BadInputError` and nothing is written), then hands the request to the provider named in the
registry. The procedural provider also writes ``ground_truth.json``.
"""

from __future__ import annotations

from pathlib import Path

from worlddirector.artifacts import Generation
from worlddirector.errors import BadInputError
from worlddirector.providers.base import ProgressFn, VideoRequest
from worlddirector.providers.registry import get_provider


def check_out_dir(out_dir: Path, force: bool) -> None:
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise BadInputError(f"{out_dir} is not empty (use --force to overwrite)")


def generate(request: VideoRequest, out_dir: Path, *, provider: str = "procedural", force: bool = False,
             on_progress: ProgressFn | None = None) -> Generation:
    """Make ``out_dir/video.mp4`` + ``generation.json`` with the named provider; return the Generation."""
    out_dir = Path(out_dir)
    if not request.prompt or not request.prompt.strip():
        raise BadInputError("prompt is empty")
    check_out_dir(out_dir, force)
    prov = get_provider(provider)
    if provider == "procedural":
        return prov.generate(request, out_dir, on_progress=on_progress, force=force)
    # A caller's own key stands in for the operator's: only refuse when neither is there.
    ok, why = prov.configured()
    if not ok and request.api_key is None:
        raise BadInputError(f"provider {provider!r} is not configured: {why}")
    return prov.generate(request, out_dir, on_progress=on_progress)
