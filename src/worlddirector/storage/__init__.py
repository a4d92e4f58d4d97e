"""Media storage: local disk by default, S3/R2 when configured (see :func:`get_storage`)."""

from __future__ import annotations

from worlddirector.config import Settings
from worlddirector.errors import ConfigError
from worlddirector.storage.base import Storage, check_key
from worlddirector.storage.local import LocalStorage

__all__ = ["LocalStorage", "Storage", "check_key", "get_storage"]


def get_storage(settings: Settings) -> Storage:
    """Pick the backend: ``WD_STORAGE_BACKEND=s3`` or any ``R2_BUCKET_NAME`` selects S3/R2.

    R2's endpoint is derived from ``R2_ACCOUNT_ID`` unless ``S3_ENDPOINT_URL`` names one (MinIO,
    moto, another S3-compatible store).
    """
    backend = settings.storage_backend.lower()
    if backend not in ("local", "s3", "r2"):
        raise ConfigError(f"WD_STORAGE_BACKEND must be local, s3 or r2, got {settings.storage_backend!r}")
    if backend == "local" and not settings.r2_bucket_name:
        return LocalStorage(settings.data_dir / "media")
    from worlddirector.storage.s3 import S3Storage

    endpoint = settings.s3_endpoint_url
    if not endpoint and settings.r2_account_id:
        endpoint = f"https://{settings.r2_account_id}.r2.cloudflarestorage.com"
    return S3Storage(
        settings.r2_bucket_name or "",
        endpoint_url=endpoint,
        access_key_id=settings.r2_access_key_id.get_secret_value() if settings.r2_access_key_id else None,
        secret_access_key=settings.r2_secret_access_key.get_secret_value() if settings.r2_secret_access_key else None,
        public_base_url=settings.r2_public_base_url,
        signed_urls=settings.r2_signed_urls,
        url_ttl=settings.r2_signed_url_ttl,
    )
