"""Caller keys: used for that job only (the provider sees it), never stored, logged or echoed;
contributors are salted hashes; claims are rate limited per contributor and per IP."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from test_world_recovery import FakeVideos, scene_row
from test_world_support import Server, wait_for, world_env

from worlddirector.config import load_settings
from worlddirector.server.app import create_app

KEY = "sk-callerkey-3b9f1e7d5c2a4e6f8091"


def _grep_tree(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_caller_key_used_once_never_stored(tmp_path):
    fake = FakeVideos(tmp_path, seconds=1.0)
    db_url = f"sqlite:///{tmp_path}/world.db"
    env = world_env(tmp_path, db_url, WD_OPENAI_BASE_URL=fake.url, WD_OPENAI_VIDEO_MODEL="gateway-video-1",
                    WD_LOG_LEVEL="DEBUG")
    s = Server(tmp_path, env, "a").start()
    texts = []
    try:
        r = httpx.post(f"{s.url}/worlds", json={"id": "k", "basePrompt": "a courier leaps between rooftops",
                                                "videoProvider": "openai-videos", "seconds": 4}, timeout=30)
        assert r.status_code == 201
        r = httpx.post(f"{s.url}/worlds/k/scenes", json={"path": ""}, timeout=30)
        assert r.status_code == 401 and "apiKey" in r.json()["detail"]  # the provider needs a key
        assert scene_row(db_url, "k", "")["status"] == "pending"
        r = httpx.post(f"{s.url}/worlds/k/scenes", json={"path": "", "apiKey": KEY}, timeout=30)
        texts.append(r.text)
        assert r.json()["started"]
        done = wait_for(lambda: (x := httpx.get(f"{s.url}/worlds/k/scenes", timeout=10)).json()["status"]
                        in ("ready", "failed") and x, timeout=120)
        texts.append(done.text)
        assert done.json()["status"] == "ready", done.text
        # the job really used the caller's key at the provider
        assert fake.jobs()[0]["key"] == hashlib.sha256(KEY.encode()).hexdigest()[:16]
        row = scene_row(db_url, "k", "")
        assert row["claimant"] and len(row["claimant"]) == 24 and row["keyed"]
        for ep in ("/worlds/k/metrics", "/worlds/k/tree", "/worlds/k", "/worlds"):
            texts.append(httpx.get(s.url + ep, timeout=10).text)
    finally:
        s.stop()
        fake.stop()
    assert not any(KEY in t for t in texts)
    hits = _grep_tree(tmp_path, KEY.encode())  # database (+WAL), server log, media, caches
    assert hits == [], hits
    import sqlite3

    dump = "\n".join(sqlite3.connect(tmp_path / "world.db").iterdump())
    assert KEY not in dump and "callerkey" not in dump


@pytest.fixture
def limited(tmp_path, monkeypatch):
    monkeypatch.setenv("WD_CLAIM_RATE_PER_CONTRIBUTOR", "1")
    monkeypatch.setenv("WD_CLAIM_RATE_PER_IP", "3")
    monkeypatch.setenv("WD_SCENE_SECONDS", "1")
    monkeypatch.setenv("WD_SCENE_FPS", "8")
    settings = load_settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/w.db",
                             video_size="160x90")
    with TestClient(create_app(settings)) as c:
        yield c


def test_rate_limits(limited):
    c = limited
    for w in ("r1", "r2"):
        assert c.post("/worlds", json={"id": w, "basePrompt": "a ball rolls", "seconds": 1}).status_code == 201
    assert c.post("/worlds/r1/scenes", json={"path": ""}).json()["started"]
    r = c.post("/worlds/r2/scenes", json={"path": ""})  # same contributor, a second new branch
    assert r.status_code == 429 and "try again" in r.json()["detail"]
    assert c.get("/worlds/r2/scenes").json()["status"] == "pending"
    # a different contributor (their own key) may start it
    assert c.post("/worlds/r2/scenes", json={"path": "", "apiKey": "sk-other-contributor-key-123"}).json()["started"]
    r = c.post("/worlds/r1/scenes", json={"path": ""})  # 4th request from this address
    assert r.status_code == 429
