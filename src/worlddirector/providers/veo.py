"""``veo``: Google Veo through the ``google-genai`` SDK (a long-running generate-videos operation).

``client.models.generate_videos`` starts an operation -> ``client.operations.get`` until ``done`` ->
the finished operation carries the video (inline bytes, or a URI we download). The SDK version we
pin sends generate-videos through the Vertex AI surface (``vertexai=True``); an API key uses Vertex
"express mode", otherwise the SDK's own Google Cloud credentials (``GOOGLE_CLOUD_PROJECT``,
``GOOGLE_CLOUD_LOCATION``) apply. ``WD_GOOGLE_BASE_URL`` points the SDK at another endpoint.

Typed errors: HTTP errors carry a ``google.rpc.Status`` (``status`` such as ``RESOURCE_EXHAUSTED``);
a finished operation may carry an ``error`` (numeric rpc code) or a result whose videos were all
removed by the safety filter (``raiMediaFilteredCount`` with reasons), which is a moderation
rejection, never an empty success.
"""

from __future__ import annotations

import os
import re
import time
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

# USD per second of output (public list prices; estimates)
PRICES = {"veo-3.0-fast": 0.15, "veo-3.1-fast": 0.15, "veo-3": 0.40, "veo-2": 0.50}
DEFAULT_PRICE = 0.40
TYPICAL_SECONDS = 90.0  # typical wall time of one job, for a progress estimate (Veo reports none)
_MODERATION = ("usage guidelines", "safety", "responsible ai", "sensitive", "prohibited", "policy", "blocked",
               "filtered")


def veo_seconds(model: str, seconds: float) -> int:
    if model.startswith("veo-2"):
        return int(min(8, max(5, round(seconds))))
    return min((4, 6, 8), key=lambda s: (abs(s - seconds), -s))


def _target(text: str) -> str:
    t = text.lower()
    return "image" if "image" in t else "prompt" if ("prompt" in t or "text" in t) else "unknown"


# google.rpc.Code numbers used by operation errors
_RPC = {3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND", 7: "PERMISSION_DENIED",
        8: "RESOURCE_EXHAUSTED", 13: "INTERNAL", 14: "UNAVAILABLE", 16: "UNAUTHENTICATED"}


class VeoProvider(RemoteProvider):
    name = "veo"
    poll_interval = 10.0

    def __init__(self, settings=None, **kw):
        super().__init__(settings, **kw)
        self._started: dict[str, float] = {}
        self._results: dict[str, Any] = {}

    def configured(self) -> tuple[bool, str]:
        if self.settings.google_api_key is not None:
            return True, f"key set; model {self.settings.veo_model}" + (
                f"; {self.settings.google_base_url}" if self.settings.google_base_url else "")
        if os.environ.get("GOOGLE_CLOUD_PROJECT"):
            return True, f"Google Cloud project {os.environ['GOOGLE_CLOUD_PROJECT']} (application default credentials)"
        return False, "GOOGLE_API_KEY is not set (nor GOOGLE_CLOUD_PROJECT for cloud credentials)"

    def _settings_key(self) -> str | None:
        k = self.settings.google_api_key
        return k.get_secret_value() if k is not None else None

    def model_name(self, request: VideoRequest) -> str:
        return request.model or self.settings.veo_model

    def estimate_cost(self, request: VideoRequest) -> float:
        model = self.model_name(request)
        price = next((p for m, p in PRICES.items() if model.startswith(m)), DEFAULT_PRICE)
        return price * veo_seconds(model, request.seconds)

    def _client(self, key: str | None):
        from google import genai
        from google.genai import types

        cache = self.__dict__.setdefault("_clients", {})
        if key not in cache:
            opts = types.HttpOptions(base_url=self.settings.google_base_url or None, timeout=60_000)
            if key:
                cache[key] = genai.Client(vertexai=True, api_key=key, http_options=opts)
            else:
                cache[key] = genai.Client(vertexai=True, http_options=opts)
        return cache[key]

    def _map(self, exc: Exception, key: str | None, job_id: str | None = None) -> ProviderError:
        import httpx
        from google.genai import errors

        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeout("veo: the request timed out")
        if isinstance(exc, httpx.TransportError):
            return ProviderUnavailable(f"veo: cannot reach {self.settings.google_base_url or 'the Veo endpoint'}")
        if not isinstance(exc, errors.APIError):
            return ProviderError(f"veo: {scrub(exc, key)}")
        code, status = int(exc.code or 0), str(exc.status or "")
        msg = scrub(exc.message or status, key)
        low = msg.lower()
        if code == 401 or status == "UNAUTHENTICATED":
            return AuthenticationFailed(f"veo: the API key was rejected ({msg})")
        if code == 403 or status == "PERMISSION_DENIED":
            if "billing" in low:
                return QuotaExceeded(f"veo: billing is not enabled or exhausted ({msg})")
            return AuthenticationFailed(f"veo: access denied ({msg})")
        if code == 429 or status == "RESOURCE_EXHAUSTED":
            if re.search(r"quota|billing|per day|limit: 0", low):
                return QuotaExceeded(f"veo: quota exhausted ({msg})")
            return RateLimited(f"veo: rate limited ({msg})", retry_after=_retry_delay(exc))
        if code == 404 or status == "NOT_FOUND":
            if job_id:
                return JobExpired(f"veo: operation {job_id} is unknown or expired ({msg})")
            return InvalidRequest(f"veo: model or endpoint not found ({msg})")
        if code == 400 or status in ("INVALID_ARGUMENT", "FAILED_PRECONDITION"):
            if any(w in low for w in _MODERATION):
                t = _target(msg)
                return ModerationRejected(f"veo: the {t} was rejected by the safety filter ({msg})", t)
            return InvalidRequest(f"veo: invalid request ({msg})")
        if code == 504 or status == "DEADLINE_EXCEEDED":
            return ProviderTimeout(f"veo: the server timed out ({msg})")
        if code >= 500:
            return ProviderUnavailable(f"veo: server error {code} ({msg})")
        return ProviderError(f"veo: HTTP {code} ({msg})")

    def _submit(self, request: VideoRequest, key: str | None) -> tuple[str, dict[str, Any]]:
        from google.genai import types

        model = self.model_name(request)
        seconds = veo_seconds(model, request.seconds)
        w, h = request.size
        cfg = dict(number_of_videos=1, duration_seconds=seconds, aspect_ratio="16:9" if w >= h else "9:16",
                   resolution="1080p" if max(w, h) >= 1600 else "720p")
        if request.seed is not None:
            cfg["seed"] = int(request.seed)
        if model.startswith("veo-3"):
            cfg["generate_audio"] = bool(request.audio)
        image = None
        if request.reference_image is not None:
            path = Path(request.reference_image)
            mime = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
            image = types.Image(image_bytes=path.read_bytes(), mime_type=mime)
        try:
            op = self._client(key).models.generate_videos(
                model=model, source=types.GenerateVideosSource(prompt=request.prompt, image=image),
                config=types.GenerateVideosConfig(**cfg))
        except Exception as exc:  # noqa: BLE001
            raise self._map(exc, key) from None
        if not op.name:
            raise ProviderError("veo: the service accepted the request but returned no operation name")
        self._started[op.name] = time.monotonic()
        return op.name, {"model": model, **cfg, "image": image is not None}

    def _poll(self, job_id: str, key: str | None) -> Poll:
        from google.genai import types

        try:
            op = self._client(key).operations.get(types.GenerateVideosOperation(name=job_id))
        except Exception as exc:  # noqa: BLE001
            raise self._map(exc, key, job_id) from None
        started = self._started.setdefault(job_id, time.monotonic())
        if not op.done:
            est = min(0.9, (time.monotonic() - started) / TYPICAL_SECONDS)
            meta = op.metadata or {}
            if isinstance(meta, dict) and isinstance(meta.get("progressPercent"), (int, float)):
                est = float(meta["progressPercent"]) / 100.0
            return Poll(status="in_progress", progress=est, raw_status="running")
        if op.error:
            return Poll(status="failed", error=self._op_error(op.error, key, job_id), raw_status="error")
        result = op.result or op.response
        videos = list(getattr(result, "generated_videos", None) or [])
        if not videos:
            n = getattr(result, "rai_media_filtered_count", None) or 0
            reasons = "; ".join(getattr(result, "rai_media_filtered_reasons", None) or [])
            if n:
                t = _target(reasons)
                return Poll(status="failed", raw_status="filtered", error=ModerationRejected(
                    f"veo: the safety filter removed the video ({scrub(reasons, key) or 'no reason given'})", t))
            return Poll(status="unknown", raw_status="done without a video")
        self._results[job_id] = videos[0].video
        return Poll(status="completed", progress=1.0, raw_status="done")

    def _op_error(self, err: dict, key: str | None, job_id: str) -> ProviderError:
        code = int(err.get("code", 0) or 0) if isinstance(err, dict) else 0
        msg = scrub((err.get("message") if isinstance(err, dict) else str(err)) or "no reason given", key)
        status = _RPC.get(code, str(code))
        low = msg.lower()
        if any(w in low for w in _MODERATION):
            t = _target(msg)
            return ModerationRejected(f"veo: the {t} was rejected by the safety filter ({msg})", t)
        if status == "RESOURCE_EXHAUSTED":
            return QuotaExceeded(f"veo: quota exhausted ({msg})")
        if status in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
            return AuthenticationFailed(f"veo: access denied ({msg})")
        if status == "INVALID_ARGUMENT":
            return InvalidRequest(f"veo: invalid request ({msg})")
        if status == "DEADLINE_EXCEEDED":
            return ProviderTimeout(f"veo: operation {job_id} timed out at the provider ({msg})")
        if status in ("UNAVAILABLE", "INTERNAL"):
            return ProviderUnavailable(f"veo: operation {job_id} failed at the provider ({msg})")
        if status == "NOT_FOUND":
            return JobExpired(f"veo: operation {job_id} is unknown or expired ({msg})")
        return ProviderError(f"veo: operation {job_id} failed ({status}: {msg})")

    def _download(self, job_id: str, key: str | None, dest: Path) -> None:
        video = self._results.get(job_id)
        if video is None:  # resumed in a new process: fetch the finished operation first
            if self._poll(job_id, key).status != "completed":
                raise JobExpired(f"veo: operation {job_id} has no finished video")
            video = self._results[job_id]
        if getattr(video, "video_bytes", None):
            dest.write_bytes(video.video_bytes)
            return
        uri = getattr(video, "uri", None) or ""
        if uri.startswith(("http://", "https://")):
            import httpx

            headers = {"x-goog-api-key": key} if key else {}
            try:
                with httpx.stream("GET", uri, headers=headers, timeout=60.0, follow_redirects=True) as r:
                    if r.status_code >= 400:
                        raise ProviderUnavailable(f"veo: video download failed with HTTP {r.status_code}") \
                            if r.status_code >= 500 else JobExpired(f"veo: video download refused (HTTP {r.status_code})")
                    with open(dest, "wb") as fh:
                        fh.writelines(r.iter_bytes(1 << 16))
            except httpx.TimeoutException:
                raise ProviderTimeout("veo: video download timed out") from None
            except httpx.TransportError:
                raise ProviderUnavailable("veo: video download connection failed") from None
            return
        raise ProviderError(f"veo: the video was stored at {uri or 'an unknown place'}, which cannot be downloaded here")


def _retry_delay(exc) -> float | None:
    """Seconds from a ``Retry-After`` header or a ``google.rpc.RetryInfo`` detail (``"30s"``)."""
    resp = getattr(exc, "response", None)
    headers = getattr(resp, "headers", None)
    if headers is not None and headers.get("retry-after"):
        try:
            return float(headers.get("retry-after"))
        except ValueError:
            pass
    details = getattr(exc, "details", None)
    err = details.get("error", details) if isinstance(details, dict) else {}
    for d in (err.get("details") or []) if isinstance(err, dict) else []:
        if isinstance(d, dict) and str(d.get("@type", "")).endswith("RetryInfo"):
            m = re.match(r"([\d.]+)s", str(d.get("retryDelay", "")))
            if m:
                return float(m.group(1))
    return None
