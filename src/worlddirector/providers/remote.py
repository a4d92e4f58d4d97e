"""The one driver every paid, job-shaped video provider shares: submit -> poll -> download.

A remote provider implements five small methods (``_submit``, ``_poll``, ``_download``, ``_cancel``,
``estimate_cost``) that translate one vendor's API into :class:`Poll` results and typed
:class:`~worlddirector.providers.base.ProviderError` s. Everything that must behave the same for
every vendor lives here once:

- spend: the cost estimate is checked against the cap (the request's ``budget_usd``, the settings'
  ``spend_cap_usd`` and, with ``spend_ledger``, the whole run's spend) *before* submitting;
- the provider's job id is written to ``out_dir/job.json`` the moment it exists, so a crashed
  process can resume the paid job (``VideoRequest.resume_job_id``) instead of paying again;
- polling honours the provider's own poll-interval hint, retries transient errors with backoff and
  jitter, treats unknown statuses and vanished jobs as terminal, and stops at one hard deadline
  (cancelling the job at the provider);
- the download is validated as a decodable video before ``video.mp4`` appears, and
  ``generation.json`` says ``synthetic: false`` with the job id and the cost.
Nothing here ever substitutes other output for a failed job: failures raise.
"""

from __future__ import annotations

import json
import os
import random
import time
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from worlddirector.artifacts import Generation
from worlddirector.errors import BadInputError, ConfigError
from worlddirector.logging import get_logger
from worlddirector.providers.base import (
    JobExpired,
    ProgressFn,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    VideoProvider,
    VideoRequest,
)
from worlddirector.providers.retry import Deadline, RetryPolicy, retry_call
from worlddirector.providers.spend import SpendLedger, check_cap

log = get_logger(__name__)


@dataclass
class Poll:
    """One look at a job. ``status`` is ours (queued/in_progress/completed/failed), never the vendor's."""

    status: str
    progress: float = 0.0  # 0..1
    poll_after: float | None = None  # the provider's hint, seconds
    error: ProviderError | None = None
    raw_status: str = ""


class RemoteProvider(VideoProvider):
    """Base for providers that create a job at a vendor and download its result."""

    synthetic = False
    poll_interval: float = 5.0  # default when the vendor gives no hint
    min_poll: float = 0.05
    max_poll: float = 30.0

    def __init__(self, settings=None, *, sleep: Callable[[float], None] = time.sleep,
                 policy: RetryPolicy | None = None):
        from worlddirector.config import get_settings

        self.settings = settings or get_settings()
        self._sleep = sleep
        self.policy = policy or RetryPolicy()
        self._rng = random.Random()

    # ---- what each vendor implements -------------------------------------------------------------

    @abstractmethod
    def model_name(self, request: VideoRequest) -> str: ...

    @abstractmethod
    def _settings_key(self) -> str | None:
        """The operator's key from settings (None when not set)."""

    @abstractmethod
    def _submit(self, request: VideoRequest, key: str | None) -> tuple[str, dict[str, Any]]:
        """Create the job; return (job id, the parameters actually sent)."""

    @abstractmethod
    def _poll(self, job_id: str, key: str | None) -> Poll: ...

    @abstractmethod
    def _download(self, job_id: str, key: str | None, dest: Path) -> None:
        """Write the finished video's bytes to ``dest``."""

    def _cancel(self, job_id: str, key: str | None) -> bool:
        return False

    def _extras(self, job_id: str, key: str | None, out_dir: Path) -> dict[str, str]:
        """Optional extra assets (thumbnails...) after a successful download: {kind: file name}."""
        return {}

    # ---- shared behaviour ------------------------------------------------------------------------

    def key_for(self, request: VideoRequest | None) -> str | None:
        if request is not None and request.api_key is not None:
            return request.api_key.get_secret_value() or None
        return self._settings_key()

    def cancel(self, job_id: str, *, api_key: str | None = None) -> bool:
        """Ask the vendor to stop a job (True when it accepted). Used by the watchdog and on deadline."""
        try:
            return self._cancel(job_id, api_key or self._settings_key())
        except ProviderError as exc:
            log.warning("provider.cancel_failed", provider=self.name, job_id=job_id, error=exc.code)
            return False

    def _check_request(self, request: VideoRequest) -> None:
        if not request.prompt.strip():
            raise BadInputError("the prompt is empty")
        if not 1 <= request.seconds <= 60:
            raise BadInputError(f"seconds must be between 1 and 60, got {request.seconds:g}")
        if request.reference_image is not None and not Path(request.reference_image).is_file():
            raise BadInputError(f"reference image {request.reference_image} not found")

    def generate(self, request: VideoRequest, out_dir: Path, on_progress: ProgressFn | None = None) -> Generation:
        progress = on_progress or (lambda f, m: None)
        out_dir = Path(out_dir)
        self._check_request(request)
        key = self.key_for(request)
        ready, why = self.configured()
        if not ready and key is None:
            raise ConfigError(f"provider {self.name} is not configured: {why}")
        out_dir.mkdir(parents=True, exist_ok=True)
        deadline = Deadline(request.deadline_seconds or self.settings.provider_deadline_seconds)
        model = self.model_name(request)
        t0 = time.monotonic()
        timings: dict[str, float] = {}
        estimate = self.estimate_cost(request)
        sent: dict[str, Any] = {}

        if request.resume_job_id:
            job_id = request.resume_job_id
            progress(0.02, f"resuming {self.name} job {job_id}")
        else:
            run_cap = self.settings.spend_cap_usd
            check_cap(estimate, request.budget_usd, provider=self.name)  # this request's own budget
            ledger = SpendLedger(request.spend_ledger) if request.spend_ledger is not None else None
            if ledger is not None:  # the whole run's spend, across processes
                ledger.reserve(estimate, run_cap, provider=self.name, what=request.prompt[:60])
            else:
                check_cap(estimate, run_cap, provider=self.name)
            progress(0.0, f"submitting to {self.name} ({model}, about ${estimate:.2f})")
            # creating a job is not idempotent: retry only when the vendor clearly did not take it
            try:
                job_id, sent = retry_call(
                    lambda: self._submit(request, key), what=f"{self.name} submit", deadline=deadline,
                    policy=self.policy, retry_on=(RateLimited, ProviderUnavailable), sleep=self._sleep, rng=self._rng)
            except BaseException:
                if ledger is not None:
                    ledger.refund(estimate, provider=self.name, what="submit failed")
                raise
            if ledger is not None:
                ledger.annotate_last(job_id)
            self._write_job(out_dir, job_id, model, estimate)
            timings["submit"] = time.monotonic() - t0
            progress(0.03, f"{self.name} job {job_id} submitted")

        try:
            self._wait(job_id, key, deadline, progress)
        except KeyboardInterrupt:
            self.cancel(job_id, api_key=key)
            raise
        timings["wait"] = time.monotonic() - t0 - timings.get("submit", 0.0)

        progress(0.92, "downloading video")
        part = out_dir / ".video.mp4.part"
        t1 = time.monotonic()
        try:
            retry_call(lambda: self._download(job_id, key, part), what=f"{self.name} download", deadline=deadline,
                       policy=self.policy, sleep=self._sleep, rng=self._rng)
            from worlddirector.providers.videofile import probe_video

            try:
                info = probe_video(part)
            except BadInputError as exc:
                raise ProviderError(f"{self.name} returned an unusable video: {exc}") from None
            os.replace(part, out_dir / "video.mp4")
        finally:
            if part.exists():
                part.unlink()
        timings["download"] = time.monotonic() - t1
        extras = {}
        try:
            extras = self._extras(job_id, key, out_dir)
        except ProviderError as exc:  # extras are optional: say so, never fail the clip for them
            log.warning("provider.extras_failed", provider=self.name, job_id=job_id, error=exc.code)
        timings["total"] = time.monotonic() - t0

        gen = Generation(
            prompt=request.prompt,
            provider=self.name,
            model=model,
            synthetic=False,
            parameters={
                "seconds": request.seconds, "size": list(request.size), "fps": request.fps, "seed": request.seed,
                "reference_image": bool(request.reference_image), "sent": sent,
                "actual": info.as_dict(), "assets": extras,
            },
            timings={k: round(v, 3) for k, v in timings.items()},
            job_id=job_id,
            cost_usd=round(estimate, 4),
        )
        gen.save(out_dir)
        progress(1.0, f"{self.name} clip ready")
        return gen

    def _wait(self, job_id: str, key: str | None, deadline: Deadline, progress: ProgressFn) -> None:
        last_status = ""
        while True:
            if deadline.expired():
                cancelled = self.cancel(job_id, api_key=key)
                raise ProviderTimeout(
                    f"{self.name} job {job_id} did not finish within {deadline.seconds:.0f}s"
                    + ("; cancelled at the provider" if cancelled else ""))
            poll = retry_call(lambda: self._poll(job_id, key), what=f"{self.name} status", deadline=deadline,
                              policy=self.policy, sleep=self._sleep, rng=self._rng)
            if poll.status == "completed":
                return
            if poll.status == "failed":
                raise poll.error or ProviderError(f"{self.name} job {job_id} failed")
            if poll.status not in ("queued", "in_progress"):
                raise JobExpired(f"{self.name} job {job_id} has an unknown status {poll.raw_status or poll.status!r}; "
                                 "giving up on it")
            if poll.status != last_status:
                log.info("provider.status", provider=self.name, job_id=job_id, status=poll.status)
                last_status = poll.status
            progress(0.03 + 0.87 * max(0.0, min(1.0, poll.progress)), f"{self.name}: {poll.status.replace('_', ' ')}"
                     f" {int(100 * poll.progress)}%")
            wait = poll.poll_after if poll.poll_after is not None else self.poll_interval
            wait = max(self.min_poll, min(self.max_poll, wait))
            self._sleep(max(0.0, min(wait, deadline.remaining())))

    def _write_job(self, out_dir: Path, job_id: str, model: str, estimate: float) -> None:
        data = {"provider": self.name, "job_id": job_id, "model": model, "estimate_usd": round(estimate, 4),
                "submitted_at": time.time()}
        tmp = out_dir / ".job.json.tmp"
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, out_dir / "job.json")


def scrub(text: str, secret: str | None) -> str:
    """One line, at most 300 characters, with the key (if any) removed."""
    text = str(text)
    if secret:
        text = text.replace(secret, "[redacted]")
    return " ".join(text.split())[:300]


__all__ = ["ConfigError", "Poll", "RemoteProvider", "scrub"]
