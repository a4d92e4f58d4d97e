"""The world HTTP API in-process: bad input is a 4xx with a reason, never a row or a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from worlddirector.config import load_settings
from worlddirector.server.app import create_app
from worlddirector.world.models import SceneRecord


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("WD_SCENE_SECONDS", "2")
    settings = load_settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/w.db",
                             video_size="320x180", job_backend="inprocess")
    app = create_app(settings)
    with TestClient(app) as c:
        yield c


def _rows(client) -> int:
    svc = client.app.state.world_service
    with svc.db.read() as c:
        return c.execute(select(func.count()).select_from(SceneRecord.__table__)).scalar()


def test_default_world_is_alive(client):
    w = client.get("/worlds/default").json()
    assert "courier" in w["basePrompt"] and "three towering portals" in w["basePrompt"].lower()
    assert w["videoProvider"] == "procedural" and w["llm"] == "offline"
    root = client.get("/worlds/default/scenes", params={"path": ""}).json()
    assert root["status"] == "pending" and root["path"] == ""
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("path", ["00/1", "0//1", "abc", "-1", "9" * 5000, "0/", "/0", "1.0", "0/1/2/3/4/5/6/7/8/9/0/1/2/3"])
def test_malformed_paths_4xx_without_rows(client, path):
    before = _rows(client)
    for r in (
        client.get("/worlds/default/scenes", params={"path": path}),
        client.post("/worlds/default/scenes", json={"path": path, "apiKey": ""}),
    ):
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        assert r.json()["detail"]
    assert _rows(client) == before


def test_arbitrary_paths_create_no_rows(client):
    before = _rows(client)
    for p in ("0", "1", "2", "0/1", "2/2/2"):
        r = client.get("/worlds/default/scenes", params={"path": p})
        assert r.status_code in (404, 409), r.text
        r = client.post("/worlds/default/scenes", json={"path": p})
        assert r.status_code in (404, 409), r.text
        assert "not reachable" in r.json()["detail"] or "does not exist" in r.json()["detail"]
    assert _rows(client) == before


def test_unknown_world_and_bad_bodies(client):
    assert client.get("/worlds/nope").status_code == 404
    assert client.get("/worlds/nope/scenes").status_code == 404
    assert client.post("/worlds/nope/scenes", json={"path": ""}).status_code == 404
    assert client.get("/worlds/nope/metrics").status_code == 404
    assert client.get("/worlds/nope/tree").status_code == 404
    assert client.get("/worlds/nope/events").status_code == 404
    r = client.post("/worlds/default/scenes", content=b'{"path": "' + b"0" * 50_000 + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    r = client.post("/worlds/default/scenes", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/worlds/default/scenes", json={"path": "", "extra": 1})
    assert r.status_code == 422
    r = client.post("/worlds/default/scenes", json={"path": 5})
    assert r.status_code == 422
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client.get("/media/worlds/x.mp4").status_code == 404


def test_create_world_validation(client):
    r = client.post("/worlds", json={"id": "w2", "basePrompt": "a robot walks down a hallway", "videoSize": "320x180",
                                      "seconds": 2, "maxDepth": 2})
    assert r.status_code == 201, r.text
    assert r.json()["maxDepth"] == 2 and r.json()["rootStatus"] == "pending"
    assert client.post("/worlds", json={"id": "w2", "basePrompt": "again"}).status_code == 409
    assert client.post("/worlds", json={"basePrompt": "   "}).status_code == 422
    assert client.post("/worlds", json={"basePrompt": "x", "videoProvider": "nope"}).status_code == 422
    assert client.post("/worlds", json={"basePrompt": "x", "llm": "nope"}).status_code == 422
    assert client.post("/worlds", json={"basePrompt": "x", "videoSize": "4000x4000"}).status_code == 422
    assert client.post("/worlds", json={"id": "Bad Id", "basePrompt": "x"}).status_code == 422
    assert client.get("/worlds/w2/scenes", params={"path": "0/1/2"}).status_code == 422  # past depth 2
    ids = [w["id"] for w in client.get("/worlds").json()]
    assert ids == ["default", "w2"]


def test_metrics_and_tree_shape(client):
    m = client.get("/worlds/default/metrics").json()
    assert m["branches"]["pending"] == 1 and m["branches"]["total"] == 1 and m["storageBytes"] == 0
    assert m["successRate"] is None
    t = client.get("/worlds/default/tree").json()
    assert t["path"] == "" and t["status"] == "pending" and t["children"] == []


def test_events_stream_snapshot(client):
    r = client.get("/worlds/default/events", params={"maxSeconds": 0})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert "retry:" in r.text
