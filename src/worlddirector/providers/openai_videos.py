"""``openai-videos``: the ``/v1/videos`` contract (Sora 2 and compatible gateways) via the official SDK.

Create (model, prompt, seconds, size, input_reference) -> retrieve until ``completed``/``failed``,
sleeping what the ``openai-poll-after-ms`` response header asks -> ``download_content`` with
``variant=video`` (plus the ``thumbnail`` and ``spritesheet`` variants as extra assets). ``remix``
and ``delete`` are exposed for callers that want them. ``OPENAI_BASE_URL`` points the SDK at any
compatible gateway. The SDK's own retries are off (``max_retries=0``) so that our policy, with its
deadline, is the only one.

Sora accepts only ``seconds`` in {4, 8, 12} and four sizes; for ``sora-*`` models requests are
snapped to the nearest allowed values (recorded in ``generation.json``); other models behind a
gateway get the request as asked.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from worlddirector.logging import get_logger
from worlddirector.providers.base import (
    AuthenticationFailed,
    InvalidRequest,
    JobExpired,
    ModerationRejected,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
    VideoRequest,
)
from worlddirector.providers.remote import Poll, RemoteProvider, scrub

log = get_logger(__name__)
# the SDK warns on every call that OpenAI's own Sora endpoint closes on 2026-09-24; gateways keep the
# contract, and `worlddirector providers` already says which base URL is in use
warnings.filterwarnings("ignore", message="The Sora API is scheduled", category=DeprecationWarning)

SORA_SECONDS = (4, 8, 12)
SORA_SIZES = ((1280, 720), (720, 1280), (1792, 1024), (1024, 1792))
# USD per second of output, public list prices (estimates; gateways may differ)
PRICES = {"sora-2-pro": 0.30, "sora-2": 0.10}
DEFAULT_PRICE = 0.10

_MODERATION_WORDS = ("moderation", "content_policy", "policy", "safety", "guardrail")


def sora_params(model: str, seconds: float, size: tuple[int, int]) -> tuple[str, str]:
    if not model.startswith("sora"):
        return str(int(round(seconds))), f"{size[0]}x{size[1]}"
    sec = min(SORA_SECONDS, key=lambda s: (abs(s - seconds), s))
    landscape = size[0] >= size[1]
    cands = [s for s in SORA_SIZES if (s[0] >= s[1]) == landscape]
    if not model.endswith("pro"):
        cands = cands[:1]
    best = min(cands, key=lambda s: abs(s[0] * s[1] - size[0] * size[1]))
    return str(sec), f"{best[0]}x{best[1]}"


def moderation_target(text: str, param: str | None = None) -> str:
    t = f"{text} {param or ''}".lower()
    if "input_reference" in t or "image" in t or "reference" in t:
        return "image"
    if "prompt" in t or "text" in t:
        return "prompt"
    return "unknown"


class OpenAIVideosProvider(RemoteProvider):
    name = "openai-videos"
    poll_interval = 5.0
    request_timeout = 60.0  # one HTTP call; the job as a whole is bounded by the deadline

    def configured(self) -> tuple[bool, str]:
        if self.settings.openai_api_key is None:
            return False, "OPENAI_API_KEY is not set (or pass a caller's key per request)"
        where = self.settings.openai_base_url or "api.openai.com"
        return True, f"key set; {where}; model {self.settings.openai_video_model}"

    def _settings_key(self) -> str | None:
        k = self.settings.openai_api_key
        return k.get_secret_value() if k is not None else None

    def model_name(self, request: VideoRequest) -> str:
        return request.model or self.settings.openai_video_model

    def estimate_cost(self, request: VideoRequest) -> float:
        model = self.model_name(request)
        sec, _size = sora_params(model, request.seconds, request.size)
        price = next((p for m, p in PRICES.items() if model.startswith(m)), DEFAULT_PRICE)
        return price * int(sec)

    # ---- SDK plumbing ----------------------------------------------------------------------------

    def _client(self, key: str | None):
        """One SDK client per key for this provider object's life (the key stays in memory only)."""
        import openai

        cache = self.__dict__.setdefault("_clients", {})
        if key not in cache:
            cache[key] = openai.OpenAI(api_key=key or "not-needed", base_url=self.settings.openai_base_url,
                                       max_retries=0, timeout=self.request_timeout)
        return cache[key]

    def _map(self, exc: Exception, key: str | None, job_id: str | None = None) -> ProviderError:
        """Translate an SDK exception into the typed error a person can act on."""
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return ProviderTimeout("openai-videos: the request timed out")
        if isinstance(exc, openai.APIConnectionError):
            return ProviderUnavailable(f"openai-videos: cannot reach {self.settings.openai_base_url or 'api.openai.com'}")
        if not isinstance(exc, openai.APIStatusError):
            return ProviderError(f"openai-videos: {scrub(exc, key)}")
        body = exc.body if isinstance(exc.body, dict) else {}
        msg = scrub(body.get("message") or exc.message, key)
        code = str(body.get("code") or getattr(exc, "code", "") or "")
        param = body.get("param")
        status = exc.status_code
        if status == 401:
            return AuthenticationFailed(f"openai-videos: the API key was rejected ({msg})")
        if status == 403:
            return AuthenticationFailed(f"openai-videos: access denied ({msg})")
        if status == 429:
            if code == "insufficient_quota" or "quota" in msg.lower() or "billing" in msg.lower():
                return QuotaExceeded(f"openai-videos: quota or billing limit reached ({msg})")
            return RateLimited(f"openai-videos: rate limited ({msg})", retry_after=retry_after(exc.response.headers))
        if status == 404:
            return JobExpired(f"openai-videos: job {job_id or ''} is unknown or expired ({msg})")
        if status in (400, 409, 413, 415, 422):
            if any(w in (code + " " + msg).lower() for w in _MODERATION_WORDS):
                target = moderation_target(msg, param)
                return ModerationRejected(f"openai-videos: the {target} was rejected by moderation ({msg})", target)
            return InvalidRequest(f"openai-videos: invalid request ({msg})")
        if status == 408:
            return ProviderTimeout(f"openai-videos: the server timed out ({msg})")
        if status >= 500:
            return ProviderUnavailable(f"openai-videos: server error {status} ({msg})")
        return ProviderError(f"openai-videos: HTTP {status} ({msg})")

    def _reference(self, request: VideoRequest, size: str):
        """The reference image as an upload, resized to the video size (Sora requires a match)."""
        import cv2

        img = cv2.imread(str(request.reference_image), cv2.IMREAD_COLOR)
        if img is None:
            from worlddirector.errors import BadInputError

            raise BadInputError(f"reference image {request.reference_image} is not a readable image")
        w, h = (int(v) for v in size.split("x"))
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 92])
        if not ok:
            from worlddirector.errors import BadInputError

            raise BadInputError(f"reference image {request.reference_image} could not be encoded")
        return ("reference.jpg", buf.tobytes(), "image/jpeg")

    # ---- the job methods -------------------------------------------------------------------------

    def _submit(self, request: VideoRequest, key: str | None) -> tuple[str, dict[str, Any]]:
        model = self.model_name(request)
        seconds, size = sora_params(model, request.seconds, request.size)
        kwargs: dict[str, Any] = dict(model=model, prompt=request.prompt, seconds=seconds, size=size)
        if request.reference_image is not None:
            kwargs["input_reference"] = self._reference(request, size)
        try:
            video = self._client(key).videos.create(**kwargs)
        except Exception as exc:  # noqa: BLE001 - every SDK failure becomes a typed error
            raise self._map(exc, key) from None
        return video.id, {"model": model, "seconds": seconds, "size": size,
                          "input_reference": request.reference_image is not None}

    def _poll(self, job_id: str, key: str | None) -> Poll:
        try:
            raw = self._client(key).videos.with_raw_response.retrieve(job_id)
            video = raw.parse()
        except Exception as exc:  # noqa: BLE001
            raise self._map(exc, key, job_id) from None
        hint = None
        ms = raw.headers.get("openai-poll-after-ms")
        if ms:
            try:
                hint = float(ms) / 1000.0
            except ValueError:
                hint = None
        status = str(video.status)
        progress = (video.progress or 0) / 100.0
        if status in ("queued", "in_progress", "completed"):
            return Poll(status=status, progress=progress, poll_after=hint, raw_status=status)
        if status == "failed":
            return Poll(status="failed", error=self._job_error(video, key, job_id), raw_status=status)
        return Poll(status="unknown", raw_status=status)

    def _job_error(self, video, key: str | None, job_id: str) -> ProviderError:
        err = video.error
        code = str(getattr(err, "code", "") or "")
        msg = scrub(getattr(err, "message", "") or "no reason given", key)
        low = f"{code} {msg}".lower()
        if any(w in low for w in _MODERATION_WORDS):
            target = moderation_target(msg, getattr(err, "param", None))
            return ModerationRejected(f"openai-videos: the {target} was rejected by moderation ({msg})", target)
        if "quota" in low or "billing" in low:
            return QuotaExceeded(f"openai-videos: quota or billing limit reached ({msg})")
        if "invalid" in low:
            return InvalidRequest(f"openai-videos: invalid request ({msg})")
        return ProviderError(f"openai-videos: job {job_id} failed ({code or 'error'}: {msg})")

    def _download_variant(self, job_id: str, key: str | None, variant: str, dest: Path) -> None:
        try:
            with self._client(key).videos.with_streaming_response.download_content(job_id, variant=variant) as resp:
                with open(dest, "wb") as fh:
                    fh.writelines(resp.iter_bytes(1 << 16))
        except Exception as exc:  # noqa: BLE001
            raise self._map(exc, key, job_id) from None

    def _download(self, job_id: str, key: str | None, dest: Path) -> None:
        self._download_variant(job_id, key, "video", dest)

    def _extras(self, job_id: str, key: str | None, out_dir: Path) -> dict[str, str]:
        out = {}
        for variant, name in (("thumbnail", "thumbnail.webp"), ("spritesheet", "spritesheet.jpg")):
            self._download_variant(job_id, key, variant, out_dir / name)
            out[variant] = name
        return out

    def _cancel(self, job_id: str, key: str | None) -> bool:
        """The videos API has no cancel; deleting the job is how a client abandons it."""
        return self.delete(job_id, api_key=key)

    # ---- extra operations ------------------------------------------------------------------------

    def delete(self, job_id: str, *, api_key: str | None = None) -> bool:
        key = api_key or self._settings_key()
        try:
            return bool(self._client(key).videos.delete(job_id).deleted)
        except Exception as exc:  # noqa: BLE001
            raise self._map(exc, key, job_id) from None

    def remix(self, job_id: str, prompt: str, out_dir: Path, *, api_key: str | None = None, on_progress=None):
        """Remix a finished video with a new prompt; downloads the result into ``out_dir`` like ``generate``."""
        from pydantic import SecretStr

        key = api_key or self._settings_key()
        try:
            video = self._client(key).videos.remix(job_id, prompt=prompt)
        except Exception as exc:  # noqa: BLE001
            raise self._map(exc, key, job_id) from None
        req = VideoRequest(prompt=prompt, resume_job_id=video.id, api_key=SecretStr(key) if api_key else None)
        gen = self.generate(req, out_dir, on_progress)
        gen.parameters["remixed_from"] = job_id
        gen.save(out_dir)
        return gen


def retry_after(headers) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds form), if present."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    ra = headers.get("retry-after")
    if ra:
        try:
            return float(ra)
        except ValueError:
            import time
            from email.utils import parsedate_to_datetime

            try:
                return max(0.0, parsedate_to_datetime(ra).timestamp() - time.time())
            except (TypeError, ValueError):
                return None
    return None
