"""Recovery: kill -9 a server while a paid job runs; a restarted server finishes the branch by
resuming the same provider job (the fake provider counts paid jobs itself), and the watchdog
cancels and recycles a job that overruns SCENE_TIMEOUT_SECONDS."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from test_world_support import REPO, Server, free_port, wait_for, world_env

from worlddirector.world.db import Database
from worlddirector.world.models import JobRecord, SceneRecord

CLIP = REPO.parent / "shared/testdata/real/sora_catapult.mp4"


class FakeVideos:
    def __init__(self, tmp: Path, seconds: float):
        self.port = free_port()
        self.state = tmp / f"fake-videos-{self.port}"
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "test_world_fake_videos.py"),
                                      str(self.port), str(CLIP), str(self.state), str(seconds)])
        wait_for(lambda: (self.state / "ready").exists(), timeout=30)
        self.url = f"http://127.0.0.1:{self.port}/v1"

    def jobs(self) -> list[dict]:
        f = self.state / "jobs.jsonl"
        return [json.loads(x) for x in f.read_text().splitlines()] if f.exists() else []

    def deleted(self) -> list[dict]:
        f = self.state / "deleted.jsonl"
        return [json.loads(x) for x in f.read_text().splitlines()] if f.exists() else []

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def scene_row(db_url: str, world: str, path: str) -> dict | None:
    db = Database(db_url)
    try:
        with db.read() as c:
            s = SceneRecord.__table__
            r = c.execute(s.select().where(s.c.world_id == world, s.c.path == path)).mappings().first()
            return dict(r) if r else None
    finally:
        db.dispose()


def ledger(db_url: str) -> list[dict]:
    db = Database(db_url)
    try:
        with db.read() as c:
            return [dict(r) for r in c.execute(JobRecord.__table__.select()).mappings()]
    finally:
        db.dispose()


@pytest.fixture
def fake(tmp_path):
    f = FakeVideos(tmp_path, seconds=5.0)
    yield f
    f.stop()


def _env(tmp_path, db_url, fake, **kw):
    return world_env(tmp_path, db_url, WD_OPENAI_BASE_URL=fake.url, WD_OPENAI_API_KEY="sk-operator-0123456789abcdef",
                     WD_OPENAI_VIDEO_MODEL="gateway-video-1", WD_CLAIM_LEASE_SECONDS="2",
                     WD_WATCHDOG_INTERVAL_SECONDS="0.5", **kw)


def _create(server: Server, wid: str, **extra):
    r = httpx.post(f"{server.url}/worlds", json={"id": wid, "basePrompt": "a courier sprints through a neon city",
                                                 "videoProvider": "openai-videos", "seconds": 4, **extra}, timeout=30)
    assert r.status_code == 201, r.text


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/world.db"
    return request.getfixturevalue("postgres_url")


def test_kill9_mid_generation_resumes_the_paid_job(tmp_path, fake, db_url):
    env = _env(tmp_path, db_url, fake)
    a = Server(tmp_path, env, "a").start()
    try:
        _create(a, "paid")
        r = httpx.post(f"{a.url}/worlds/paid/scenes", json={"path": ""}, timeout=30).json()
        assert r["started"] and r["status"] == "queued"
        # wait until the provider has the job and its id is in the database, then kill -9
        wait_for(lambda: (scene_row(db_url, "paid", "") or {}).get("provider_job_id"), timeout=60)
        assert len(fake.jobs()) == 1
    finally:
        a.kill9()
    row = scene_row(db_url, "paid", "")
    assert row["status"] in ("queued", "generating") and row["provider_job_id"] == fake.jobs()[0]["id"]
    b = Server(tmp_path, env, "b").start()
    try:
        done = wait_for(lambda: (s := httpx.get(f"{b.url}/worlds/paid/scenes", params={"path": ""}, timeout=10).json())
                        ["status"] in ("ready", "failed") and s, timeout=120)
        assert done["status"] == "ready", done
        assert len(fake.jobs()) == 1  # no second paid job
        rows = ledger(db_url)
        assert len(rows) == 1 and rows[0]["status"] == "completed" and rows[0]["provider_job_id"] == fake.jobs()[0]["id"]
        assert httpx.get(b.url + done["media"]["video"], timeout=30).status_code == 200
        # the child continues from the parent's last frame (a reference image is sent)
        r = httpx.post(f"{b.url}/worlds/paid/scenes", json={"path": "2"}, timeout=30).json()
        assert r["started"]
        child = wait_for(lambda: (s := httpx.get(f"{b.url}/worlds/paid/scenes", params={"path": "2"}, timeout=10)
                                  .json())["status"] in ("ready", "failed") and s, timeout=120)
        assert child["status"] == "ready", child
        assert fake.jobs()[1]["input_reference"] is True
        assert child["continuityScore"] is not None
    finally:
        b.stop()


def test_watchdog_cancels_and_recycles_overrun_job(tmp_path):
    slow = FakeVideos(tmp_path, seconds=600.0)
    db_url = f"sqlite:///{tmp_path}/world.db"
    try:
        env = _env(tmp_path, db_url, slow, SCENE_TIMEOUT_SECONDS="5")
        a = Server(tmp_path, env, "a").start()
        try:
            _create(a, "slow", maxAttempts=2)
            httpx.post(f"{a.url}/worlds/slow/scenes", json={"path": ""}, timeout=30)
            wait_for(lambda: len(slow.jobs()) == 1, timeout=60)
            row = wait_for(lambda: (r := scene_row(db_url, "slow", "")) and r["status"] == "pending" and r, timeout=60)
            assert row["failure_code"] == "timeout" and row["provider_job_id"] is None
            assert [d["id"] for d in wait_for(slow.deleted, timeout=30)] == [slow.jobs()[0]["id"]]
            # cancelled by the watchdog, or (if the overrun hit mid-submit) cancelled by the job itself
            wait_for(lambda: [j["status"] for j in ledger(db_url)] in (["cancelled"], ["superseded"]), timeout=30)
            s = httpx.get(f"{a.url}/worlds/slow/scenes", params={"path": ""}, timeout=10).json()
            assert s["status"] == "pending"
            # the second overrun is the last attempt: the branch ends failed; retry once the provider is fast
            httpx.post(f"{a.url}/worlds/slow/scenes", json={"path": ""}, timeout=30)
            failed = wait_for(lambda: (s := httpx.get(f"{a.url}/worlds/slow/scenes", timeout=10).json())["status"]
                              == "failed" and s, timeout=60)
            assert failed["failure"]["code"] == "timeout" and "cancelled" in failed["failure"]["message"]
            claim = httpx.post(f"{a.url}/worlds/slow/scenes", json={"path": ""}, timeout=30).json()
            assert claim["status"] == "failed" and not claim["started"]  # a claim does not silently retry
        finally:
            a.stop()
        # retry, now with a fast provider and a generous timeout
        (slow.state / "seconds").write_text("1")
        env["SCENE_TIMEOUT_SECONDS"] = "600"
        a = Server(tmp_path, env, "b").start()
        try:
            r = httpx.post(f"{a.url}/worlds/slow/scenes/root/retry", json={}, timeout=30).json()
            assert r["started"] and r["status"] == "queued"
            done = wait_for(lambda: (s := httpx.get(f"{a.url}/worlds/slow/scenes", timeout=10).json())["status"]
                            in ("ready", "failed") and s, timeout=60)
            assert done["status"] == "ready" and done["failure"] is None, done
            m = httpx.get(f"{a.url}/worlds/slow/metrics", timeout=10).json()
            assert m["jobs"]["completed"] == 1 and m["jobs"]["total"] == 3
        finally:
            a.stop()
    finally:
        slow.stop()


def test_keyed_job_after_crash_resumes_for_the_same_contributor(tmp_path, fake):
    """A caller's key dies with the process (it is never stored): the watchdog releases the branch,
    keeping the provider job id; when the same contributor claims again, the paid job is resumed."""
    db_url = f"sqlite:///{tmp_path}/world.db"
    env = world_env(tmp_path, db_url, WD_OPENAI_BASE_URL=fake.url, WD_OPENAI_VIDEO_MODEL="gateway-video-1",
                    WD_CLAIM_LEASE_SECONDS="2", WD_WATCHDOG_INTERVAL_SECONDS="0.5")
    key = "sk-keyedcrash-5d1c9e7b3a2f4d6e"
    a = Server(tmp_path, env, "a").start()
    try:
        _create(a, "kw")
        assert httpx.post(f"{a.url}/worlds/kw/scenes", json={"path": "", "apiKey": key}, timeout=30).json()["started"]
        wait_for(lambda: (scene_row(db_url, "kw", "") or {}).get("provider_job_id"), timeout=60)
    finally:
        a.kill9()
    job_id = fake.jobs()[0]["id"]
    b = Server(tmp_path, env, "b").start()
    try:
        row = wait_for(lambda: (r := scene_row(db_url, "kw", "")) and r["status"] == "pending" and r, timeout=60)
        assert row["provider_job_id"] == job_id and row["claim_token"] is None
        r = httpx.post(f"{b.url}/worlds/kw/scenes", json={"path": "", "apiKey": key}, timeout=30).json()
        assert r["started"]
        done = wait_for(lambda: (s := httpx.get(f"{b.url}/worlds/kw/scenes", timeout=10).json())["status"]
                        in ("ready", "failed") and s, timeout=120)
        assert done["status"] == "ready", done
        assert [j["id"] for j in fake.jobs()] == [job_id]  # resumed, not paid twice
        assert [j["provider_job_id"] for j in ledger(db_url)] == [job_id]
    finally:
        b.stop()
