"""Settings for every part of World Director.

Values come from ``WD_*`` environment variables, a ``.env`` file in the working directory, and,
where the seeds already named a setting (``DATABASE_URL``, ``WORLD_ID``, ``VIDEO_SIZE``, the
``R2_*`` family, ...), from that name too, so an existing deployment's environment keeps working.
A bad value raises :class:`worlddirector.errors.ConfigError` with the variable's name and why.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worlddirector.errors import ConfigError

_SIZE_RE = re.compile(r"^(\d{2,5})x(\d{2,5})$")


def parse_size(text: str) -> tuple[int, int]:
    """Parse ``"WIDTHxHEIGHT"`` into a tuple; raise ``ValueError`` with a readable reason."""
    m = _SIZE_RE.match(text.strip().lower())
    if not m:
        raise ValueError(f"size must look like 640x360, got {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if w % 2 or h % 2:
        raise ValueError(f"size {text!r}: width and height must be even (H.264 yuv420p)")
    return w, h


def _env(name: str, *aliases: str) -> AliasChoices:
    return AliasChoices(f"WD_{name}", *aliases)


class Settings(BaseSettings):
    """All configuration. Field names are the ``WD_`` variable without the prefix, lower-cased."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # where things live
    data_dir: Path = Field(Path("data"), validation_alias=_env("DATA_DIR"))
    runs_dir: Path = Field(Path("runs"), validation_alias=_env("RUNS_DIR"))
    log_level: str = Field("INFO", validation_alias=_env("LOG_LEVEL"))
    log_json: bool = Field(False, validation_alias=_env("LOG_JSON"))

    # server
    host: str = Field("127.0.0.1", validation_alias=_env("HOST"))
    port: int = Field(5001, ge=1, le=65535, validation_alias=_env("PORT"))

    # generation defaults
    video_provider: str = Field("procedural", validation_alias=_env("VIDEO_PROVIDER"))
    video_size: str = Field("640x360", validation_alias=_env("VIDEO_SIZE", "VIDEO_SIZE"))
    llm: str = Field("offline", validation_alias=_env("LLM"))

    # provider credentials (never logged; SecretStr hides them from repr)
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY", "OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL", "OPENAI_BASE_URL"))
    openai_video_model: str = Field("sora-2", validation_alias=_env("OPENAI_VIDEO_MODEL", "SORA_MODEL"))
    openai_llm_model: str = Field("gpt-5", validation_alias=_env("OPENAI_LLM_MODEL", "PLANNER_MODEL"))
    state_summary_model: str = Field("gpt-5-mini", validation_alias=_env("STATE_SUMMARY_MODEL", "STATE_SUMMARY_MODEL"))
    google_api_key: SecretStr | None = Field(None, validation_alias=_env("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"))
    google_base_url: str | None = Field(None, validation_alias=_env("GOOGLE_BASE_URL"))
    veo_model: str = Field("veo-3.0-generate-001", validation_alias=_env("VEO_MODEL"))
    fal_key: SecretStr | None = Field(None, validation_alias=_env("FAL_KEY", "FAL_KEY"))
    fal_base_url: str = Field("https://queue.fal.run", validation_alias=_env("FAL_BASE_URL"))
    fal_model: str = Field("fal-ai/wan/v2.2-a14b/text-to-video", validation_alias=_env("FAL_MODEL"))
    provider_deadline_seconds: float = Field(1800, gt=0, validation_alias=_env("PROVIDER_DEADLINE_SECONDS"))
    spend_cap_usd: float = Field(20.0, ge=0, validation_alias=_env("SPEND_CAP_USD"))
    upload_max_bytes: int = Field(200 * 1024 * 1024, gt=0, validation_alias=_env("UPLOAD_MAX_BYTES"))
    upload_max_seconds: float = Field(600, gt=0, validation_alias=_env("UPLOAD_MAX_SECONDS"))

    # shared world (names from the shared-world seed)
    database_url: str = Field("sqlite:///./data/worlddirector.db", validation_alias=_env("DATABASE_URL", "DATABASE_URL"))
    world_id: str = Field("default", validation_alias=_env("WORLD_ID", "WORLD_ID"))
    world_base_prompt: str | None = Field(None, validation_alias=_env("WORLD_BASE_PROMPT", "WORLD_BASE_PROMPT"))
    world_prompt_guidance: str | None = Field(None, validation_alias=_env("WORLD_PROMPT_GUIDANCE", "WORLD_PROMPT_GUIDANCE"))
    scene_timeout_seconds: float = Field(900, gt=0, validation_alias=_env("SCENE_TIMEOUT_SECONDS", "SCENE_TIMEOUT_SECONDS"))
    watchdog_interval_seconds: float = Field(60, gt=0, validation_alias=_env("WATCHDOG_INTERVAL_SECONDS", "WATCHDOG_INTERVAL_SECONDS"))
    contributor_salt: SecretStr = Field(SecretStr("sora-shared-world"), validation_alias=_env("CONTRIBUTOR_SALT", "CONTRIBUTOR_SALT"))
    job_backend: str = Field("inprocess", validation_alias=_env("JOB_BACKEND"))
    job_concurrency: int = Field(2, ge=1, le=64, validation_alias=_env("JOB_CONCURRENCY"))
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias=_env("REDIS_URL", "REDIS_URL"))

    # storage (R2 / S3)
    storage_backend: str = Field("local", validation_alias=_env("STORAGE_BACKEND"))
    r2_account_id: str | None = Field(None, validation_alias=_env("R2_ACCOUNT_ID", "R2_ACCOUNT_ID"))
    r2_access_key_id: SecretStr | None = Field(None, validation_alias=_env("R2_ACCESS_KEY_ID", "R2_ACCESS_KEY_ID"))
    r2_secret_access_key: SecretStr | None = Field(None, validation_alias=_env("R2_SECRET_ACCESS_KEY", "R2_SECRET_ACCESS_KEY"))
    r2_bucket_name: str | None = Field(None, validation_alias=_env("R2_BUCKET_NAME", "R2_BUCKET_NAME"))
    r2_public_base_url: str | None = Field(None, validation_alias=_env("R2_PUBLIC_BASE_URL", "R2_PUBLIC_BASE_URL"))
    r2_signed_urls: bool = Field(True, validation_alias=_env("R2_SIGNED_URLS", "R2_SIGNED_URLS"))
    r2_signed_url_ttl: int = Field(3600, gt=0, validation_alias=_env("R2_SIGNED_URL_TTL", "R2_SIGNED_URL_TTL"))
    s3_endpoint_url: str | None = Field(None, validation_alias=_env("S3_ENDPOINT_URL", "S3_ENDPOINT_URL"))

    @field_validator("video_size")
    @classmethod
    def _check_size(cls, v: str) -> str:
        parse_size(v)
        return v

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return v


def load_settings(**overrides) -> Settings:
    """Build settings, turning a validation failure into one readable :class:`ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            parts.append(f"{_names_for(loc)}: {err['msg']}")
        raise ConfigError("bad setting: " + "; ".join(parts)) from None


def _names_for(alias: str) -> str:
    """All the environment names a setting answers to, e.g. ``VIDEO_SIZE / WD_VIDEO_SIZE``."""
    for field in Settings.model_fields.values():
        choices = getattr(field.validation_alias, "choices", None) or []
        if alias in choices:
            return " / ".join(dict.fromkeys(reversed(choices)))
    return alias


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (cached). Tests build their own with :func:`load_settings`."""
    return load_settings()
