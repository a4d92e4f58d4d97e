"""The Celery backend with a real worker process and Redis: keyless jobs run on the worker, a task
delivered twice cannot start a second job, and keyed jobs never enter the broker."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from test_world_support import Server, wait_for, world_env

from worlddirector.world.db import Database
from worlddirector.world.models import JobRecord, SceneRecord

pytestmark = pytest.mark.redis


def _ledger(db_url):
    db = Database(db_url)
    try:
        with db.read() as c:
            return [dict(r) for r in c.execute(JobRecord.__table__.select().order_by(JobRecord.__table__.c.id)).mappings()]
    finally:
        db.dispose()


def test_celery_worker_runs_jobs_exactly_once(tmp_path, redis_url):
    import redis

    r = redis.Redis.from_url(redis_url)
    r.flushdb()
    db_url = f"sqlite:///{tmp_path}/world.db"
    env = world_env(tmp_path, db_url, WD_JOB_BACKEND="celery", WD_REDIS_URL=redis_url, WD_SCENE_SECONDS="1",
                    WD_SCENE_FPS="8", WD_VIDEO_SIZE="160x90")
    Database(db_url).migrate()
    worker = subprocess.Popen([sys.executable, "-m", "worlddirector", "world", "worker", "-c", "1"], cwd=tmp_path,
                              env=env, stdout=open(tmp_path / "worker.log", "wb"), stderr=subprocess.STDOUT)
    server = Server(tmp_path, env, "a").start()
    try:
        res = httpx.post(f"{server.url}/worlds/default/scenes", json={"path": ""}, timeout=30).json()
        assert res["started"]
        done = wait_for(lambda: (s := httpx.get(f"{server.url}/worlds/default/scenes", timeout=10).json())["status"]
                        in ("ready", "failed") and s, timeout=180)
        assert done["status"] == "ready", (done, (tmp_path / "worker.log").read_text()[-2000:])
        rows = _ledger(db_url)
        assert len(rows) == 1 and rows[0]["pid"] == worker.pid  # ran on the worker, not in the server

        # at-least-once delivery: the same task again (old token) must not start another job
        from worlddirector.world.celery_app import make_celery

        db = Database(db_url)
        with db.read() as c:
            s = SceneRecord.__table__
            row = c.execute(s.select().where(s.c.path == "")).mappings().one()
        db.dispose()
        tok = rows[0]["claim_token"]
        make_celery(redis_url).send_task("worlddirector.world.render_scene", args=[row["id"], tok])
        wait_for(lambda: r.llen("celery") == 0, timeout=30)
        import time

        time.sleep(1.5)
        assert len(_ledger(db_url)) == 1

        # a keyed claim runs in the server process and its key never reaches Redis
        key = "sk-celerytest-7f3a9c2e5b1d4f6a8c0e"
        res = httpx.post(f"{server.url}/worlds/default/scenes", json={"path": "0", "apiKey": key}, timeout=30).json()
        assert res["started"]
        wait_for(lambda: httpx.get(f"{server.url}/worlds/default/scenes", params={"path": "0"}, timeout=10)
                 .json()["status"] in ("ready", "failed"), timeout=180)
        rows = _ledger(db_url)
        assert len(rows) == 2 and rows[1]["pid"] == server.proc.pid
        dump = b"".join(bytes(k) + (r.dump(k) or b"") for k in r.scan_iter("*"))
        assert key.encode() not in dump
    finally:
        server.stop()
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
