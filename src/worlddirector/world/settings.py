"""Knobs of the shared world service beyond the common :class:`~worlddirector.config.Settings`.

Read from ``WD_*`` variables like the rest. Kept here (not in the shared settings) because only the
world service reads them.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorldSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WD_", env_file=".env", extra="ignore")

    claim_lease_seconds: float = Field(30.0, gt=0, description="a claim's lease; the owner renews it while working")
    scene_max_attempts: int = Field(3, ge=1, le=20, description="after this many attempts a branch stays failed")
    scene_seconds: float = Field(8.0, gt=0, le=60, description="clip length for new worlds")
    scene_fps: int = Field(24, ge=1, le=60)
    world_max_depth: int = Field(12, ge=1, le=64)
    quality_gate: bool = Field(False, description="analyse + agent-check each branch; regenerate once if it fails")
    quality_threshold: float = Field(0.6, ge=0, le=1)
    claim_rate_per_contributor: int = Field(10, ge=1, description="job-starting claims per window per contributor")
    claim_rate_per_ip: int = Field(600, ge=1, description="claim requests per window per client IP")
    claim_rate_window_seconds: float = Field(60.0, gt=0)
    trust_forwarded_for: bool = Field(False, description="take the client IP from X-Forwarded-For (behind a proxy)")
    max_body_bytes: int = Field(16 * 1024, ge=256)
    provider_poll_seconds: float = Field(1.0, gt=0)
    scene_cache_seconds: float = Field(0.5, ge=0, le=10, description="per-process cache of scene reads (0: off)")
    event_retention_seconds: float = Field(3600.0, gt=0, description="how long the scene change log keeps events")
    watchdog: bool = Field(True, description="run the lease/timeout watchdog in this process")
