"""Base class for every artifact a stage writes: a pydantic model that saves to and loads from JSON.

Loading a file that is missing, not JSON, or not of the expected shape raises
:class:`~worlddirector.errors.BadInputError` with the file name and the first problem, so a CLI
command never shows a traceback for a bad artifact.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from worlddirector.errors import BadInputError

Vec3 = tuple[float, float, float]


class Artifact(BaseModel):
    """A typed JSON artifact. Subclasses set ``FILENAME``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    FILENAME: ClassVar[str] = ""
    JSON_INDENT: ClassVar[int | None] = 1  # None: compact, for artifacts with very long arrays

    def save(self, path: str | Path) -> Path:
        """Write atomically (temp file + rename) so a crash never leaves half a file."""
        path = Path(path)
        if path.is_dir():
            path = path / self.FILENAME
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.model_dump_json(indent=self.JSON_INDENT)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; artifacts are meant to be read by people and servers
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Self:
        path = Path(path)
        if path.is_dir():
            path = path / cls.FILENAME
        if not path.exists():
            raise BadInputError(f"{path}: file not found")
        try:
            raw = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadInputError(f"{path}: not valid JSON ({exc})") from None
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"]) or "(root)"
            raise BadInputError(f"{path}: {loc}: {err['msg']} ({exc.error_count()} problem(s))") from None


def finite(values) -> bool:
    """True when every number in a (nested) sequence is finite."""
    if isinstance(values, (int, float)):
        return math.isfinite(values)
    return all(finite(v) for v in values)
