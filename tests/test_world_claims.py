"""Exactly-once claims against two real server processes sharing one database (SQLite, PostgreSQL).

Each burst fires 50 simultaneous claims at one new branch, alternating between the two servers.
Exactly one may start a job; the job ledger (one row per provider job, written *before* the
provider is called) and the published media directories must show exactly one job per branch.
The full 200 x 20 version is ``worlddirector bench world``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from test_world_support import Server, wait_for, world_env

from worlddirector.world.db import Database
from worlddirector.world.models import JobRecord, SceneRecord

BURST = 50


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/world.db"
    return request.getfixturevalue("postgres_url")


def burst(servers: list[Server], world: str, path: str, n: int = BURST) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(n)
    out: list = [None] * n

    def one(i: int) -> None:
        with httpx.Client(base_url=servers[i % len(servers)].url, timeout=60) as c:
            c.get("/healthz")  # connect before the barrier so the claims leave together
            barrier.wait()
            r = c.post(f"/worlds/{world}/scenes", json={"path": path, "apiKey": ""})
            out[i] = (r.status_code, r.json())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def ledger(db_url: str, world: str, path: str) -> list[dict]:
    db = Database(db_url)
    try:
        with db.read() as c:
            j, s = JobRecord.__table__, SceneRecord.__table__
            return [dict(r) for r in c.execute(
                j.select().select_from(j.join(s, j.c.scene_id == s.c.id))
                .where(s.c.world_id == world, s.c.path == path)).mappings()]
    finally:
        db.dispose()


def scene(server: Server, world: str, path: str) -> dict:
    return httpx.get(f"{server.url}/worlds/{world}/scenes", params={"path": path}, timeout=30).json()


def test_bursts_start_exactly_one_job(tmp_path: Path, db_url: str):
    Database(db_url).migrate()
    env = world_env(tmp_path, db_url, WD_CLAIM_RATE_PER_IP="100000", WD_CLAIM_RATE_PER_CONTRIBUTOR="100000",
                    WD_SCENE_SECONDS="1", WD_SCENE_FPS="8", WD_VIDEO_SIZE="160x90")
    servers = [Server(tmp_path, env, "a").start(), Server(tmp_path, env, "b").start()]
    try:
        worlds = []
        for i in range(2):
            r = httpx.post(f"{servers[i % 2].url}/worlds", json={
                "id": f"w{i}", "basePrompt": "a red ball rolls across a sunny park", "maxDepth": 3}, timeout=30)
            assert r.status_code == 201, r.text
            worlds.append(f"w{i}")
        targets = [(w, "") for w in worlds]
        for w, p in targets:
            out = burst(servers, w, p)
            assert all(st == 200 for st, _ in out), [o for o in out if o[0] != 200][:3]
            assert sum(1 for _, d in out if d["started"]) == 1
            assert {d["status"] for _, d in out} <= {"queued", "ready"}
        for w, _ in targets:
            assert wait_for(lambda: scene(servers[1], w, "")["status"] == "ready" or None, timeout=180)
        # a third burst on a child branch, now that the opening scene is ready
        out = burst(servers, "w0", "1")
        assert sum(1 for _, d in out if d["started"]) == 1
        targets.append(("w0", "1"))
        assert wait_for(lambda: scene(servers[0], "w0", "1")["status"] == "ready" or None, timeout=180)
        for w, p in targets:
            rows = ledger(db_url, w, p)
            assert len(rows) == 1, rows
            assert rows[0]["status"] == "completed"
        media = tmp_path / "data" / "media" / "worlds"
        for w in worlds:
            assert len(list((media / w / "scenes").iterdir())) == (2 if w == "w0" else 1)
        # a late claim on a finished branch is answered from the database, never starts anything
        r = httpx.post(f"{servers[1].url}/worlds/w0/scenes", json={"path": ""}, timeout=30).json()
        assert r["status"] == "ready" and r["started"] is False
        assert len(ledger(db_url, "w0", "")) == 1
        s = scene(servers[0], "w0", "")
        assert len(s["choices"]) == 3 and s["media"]["video"].startswith("/media/")
        assert httpx.get(servers[1].url + s["media"]["video"], timeout=30).content[4:8] == b"ftyp"
        child = scene(servers[0], "w0", "1")
        assert child["continuityScore"] is not None and 0.0 <= child["continuityScore"] <= 1.0
        m = httpx.get(f"{servers[0].url}/worlds/w0/metrics", timeout=30).json()
        assert m["branches"]["ready"] == 2 and m["jobs"]["completed"] == 2 and m["storageBytes"] > 0
        assert m["successRate"] == 1.0
    finally:
        for s in servers:
            s.stop()
