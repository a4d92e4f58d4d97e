"""Scene states, the transitions allowed between them, and the one function that writes them.

Every status change is a compare-and-set: ``UPDATE scenes SET ... WHERE id = :id AND status IN
(:expected) [AND claim_token = :token]``. The database applies it atomically, so of any number of
racing processes exactly one sees ``rowcount == 1``; everyone else re-reads and learns who won.
That is what makes a claim hold across workers and replicas, with no in-process lock involved.

::

    pending ──claim──► queued ──worker──► generating ──► ready
       ▲                 │                    │
       └──recycle────────┴────────────────────┤
                                              ▼
    failed ◄──────────────────────────────── failed ──retry──► queued

``queued``/``generating`` may also move to themselves with a new token when the watchdog takes
over an orphaned job (its owner died; the lease expired) to resume it.

Every write that succeeds also appends the scene's new state to ``scene_events`` in the same
transaction (:func:`record`): the event stream replays that log, so a follower sees each step
(``queued``, ``generating``, progress, ``ready``) in order, even when a branch moves faster than
the stream polls.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Float, insert, literal, select, update

from worlddirector.world.models import SceneEventRecord, SceneRecord


class SceneStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    GENERATING = "generating"
    READY = "ready"
    FAILED = "failed"


S = SceneStatus
TRANSITIONS: dict[SceneStatus, frozenset[SceneStatus]] = {
    S.PENDING: frozenset({S.QUEUED}),
    S.QUEUED: frozenset({S.QUEUED, S.GENERATING, S.PENDING, S.FAILED}),
    S.GENERATING: frozenset({S.GENERATING, S.QUEUED, S.READY, S.PENDING, S.FAILED}),
    S.READY: frozenset(),
    S.FAILED: frozenset({S.QUEUED}),
}
ACTIVE = frozenset({S.QUEUED, S.GENERATING})

scenes = SceneRecord.__table__
scene_events = SceneEventRecord.__table__
_LOGGED = ("world_id", "path", "status", "progress", "progress_message", "failure_code", "version")


def allowed(src: SceneStatus, dst: SceneStatus) -> bool:
    return dst in TRANSITIONS[src]


def transition(
    conn: Connection,
    scene_id: int,
    *,
    expect: set[SceneStatus] | frozenset[SceneStatus],
    to: SceneStatus,
    token: str | None = None,
    now: float | None = None,
    extra_where: list[Any] | None = None,
    **values: Any,
) -> bool:
    """Move scene ``scene_id`` from one of ``expect`` to ``to`` if (and only if) it is still there.

    ``token`` (when given) must equal the row's ``claim_token``: only the claim's owner may write.
    Returns ``True`` when this call made the change.
    """
    for src in expect:
        if not allowed(src, to):
            raise ValueError(f"transition {src} -> {to} is not allowed")
    now = time.time() if now is None else now
    stmt = update(scenes).where(scenes.c.id == scene_id, scenes.c.status.in_([str(s) for s in expect]))
    if token is not None:
        stmt = stmt.where(scenes.c.claim_token == token)
    for cond in extra_where or ():
        stmt = stmt.where(cond)
    stmt = stmt.values(status=str(to), updated_at=now, version=scenes.c.version + 1, **values)
    return _written(conn, stmt, scene_id, now)


def touch(conn: Connection, scene_id: int, token: str, *, now: float | None = None, **values: Any) -> bool:
    """Update an owned, active scene without changing its status (progress, lease, job id)."""
    now = time.time() if now is None else now
    stmt = (
        update(scenes)
        .where(
            scenes.c.id == scene_id,
            scenes.c.claim_token == token,
            scenes.c.status.in_([str(s) for s in ACTIVE]),
        )
        .values(updated_at=now, version=scenes.c.version + 1, **values)
    )
    return _written(conn, stmt, scene_id, now)


def _written(conn: Connection, stmt, scene_id: int, now: float) -> bool:
    """Run a conditional UPDATE of one scene; when it changed the row, log the new state (:func:`record`)."""
    if conn.execute(stmt).rowcount != 1:
        return False
    record(conn, scenes.c.id == scene_id, now=now)
    return True


def record(conn: Connection, *where: Any, now: float | None = None) -> None:
    """Append the current state of the scenes matching ``where`` to the change log (same transaction)."""
    now = time.time() if now is None else now
    cols = [scenes.c.id.label("scene_id"), *(scenes.c[k] for k in _LOGGED)]
    src = select(*cols, literal(now, Float).label("created_at")).where(*where)
    conn.execute(insert(scene_events).from_select(["scene_id", *_LOGGED, "created_at"], src))
