"""Local-disk storage (the default): files under one root directory, served by the app at ``/media``."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from worlddirector.errors import NotFoundError
from worlddirector.storage.base import Storage, check_key


class LocalStorage(Storage):
    kind = "local"

    def __init__(self, root: Path, url_prefix: str = "/media"):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.url_prefix = url_prefix.rstrip("/")

    def path(self, key: str) -> Path:
        p = (self.root / check_key(key)).resolve()
        if self.root not in p.parents:
            raise NotFoundError("no such media")
        return p

    def put_file(self, key: str, src: Path) -> int:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
        os.close(fd)
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)  # atomic: readers never see half a file
        return dest.stat().st_size

    def get_file(self, key: str, dest: Path) -> Path:
        src = self.path(key)
        if not src.is_file():
            raise NotFoundError(f"media {key!r} not found")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        return dest

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete_prefix(self, prefix: str) -> int:
        d = self.path(prefix)
        if not d.is_dir():
            return 0
        n = sum(1 for p in d.rglob("*") if p.is_file())
        shutil.rmtree(d, ignore_errors=True)
        return n

    def url(self, key: str) -> str:
        return f"{self.url_prefix}/{check_key(key)}"
