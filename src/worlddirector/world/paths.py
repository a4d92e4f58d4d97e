"""Canonical scene paths: ``""`` is the opening scene, ``"0"`` its first choice, ``"0/2"`` deeper.

One spelling per branch, so the unique ``(world_id, path)`` row can never be reached twice under
two names (the reference let ``0//1`` regenerate an existing branch). Indexes are decimal with no
leading zeros, separated by single slashes, with nothing before or after.
"""

from __future__ import annotations

import re

from worlddirector.errors import BadInputError

MAX_PATH_CHARS = 256
_PATH_RE = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:/(?:0|[1-9][0-9]{0,2}))*")


def parse_path(text: str | None, *, max_depth: int | None = None) -> tuple[int, ...]:
    """Parse a canonical path into choice indexes, or raise :class:`BadInputError` saying why."""
    if text is None or text == "":
        return ()
    if not isinstance(text, str):
        raise BadInputError("path must be a string like '0/2'")
    if len(text) > MAX_PATH_CHARS:
        raise BadInputError(f"path is too long ({len(text)} characters, at most {MAX_PATH_CHARS})")
    if not _PATH_RE.fullmatch(text):
        raise BadInputError(_why_bad(text))
    indexes = tuple(int(p) for p in text.split("/"))
    if max_depth is not None and len(indexes) > max_depth:
        raise BadInputError(f"path {text!r} is {len(indexes)} deep; this world stops at depth {max_depth}")
    return indexes


def _why_bad(text: str) -> str:
    if text.startswith("/") or text.endswith("/"):
        return f"path {text!r} must not start or end with '/'"
    if "//" in text:
        return f"path {text!r} has an empty segment ('//')"
    for part in text.split("/"):
        if not part.isascii() or not part.isdigit():
            return f"path {text!r}: segment {part[:20]!r} is not a choice index (digits only, e.g. '0/2')"
        if len(part) > 1 and part.startswith("0"):
            return f"path {text!r}: segment {part!r} has a leading zero (write {int(part)})"
        if len(part) > 3:
            return f"path {text!r}: segment {part[:20]!r} is not a valid choice index"
    return f"path {text!r} is not canonical (digits and single slashes, e.g. '0/2')"


def format_path(indexes: tuple[int, ...] | list[int]) -> str:
    return "/".join(str(i) for i in indexes)


def parent_path(path: str) -> str | None:
    """The parent's canonical path; ``None`` for the root."""
    if path == "":
        return None
    return path.rsplit("/", 1)[0] if "/" in path else ""


def child_path(path: str, index: int) -> str:
    return f"{path}/{index}" if path else str(index)
