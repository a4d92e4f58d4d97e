"""A fixture that turns on DEBUG logging into pytest's captured stderr, and restores structlog afterwards.

``configure_logging`` binds the stream that is ``sys.stderr`` at call time; inside ``capsys`` that is a
capture buffer closed after the test, so the configuration must not outlive the test.
"""

from __future__ import annotations

import pytest
import structlog

from worlddirector.logging import configure_logging


class _Logs:
    def __init__(self, capsys):
        self.capsys = capsys
        configure_logging("DEBUG")  # bind the stream capsys has installed for this test's call phase

    def readouterr(self):
        return self.capsys.readouterr()


@pytest.fixture
def debug_logs(capsys):
    """Call it inside the test: ``logs = debug_logs()``; read with ``logs.readouterr()``."""
    try:
        yield lambda: _Logs(capsys)
    finally:
        structlog.reset_defaults()
