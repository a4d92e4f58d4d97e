"""Errors a person can act on.

Every error that reaches a user derives from :class:`WDError`; the CLI prints ``str(err)`` as one
line and exits non-zero, the server maps it to a 4xx/5xx with the same reason. Anything else is a
bug.
"""

from __future__ import annotations


class WDError(Exception):
    """Base class: ``str(err)`` is a one-line reason fit to show a person."""

    exit_code = 1
    http_status = 400
    code = "error"


class ConfigError(WDError):
    code = "bad_setting"
    exit_code = 2


class BadInputError(WDError):
    """The user's input (prompt, file, path, parameter) cannot be used."""

    code = "bad_input"
    exit_code = 2
    http_status = 422


class NotFoundError(WDError):
    code = "not_found"
    http_status = 404


class StageError(WDError):
    """A pipeline stage could not produce its artifact (with the reason)."""

    code = "stage_failed"
    http_status = 500
