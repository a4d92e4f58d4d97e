"""``fal``: models hosted on fal.ai (Wan, Kling, Seedance, LTX, ...) through fal's queue API, via httpx.

``POST {base}/{model_id}`` -> ``{request_id, status_url, response_url, cancel_url}``;
``GET .../requests/{id}/status`` -> ``IN_QUEUE`` (with ``queue_position``) | ``IN_PROGRESS`` |
``COMPLETED`` (a completed request may carry ``error``); ``GET .../requests/{id}`` -> the model's
output (``{"video": {"url": ...}}``); ``PUT .../requests/{id}/cancel``. Status and result URLs
use the app id (``owner/name``) without the model's sub-path, as fal documents; the URLs the submit
response returns are preferred while the process lives, so a resumed job can rebuild them.

Input fields differ per model family; ``_inputs`` maps our request onto the documented fields of
the families we know, and records exactly what was sent. The key is sent only to the queue host,
never to the CDN that serves the finished file.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

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
from worlddirector.providers.openai_videos import retry_after
from worlddirector.providers.remote import Poll, RemoteProvider, scrub

log = get_logger(__name__)

# USD per second of output (public list prices at the time of writing; estimates)
PRICES = {"wan": 0.08, "kling": 0.07, "seedance": 0.12, "ltx": 0.02, "veo": 0.40}
DEFAULT_PRICE = 0.10
TYPICAL_SECONDS = 120.0


def app_id(model: str) -> str:
    """``fal-ai/wan/v2.2-a14b/text-to-video`` -> ``fal-ai/wan`` (status/result paths drop the sub-path)."""
    parts = model.strip("/").split("/")
    return "/".join(parts[:2])


class FalProvider(RemoteProvider):
    name = "fal"
    poll_interval = 3.0

    def __init__(self, settings=None, **kw):
        super().__init__(settings, **kw)
        self._urls: dict[str, dict[str, str]] = {}
        self._started: dict[str, float] = {}
        self._http = httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=True)

    def configured(self) -> tuple[bool, str]:
        if self.settings.fal_key is None:
            return False, "FAL_KEY is not set (or pass a caller's key per request)"
        return True, f"key set; model {self.settings.fal_model}; {self.settings.fal_base_url}"

    def _settings_key(self) -> str | None:
        k = self.settings.fal_key
        return k.get_secret_value() if k is not None else None

    def model_name(self, request: VideoRequest) -> str:
        return request.model or self.settings.fal_model

    def estimate_cost(self, request: VideoRequest) -> float:
        model = self.model_name(request).lower()
        price = next((p for k, p in PRICES.items() if k in model), DEFAULT_PRICE)
        return price * max(1.0, float(request.seconds))

    # ---- plumbing --------------------------------------------------------------------------------

    def _base(self) -> str:
        return self.settings.fal_base_url.rstrip("/")

    def _headers(self, key: str | None) -> dict[str, str]:
        return {"Authorization": f"Key {key}"} if key else {}

    def _send(self, method: str, url: str, key: str | None, *, job_id: str | None = None, **kw) -> httpx.Response:
        try:
            r = self._http.request(method, url, headers=self._headers(key), **kw)
        except httpx.TimeoutException:
            raise ProviderTimeout("fal: the request timed out") from None
        except httpx.TransportError:
            raise ProviderUnavailable(f"fal: cannot reach {urlparse(url).netloc}") from None
        if r.status_code >= 400:
            raise self._error(r, key, job_id)
        return r

    def _error(self, r: httpx.Response, key: str | None, job_id: str | None) -> ProviderError:
        try:
            body = r.json()
        except ValueError:
            body = {"detail": r.text[:200]}
        detail = body.get("detail", body) if isinstance(body, dict) else body
        msg = scrub(detail if isinstance(detail, str) else _detail_text(detail), key)
        low = msg.lower()
        s = r.status_code
        if _is_moderation(detail) or "content_policy" in low or "nsfw" in low:
            t = _moderation_target(detail)
            return ModerationRejected(f"fal: the {t} was rejected by the content checker ({msg})", t)
        if s == 401:
            return AuthenticationFailed(f"fal: the key was rejected ({msg})")
        if s == 403:
            if any(w in low for w in ("balance", "locked", "billing", "credit")):
                return QuotaExceeded(f"fal: account balance or billing problem ({msg})")
            return AuthenticationFailed(f"fal: access denied ({msg})")
        if s == 429:
            return RateLimited(f"fal: rate limited ({msg})", retry_after=retry_after(r.headers))
        if s == 404:
            return JobExpired(f"fal: request {job_id} is unknown or expired ({msg})") if job_id else \
                InvalidRequest(f"fal: model not found ({msg})")
        if s in (400, 413, 422):
            return InvalidRequest(f"fal: invalid request ({msg})")
        if s in (408, 504):
            return ProviderTimeout(f"fal: the server timed out ({msg})")
        if s >= 500:
            return ProviderUnavailable(f"fal: server error {s} ({msg})")
        return ProviderError(f"fal: HTTP {s} ({msg})")

    def _inputs(self, request: VideoRequest) -> dict[str, Any]:
        model = self.model_name(request).lower()
        w, h = request.size
        body: dict[str, Any] = {"prompt": request.prompt, "aspect_ratio": "16:9" if w >= h else "9:16"}
        if request.seed is not None:
            body["seed"] = int(request.seed)
        if "wan" in model:
            fps = 16
            body.update(num_frames=int(min(121, max(81, round(request.seconds * fps)))), frames_per_second=fps,
                        resolution="720p" if max(w, h) >= 1000 else "480p")
        elif "kling" in model:
            body["duration"] = "10" if request.seconds > 7.5 else "5"
        elif "seedance" in model:
            body.update(duration=str(int(min(12, max(3, round(request.seconds))))),
                        resolution="720p" if max(w, h) >= 1000 else "480p")
        elif "ltx" in model:
            body["num_frames"] = int(min(257, max(9, round(request.seconds * 24))))
        if request.reference_image is not None and ("image-to-video" in model or "i2v" in model):
            path = Path(request.reference_image)
            mime = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
            body["image_url"] = f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()
        return body

    def _url(self, job_id: str, kind: str, model: str) -> str:
        known = self._urls.get(job_id, {})
        if kind in known:
            return known[kind]
        root = f"{self._base()}/{app_id(model)}/requests/{job_id}"
        return {"status": root + "/status", "response": root, "cancel": root + "/cancel"}[kind]

    # ---- the job methods -------------------------------------------------------------------------

    def _submit(self, request: VideoRequest, key: str | None) -> tuple[str, dict[str, Any]]:
        model = self.model_name(request)
        body = self._inputs(request)
        r = self._send("POST", f"{self._base()}/{model.strip('/')}", key, json=body)
        data = r.json()
        rid = data.get("request_id")
        if not rid:
            raise ProviderError("fal: the queue accepted the request but returned no request_id")
        self._urls[rid] = {k: data[f"{k}_url"] for k in ("status", "response", "cancel") if data.get(f"{k}_url")}
        self._started[rid] = time.monotonic()
        self._model = model
        sent = {k: v for k, v in body.items() if k != "image_url"}
        sent["image"] = "image_url" in body
        return rid, {"model": model, **sent}

    def generate(self, request: VideoRequest, out_dir: Path, on_progress=None):
        self._model = self.model_name(request)  # status/result URLs of a resumed job depend on it
        return super().generate(request, out_dir, on_progress)

    def _current_model(self) -> str:
        return getattr(self, "_model", None) or self.settings.fal_model

    def _poll(self, job_id: str, key: str | None) -> Poll:
        r = self._send("GET", self._url(job_id, "status", self._current_model()), key, job_id=job_id)
        data = r.json()
        status = str(data.get("status", ""))
        started = self._started.setdefault(job_id, time.monotonic())
        if status == "IN_QUEUE":
            return Poll(status="queued", progress=0.0, raw_status=status)
        if status == "IN_PROGRESS":
            prog = min(0.9, (time.monotonic() - started) / TYPICAL_SECONDS)
            return Poll(status="in_progress", progress=prog, raw_status=status)
        if status == "COMPLETED":
            if data.get("error"):
                return Poll(status="failed", raw_status=status, error=self._completed_error(data, key, job_id))
            return Poll(status="completed", progress=1.0, raw_status=status)
        if status in ("FAILED", "ERROR"):
            return Poll(status="failed", raw_status=status, error=self._completed_error(data, key, job_id))
        if status in ("CANCELED", "CANCELLED"):
            return Poll(status="failed", raw_status=status,
                        error=JobExpired(f"fal: request {job_id} was cancelled at the provider"))
        return Poll(status="unknown", raw_status=status or "(none)")

    def _completed_error(self, data: dict, key: str | None, job_id: str) -> ProviderError:
        err = data.get("error")
        etype = str(data.get("error_type") or "")
        msg = scrub(err if isinstance(err, str) else _detail_text(err), key)
        if "content_policy" in etype or "content_policy" in msg.lower() or "nsfw" in msg.lower():
            t = "image" if "image" in msg.lower() else "prompt" if "prompt" in msg.lower() else "unknown"
            return ModerationRejected(f"fal: the {t} was rejected by the content checker ({msg})", t)
        if "timeout" in etype.lower():
            return ProviderTimeout(f"fal: request {job_id} timed out at the provider ({msg})")
        return ProviderError(f"fal: request {job_id} failed ({etype or 'error'}: {msg})")

    def _download(self, job_id: str, key: str | None, dest: Path) -> None:
        r = self._send("GET", self._url(job_id, "response", self._current_model()), key, job_id=job_id)
        data = r.json()
        video = data.get("video") or (data.get("videos") or [None])[0]
        url = video.get("url") if isinstance(video, dict) else None
        if not url:
            raise ProviderError("fal: the result has no video URL")
        if url.startswith("data:"):
            dest.write_bytes(base64.b64decode(url.split(",", 1)[1]))
            return
        # the key goes only to the queue host, never to the file CDN
        same_host = urlparse(url).netloc == urlparse(self._base()).netloc
        try:
            with self._http.stream("GET", url, headers=self._headers(key) if same_host else {}) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise self._error(resp, key, job_id)
                with open(dest, "wb") as fh:
                    fh.writelines(resp.iter_bytes(1 << 16))
        except httpx.TimeoutException:
            raise ProviderTimeout("fal: video download timed out") from None
        except httpx.TransportError:
            raise ProviderUnavailable("fal: video download connection failed") from None

    def _cancel(self, job_id: str, key: str | None) -> bool:
        r = self._send("PUT", self._url(job_id, "cancel", self._current_model()), key, job_id=job_id)
        try:
            status = r.json().get("status", "")
        except ValueError:
            status = ""
        return status in ("CANCELLATION_REQUESTED", "OK", "CANCELLED", "CANCELED") or r.status_code == 202


def _detail_text(detail) -> str:
    if isinstance(detail, list):
        return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    if isinstance(detail, dict):
        return str(detail.get("msg") or detail.get("message") or detail)
    return str(detail)


def _is_moderation(detail) -> bool:
    items = detail if isinstance(detail, list) else [detail]
    return any(isinstance(d, dict) and "content_policy" in str(d.get("type", "")) for d in items)


def _moderation_target(detail) -> str:
    items = detail if isinstance(detail, list) else [detail]
    for d in items:
        if isinstance(d, dict):
            loc = " ".join(str(x) for x in d.get("loc", []))
            if "image" in loc:
                return "image"
            if "prompt" in loc:
                return "prompt"
    return "unknown"
