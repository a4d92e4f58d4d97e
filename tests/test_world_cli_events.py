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


def test_server_sent_events_follow_a_branch(tmp_path, monkeypatch):
    monkeypatch.setenv("WD_SCENE_SECONDS", "1")
    monkeypatch.setenv("WD_SCENE_FPS", "8")
    s = load_settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/w.db", video_size="160x90")
    with TestClient(create_app(s)) as c:
        assert c.post("/worlds/default/scenes", json={"path": ""}).json()["started"]
        seen = []
        t0 = time.monotonic()
        with c.stream("GET", "/worlds/default/events", params={"maxSeconds": 120}) as resp:
            assert resp.headers["content-type"].startswith("text/event-stream")
            for line in resp.iter_lines():
                if line.startswith("data: "):
                    ev = json.loads(line[6:])
                    seen.append(ev)
                    if ev["path"] == "" and ev["status"] in ("ready", "failed"):
                        break
                assert time.monotonic() - t0 < 120
        root = [e for e in seen if e["path"] == ""]
        assert root[-1]["status"] == "ready"
        assert {"generating"} <= {e["status"] for e in root}
        assert any(0 < e["progress"] < 1 for e in root)
        assert [e["version"] for e in root] == sorted(e["version"] for e in root)
