"""S3-compatible storage through boto3: Amazon S3, Cloudflare R2, MinIO, or a local ``moto`` server.

URLs: with ``R2_SIGNED_URLS`` (default on) each URL is a presigned GET that expires after
``R2_SIGNED_URL_TTL`` seconds; otherwise the ``R2_PUBLIC_BASE_URL`` (a CDN in front of the bucket)
joined with the key, else the endpoint's path-style object URL.
"""

from __future__ import annotations

from pathlib import Path

from worlddirector.errors import ConfigError, NotFoundError
from worlddirector.storage.base import Storage, check_key, content_type_for


class S3Storage(Storage):
    kind = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str = "auto",
        public_base_url: str | None = None,
        signed_urls: bool = True,
        url_ttl: int = 3600,
        prefix: str = "",
    ):
        import boto3
        from botocore.config import Config

        if not bucket:
            raise ConfigError("S3/R2 storage needs a bucket name (R2_BUCKET_NAME)")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.signed_urls = signed_urls
        self.url_ttl = int(url_ttl)
        self.prefix = prefix.strip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=None if region == "auto" and endpoint_url is None else region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    def _k(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_file(self, key: str, src: Path) -> int:
        self.client.upload_file(str(src), self.bucket, self._k(key), ExtraArgs={"ContentType": content_type_for(key)})
        return Path(src).stat().st_size

    def get_file(self, key: str, dest: Path) -> Path:
        from botocore.exceptions import ClientError

        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client.download_file(self.bucket, self._k(key), str(dest))
        except ClientError as exc:
            raise NotFoundError(f"media {key!r} not found in bucket") from exc
        return dest

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._k(key))
            return True
        except ClientError:
            return False

    def delete_prefix(self, prefix: str) -> int:
        full = self._k(prefix).rstrip("/") + "/"
        n = 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
            objs = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if objs:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objs})
                n += len(objs)
        return n

    def url(self, key: str) -> str:
        k = self._k(key)
        if self.signed_urls:
            return self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": k}, ExpiresIn=self.url_ttl
            )
        if self.public_base_url:
            return f"{self.public_base_url}/{k}"
        base = (self.endpoint_url or f"https://{self.bucket}.s3.amazonaws.com").rstrip("/")
        return f"{base}/{self.bucket}/{k}" if self.endpoint_url else f"{base}/{k}"
