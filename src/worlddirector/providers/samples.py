"""The built-in sample clip: a fixed prompt rendered once by the offline generator, then reused.

It needs no network and no key, so a new user can try the whole pipeline at once. The clip is
synthetic and says so (``provider: procedural``, ``synthetic: true``, ``parameters.sample: true``).
The first call renders it into ``<data_dir>/samples/<version>/`` (a few seconds); later calls copy it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from worlddirector.artifacts import Generation
from worlddirector.errors import BadInputError
from worlddirector.logging import get_logger

log = get_logger(__name__)

SAMPLE_VERSION = "v1"
SAMPLE_PROMPT = ("a red ball rolls across a wooden floor past a blue box and a green cone in a bright room, "
                 "slow camera pan")
SAMPLE_SEED = 7
FILES = ("video.mp4", "generation.json", "ground_truth.json")


def sample_dir(settings=None) -> Path:
    from worlddirector.config import get_settings

    s = settings or get_settings()
    return Path(s.data_dir) / "samples" / SAMPLE_VERSION


def _valid(cache: Path) -> bool:
    try:
        Generation.load(cache)
    except BadInputError:
        return False
    return (cache / "video.mp4").is_file() and (cache / "video.mp4").stat().st_size > 0


def ensure_sample(settings=None, on_progress=None) -> Path:
    """Render the sample into the cache if it is not there yet; return the cache directory."""
    cache = sample_dir(settings)
    if _valid(cache):
        return cache
    from worlddirector.providers.procedural import generate_clip

    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".sample-", dir=cache.parent))
    try:
        log.info("sample.render", prompt=SAMPLE_PROMPT)
        generate_clip(SAMPLE_PROMPT, tmp / "clip", seed=SAMPLE_SEED, seconds=8.0, size=(640, 360), fps=24,
                      defects="auto", audio=False, on_progress=on_progress)
        gen = Generation.load(tmp / "clip")
        gen.parameters["sample"] = True
        gen.save(tmp / "clip")
        if cache.exists() and not _valid(cache):
            shutil.rmtree(cache, ignore_errors=True)
        try:
            (tmp / "clip").rename(cache)  # atomic; loses gracefully to a concurrent renderer
        except OSError:
            if not _valid(cache):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return cache


def sample_clip(out_dir: Path, *, settings=None, force: bool = False, on_progress=None) -> Generation:
    """Put the sample clip into ``out_dir`` (``video.mp4``, ``generation.json``, ``ground_truth.json``)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise BadInputError(f"{out_dir} is not empty (use --force to overwrite)")
    cache = ensure_sample(settings, on_progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        if (cache / name).exists():
            shutil.copyfile(cache / name, out_dir / name)
    return Generation.load(out_dir)
