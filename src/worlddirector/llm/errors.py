"""The model layer's one error type."""

from __future__ import annotations

from worlddirector.errors import WDError


class LLMError(WDError):
    """A model backend could not produce a valid structured answer (after one retry), or is unreachable.

    ``str(err)`` never contains an API key or the full model output: only what a person needs.
    """

    code = "llm_failed"
    http_status = 502
