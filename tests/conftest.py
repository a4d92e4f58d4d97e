"""Shared fixtures.

Services: tests that need PostgreSQL or Redis ask for the ``postgres_url`` / ``redis_url``
fixtures. When the service is unreachable they skip with a loud reason, unless
``WD_REQUIRE_SERVICES=1`` (CI), where they fail instead: CI must never skip them.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest

REQUIRE = os.environ.get("WD_REQUIRE_SERVICES") == "1"
PG_ADMIN_URL = os.environ.get("WD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("WD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _missing(what: str) -> None:
    msg = f"{what} is not reachable: this test needs it (set WD_REQUIRE_SERVICES=1 to make this a failure)"
    if REQUIRE:
        pytest.fail(f"WD_REQUIRE_SERVICES=1 but {what} is not reachable")
    print(f"\n*** SKIPPING: {msg} ***")
    pytest.skip(msg)


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL schema for one test; dropped afterwards."""
    if not _reachable("127.0.0.1", 5432):
        _missing("PostgreSQL on 127.0.0.1:5432")
    import sqlalchemy as sa

    schema = "t_" + uuid.uuid4().hex[:12]
    eng = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    yield url
    with eng.connect() as c:
        c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    eng.dispose()


@pytest.fixture
def redis_url():
    if not _reachable("127.0.0.1", 6379):
        _missing("Redis on 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """Where browser tests save their screenshots: the README's ``docs/screenshots/`` only when asked
    (``WD_UPDATE_SCREENSHOTS=1``), else a temporary directory, so a test run leaves the checkout clean."""
    if os.environ.get("WD_UPDATE_SCREENSHOTS"):
        shots = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        return shots
    return tmp_path_factory.mktemp("screenshots")
