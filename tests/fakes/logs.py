"""DEBUG logging into pytest's captured stderr for one block, with structlog restored afterwards.

``configure_logging`` binds the stream that is ``sys.stderr`` at call time; inside ``capsys`` that is a
capture buffer closed after the test, so the configuration must not outlive the block.
"""

from __future__ import annotations

from contextlib import contextmanager

import structlog

from worlddirector.logging import configure_logging


@contextmanager
def debug_logging():
    configure_logging("DEBUG")
    try:
        yield
    finally:
        structlog.reset_defaults()
