"""The one interface every video provider implements, and the errors it may raise.

A provider turns a :class:`VideoRequest` into ``out_dir/video.mp4`` plus ``out_dir/generation.json``
(:class:`~worlddirector.artifacts.Generation`). Remote providers implement the job-shaped methods
(submit / poll / download / cancel); :meth:`VideoProvider.generate` drives them. The procedural
provider renders locally and overrides ``generate`` directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from worlddirector.artifacts import Generation
from worlddirector.errors import WDError

ProgressFn = Callable[[float, str], None]
"""Called with (fraction 0..1, short status text)."""


class VideoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str
    seconds: float = 8.0
    size: tuple[int, int] = (640, 360)
    fps: int = 24
    seed: int | None = None
    model: str | None = None
    reference_image: Path | None = Field(None, description="first frame to continue from (continuity)")
    continue_from: Path | None = Field(None, description="a previous clip directory to continue (procedural)")
    defects: Literal["auto", "none"] | list[str] = "auto"
    audio: bool = True
    api_key: SecretStr | None = Field(None, description="a caller's own key: used for this call only, never stored")
    # remote providers only (see providers/remote.py)
    budget_usd: float | None = Field(None, ge=0, description="most this request may add to the run's spend")
    spend_ledger: Path | None = Field(None, description="the run's spend.json; the cap then covers the whole run")
    resume_job_id: str | None = Field(None, description="poll and download this existing provider job, do not submit")
    deadline_seconds: float | None = Field(None, gt=0, description="hard overall deadline (default from settings)")


class JobState(BaseModel):
    status: Literal["queued", "in_progress", "completed", "failed", "cancelled"]
    progress: float = 0.0
    error: str | None = None


# ---- typed errors a person can act on -------------------------------------------------------


class ProviderError(WDError):
    code = "provider_error"
    http_status = 502
    retryable = False


class ModerationRejected(ProviderError):
    code = "moderation_rejected"
    http_status = 422

    def __init__(self, message: str, target: Literal["prompt", "image", "unknown"] = "unknown"):
        super().__init__(message)
        self.target = target


class InvalidRequest(ProviderError):
    code = "invalid_request"
    http_status = 422


class AuthenticationFailed(ProviderError):
    code = "authentication_failed"
    http_status = 401


class RateLimited(ProviderError):
    code = "rate_limited"
    http_status = 429
    retryable = True

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class QuotaExceeded(ProviderError):
    code = "quota_exceeded"
    http_status = 402


class ProviderTimeout(ProviderError):
    code = "timeout"
    http_status = 504
    retryable = True


class JobExpired(ProviderError):
    """The provider no longer knows the job, or reports a status we cannot interpret (terminal)."""

    code = "job_expired"
    http_status = 410


class ProviderUnavailable(ProviderError):
    code = "provider_unavailable"
    http_status = 503
    retryable = True


class SpendCapExceeded(ProviderError):
    code = "spend_cap"
    http_status = 402


class VideoProvider(ABC):
    """A source of video clips. One file per provider; the registry names them."""

    name: str = ""
    synthetic: bool = False

    @abstractmethod
    def configured(self) -> tuple[bool, str]:
        """(ready, reason): whether this provider can run with the current settings, and why not."""

    def estimate_cost(self, request: VideoRequest) -> float:
        return 0.0

    @abstractmethod
    def generate(self, request: VideoRequest, out_dir: Path, on_progress: ProgressFn | None = None) -> Generation:
        """Produce ``out_dir/video.mp4`` and ``out_dir/generation.json``; return the Generation."""
