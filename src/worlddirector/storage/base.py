"""The storage interface: put a file under a key, fetch it back, hand out a URL for it.

Keys are relative, slash-separated and never contain ``..``; a backend refuses anything else, so
a key can never escape its root (local disk) or bucket prefix.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from pathlib import Path

from worlddirector.errors import BadInputError

_KEY_RE = re.compile(r"[A-Za-z0-9._\-]+(?:/[A-Za-z0-9._\-]+)*")

CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".json": "application/json",
    ".glb": "model/gltf-binary",
}


def check_key(key: str) -> str:
    if not key or len(key) > 512 or not _KEY_RE.fullmatch(key) or any(p in ("..", ".") for p in key.split("/")):
        raise BadInputError(f"bad storage key {key[:80]!r}")
    return key


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")


class Storage(ABC):
    """Where published media lives. ``kind`` names the backend (``local`` or ``s3``)."""

    kind: str = ""

    @abstractmethod
    def put_file(self, key: str, src: Path) -> int:
        """Store ``src`` under ``key``; return its size in bytes."""

    @abstractmethod
    def get_file(self, key: str, dest: Path) -> Path:
        """Copy the object at ``key`` to ``dest`` (raises NotFoundError when missing)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix/``; return how many."""

    @abstractmethod
    def url(self, key: str) -> str:
        """A URL a browser can fetch the object from (signed and expiring where configured)."""
