"""The CLI (prerender with progress, bad input as one line) and live server-sent events."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from fastapi.testclient import TestClient
from test_world_support import world_env

from worlddirector.config import load_settings
from worlddirector.server.app import create_app
from worlddirector.world.watchdog import sweep


def _cli(tmp_path, env, *args, timeout=600):
    return subprocess.run([sys.executable, "-m", "worlddirector", "world", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_prerender_and_show(tmp_path):
    env = world_env(tmp_path, f"sqlite:///{tmp_path}/world.db", WD_SCENE_SECONDS="1", WD_SCENE_FPS="8",
                    WD_VIDEO_SIZE="160x90", WD_CLAIM_RATE_PER_CONTRIBUTOR="2")  # public limits: not for the operator
    r = _cli(tmp_path, env, "prerender", "--depth", "1")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "4 branches ready, 0 failed" in r.stdout
    r = _cli(tmp_path, env, "show", "--metrics")
    m = json.loads(r.stdout)
    assert m["branches"]["ready"] == 4 and m["branches"]["pending"] == 9 and m["jobs"]["completed"] == 4
    r = _cli(tmp_path, env, "show", "--path", "2")
    s = json.loads(r.stdout)
    assert s["status"] == "ready" and len(s["choices"]) == 3 and s["continuityScore"] > 0.3
    assert s["stateSummary"] and s["choiceLabel"]
    # prerendering again finds everything ready and starts nothing
    r = _cli(tmp_path, env, "prerender", "--depth", "1")
    assert r.returncode == 0 and "4 branches ready" in r.stdout
    assert json.loads(_cli(tmp_path, env, "show", "--metrics").stdout)["jobs"]["total"] == 4
    # bad input: one line, non-zero exit, no traceback
    for args in (["show", "--path", "00/1"], ["show", "--world", "nope"], ["create", "  "]):
        r = _cli(tmp_path, env, *args)
        assert r.returncode != 0 and "Traceback" not in r.stderr
        assert r.stderr.strip().startswith("error:") and len(r.stderr.strip().splitlines()) == 1, r.stderr


def _events(resp, until_ready: bool = True) -> list[dict]:
    """The ``scene`` events of an SSE response, each with its ``id`` (up to the root's end)."""
    out, cur = [], {}
    for line in resp.iter_lines():
        if line.startswith("id: "):
            cur["id"] = int(line[4:])
        elif line.startswith("data: "):
            out.append({**json.loads(line[6:]), **cur})
            cur = {}
            if until_ready and out[-1]["path"] == "" and out[-1]["status"] in ("ready", "failed"):
                break
    return out


def test_server_sent_events_follow_a_branch(tmp_path, monkeypatch):
    monkeypatch.setenv("WD_SCENE_SECONDS", "1")
    monkeypatch.setenv("WD_SCENE_FPS", "8")
    s = load_settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/w.db", video_size="160x90")
    with TestClient(create_app(s)) as c:
        assert c.post("/worlds/default/scenes", json={"path": ""}).json()["started"]
        t0 = time.monotonic()
        # lastEventId=0 replays the change log from its start: a branch faster than the stream's
        # poll still shows every step
        with c.stream("GET", "/worlds/default/events", params={"maxSeconds": 120, "lastEventId": 0}) as resp:
            assert resp.headers["content-type"].startswith("text/event-stream")
            seen = _events(resp)
        assert time.monotonic() - t0 < 120
        root = [e for e in seen if e["path"] == ""]
        assert root[-1]["status"] == "ready"
        assert [e["status"] for e in root][:3] == ["pending", "queued", "generating"]
        assert any(0 < e["progress"] < 1 for e in root)
        # every write to the branch is one event, in order: versions 0, 1, 2, ... with none missing
        assert [e["version"] for e in root] == list(range(len(root)))
        ids = [e["id"] for e in seen]
        assert ids == sorted(set(ids))

        # a client that reconnects (EventSource sends Last-Event-ID) gets exactly what came after,
        # here also the children the planner wrote (pending branches, logged with the root's end)
        mid = root[2]["id"]
        with c.stream("GET", "/worlds/default/events", params={"maxSeconds": 0},
                      headers={"Last-Event-ID": str(mid)}) as resp:
            rest = _events(resp, until_ready=False)
        assert [e["id"] for e in rest][: len(ids) - 3] == ids[3:]
        assert {e["path"] for e in rest if e["status"] == "pending"} == {"0", "1", "2"}
        # without a cursor the stream starts at "now": nothing old is replayed
        time.sleep(1.1)
        with c.stream("GET", "/worlds/default/events", params={"maxSeconds": 0}) as resp:
            assert _events(resp, until_ready=False) == []
        # the watchdog drops events older than WD_EVENT_RETENTION_SECONDS (an hour by default)
        svc = c.app.state.world_service
        sweep(svc, now=time.time() + 1800)
        assert len(svc.events_after("default", 0)) == len(rest) + 3
        sweep(svc, now=time.time() + 3700)
        assert svc.events_after("default", 0) == []
