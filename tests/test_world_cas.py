"""The compare-and-set primitive under real contention: exactly one writer wins, on both databases."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import insert, select

from worlddirector.world.db import Database
from worlddirector.world.models import SceneEventRecord, SceneRecord, WorldRecord
from worlddirector.world.states import SceneStatus as S
from worlddirector.world.states import allowed, transition


def _race(url: str, n: int = 40) -> tuple[int, str, str]:
    db = Database(url)
    db.migrate()
    db.migrate()  # idempotent
    now = time.time()
    with db.write() as c:
        c.execute(insert(WorldRecord.__table__).values(
            id="w", title="", base_prompt="p", video_provider="procedural", llm="offline", video_size="320x180",
            seconds=2, fps=12, max_depth=3, max_attempts=3, quality_gate=False, created_at=now))
        sid = c.execute(insert(SceneRecord.__table__).values(
            world_id="w", path="", depth=0, status="pending", storage_bytes=0, attempts=0, keyed=False,
            progress=0, version=0, created_at=now, updated_at=now)).inserted_primary_key[0]
    barrier = threading.Barrier(n)
    winners: list[str] = []
    errors: list[BaseException] = []

    def claim():
        tok = uuid.uuid4().hex
        try:
            barrier.wait()
            with db.write() as c:
                if transition(c, sid, expect={S.PENDING}, to=S.QUEUED, claim_token=tok, claimant="x",
                              attempts=SceneRecord.__table__.c.attempts + 1):
                    winners.append(tok)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=claim) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    with db.read() as c:
        row = c.execute(select(SceneRecord.__table__).where(SceneRecord.__table__.c.id == sid)).mappings().one()
        events = c.execute(select(SceneEventRecord.__table__)).mappings().all()
    db.dispose()
    # the change log holds the winner's write only, with the state it wrote
    assert [(e["scene_id"], e["status"], e["version"], e["world_id"], e["path"]) for e in events] == [
        (sid, "queued", 1, "w", "")]
    return len(winners), (winners[0] if winners else ""), row


def test_cas_single_winner_sqlite(tmp_path):
    n, tok, row = _race(f"sqlite:///{tmp_path}/w.db")
    assert n == 1
    assert row["claim_token"] == tok and row["status"] == "queued" and row["attempts"] == 1


@pytest.mark.postgres
def test_cas_single_winner_postgres(postgres_url):
    n, tok, row = _race(postgres_url)
    assert n == 1
    assert row["claim_token"] == tok and row["status"] == "queued" and row["attempts"] == 1


def test_transition_table():
    assert allowed(S.PENDING, S.QUEUED)
    assert not allowed(S.READY, S.QUEUED)  # a finished scene can never be overwritten
    assert not allowed(S.PENDING, S.READY)
    assert allowed(S.FAILED, S.QUEUED)
    with pytest.raises(ValueError):
        transition(None, 1, expect={S.READY}, to=S.GENERATING)
