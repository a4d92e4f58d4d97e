"""Engines and migrations for the shared world (SQLite by default, PostgreSQL in production).

Why two engines on SQLite: a transaction that reads before it writes can be refused by SQLite
("database is locked") when another process wrote in between, and SQLite will not wait for it.
Write transactions therefore start with ``BEGIN IMMEDIATE`` (take the write lock first, waiting up
to the busy timeout), while reads use a plain deferred transaction. WAL mode lets reads run while
a write is in progress. PostgreSQL needs none of this: one engine serves both.

Migrations are Alembic scripts shipped inside the package (``world/migrations``) and run on
startup. Several processes may start at once: on PostgreSQL an advisory lock serialises them, on
SQLite the loser of the table-creation race retries and finds the schema at head.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from worlddirector.errors import ConfigError
from worlddirector.logging import get_logger

log = get_logger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 80_080_001


def _sqlite_engine(url, immediate: bool) -> Engine:
    eng = create_engine(
        url,
        connect_args={"timeout": 60, "check_same_thread": False, "isolation_level": None},
        pool_size=8,
        max_overflow=32,
    )

    @event.listens_for(eng, "connect")
    def _on_connect(dbapi_conn, _rec):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(eng, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return eng


class Database:
    """The shared world's database: ``read()`` and ``write()`` give short transactions."""

    def __init__(self, url: str):
        try:
            parsed = make_url(url)
        except Exception:
            raise ConfigError(f"DATABASE_URL {url!r} is not a database URL") from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            db = parsed.database
            if db and db != ":memory:":
                Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(parsed, immediate=False)
            self.write_engine = _sqlite_engine(parsed, immediate=True)
        elif self.dialect == "postgresql":
            self.engine = create_engine(parsed, pool_size=8, max_overflow=24, pool_pre_ping=True)
            self.write_engine = self.engine
        else:
            raise ConfigError(f"DATABASE_URL: unsupported database {self.dialect!r} (use sqlite or postgresql)")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on error."""
        with self.write_engine.begin() as conn:
            yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest revision (safe to call from many processes at once)."""
        import logging

        logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO chatter is not for users
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        for attempt in range(20):
            try:
                with self.engine.begin() as conn:
                    if self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                return
            except SQLAlchemyError as exc:
                if attempt == 19:
                    raise
                log.info("migration raced another process; retrying", error=type(exc).__name__)
                time.sleep(0.2 + 0.1 * attempt)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()
