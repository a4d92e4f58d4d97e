"""The director view's HTTP API without a browser: sandboxed files, bad input, SSE replay, listing.

The full pipeline (a real run started over HTTP and followed to the end) is exercised by the
browser test in ``test_ui_browser.py``; these tests stay fast and need no stage to be fast.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from worlddirector.config import load_settings
from worlddirector.server.app import create_app
from worlddirector.server.director_api import DirectorDefaults, EventLog

STATIC = Path(__file__).resolve().parents[1] / "src/worlddirector/web/static"


@pytest.fixture
def env(tmp_path):
    runs = tmp_path / "runs"
    settings = load_settings(
        runs_dir=runs, data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/w.db",
        upload_max_bytes=200_000,
    )
    app = create_app(settings)
    app.state.director_defaults = DirectorDefaults(seconds=2, size="320x180", fps=12, iterations=1)
    with TestClient(app) as client:
        yield client, runs


def _make_run(runs: Path, run_id: str, *, status: str = "finished", prompt: str = "a ball rolls", events=()):
    d = runs / run_id
    (d / "iter-01").mkdir(parents=True)
    (d / "iter-01" / "video.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    (d / "iter-01" / "analysis.json").write_text(json.dumps({"metrics": {"overall": 0.5}}))
    (d / "ui.json").write_text(json.dumps({
        "id": run_id, "prompt": prompt, "provider": "procedural", "llm": "offline", "source": "prompt",
        "created": time.time(), "job": {"status": status, "pid": os.getpid() if status == "running" else None},
    }))
    log = EventLog(d / "events.jsonl")
    for ev in events:
        log.append(ev)
    return d


# ---- UI and static files ----------------------------------------------------------------------


def test_index_uses_local_import_map_and_no_external_urls(env):
    client, _ = env
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    imap = json.loads(re.search(r'<script type="importmap">(.*?)</script>', r.text, re.DOTALL).group(1))
    assert imap["imports"]["three"] == "/static/vendor/three/build/three.module.js"
    assert imap["imports"]["three/addons/"] == "/static/vendor/three/examples/jsm/"
    # every script, style and library the page loads is served by us
    for url in [imap["imports"]["three"], imap["imports"]["three/addons/"] + "loaders/GLTFLoader.js",
                imap["imports"]["three/addons/"] + "loaders/PLYLoader.js",
                imap["imports"]["three/addons/"] + "controls/OrbitControls.js", "/static/js/main.js",
                "/static/css/app.css"]:
        res = client.get(url)
        assert res.status_code == 200, url
        if url.endswith(".js"):
            assert res.headers["content-type"].startswith("text/javascript")
    # our own files never reference another host
    for p in [*STATIC.glob("*.html"), *STATIC.glob("js/*.js"), *STATIC.glob("css/*.css")]:
        text = p.read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']https?://""", text), p
        assert not re.search(r"""(import|from)\s*\(?\s*["']https?://""", text), p
        assert "fetch(\"http" not in text and "fetch('http" not in text, p


@pytest.mark.parametrize("url", [
    "/static/..%2F..%2Fconfig.py", "/static/%2e%2e/%2e%2e/config.py", "/static/js/%2e%2e/%2e%2e/%2e%2e/config.py",
    "/static/%2Fetc%2Fpasswd", "/static/js/..%5C..%5Cconfig.py",
])
def test_static_refuses_paths_outside(env, url):
    client, _ = env
    r = client.get(url)
    assert 400 <= r.status_code < 500, (url, r.status_code)
    assert "import" not in r.text  # no file content leaked


# ---- run files -------------------------------------------------------------------------------


def test_run_files_served_and_sandboxed(env, tmp_path):
    client, runs = env
    d = _make_run(runs, "r1")
    (tmp_path / "secret.txt").write_text("top secret")
    os.symlink(tmp_path / "secret.txt", d / "iter-01" / "link.json")
    r = client.get("/api/runs/r1/files/iter-01/video.mp4")
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    # byte ranges work (the browser seeks the video with them)
    r = client.get("/api/runs/r1/files/iter-01/video.mp4", headers={"Range": "bytes=0-7"})
    assert r.status_code == 206 and len(r.content) == 8
    for bad in ["%2e%2e/%2e%2e/secret.txt", "iter-01/%2e%2e/%2e%2e/%2e%2e/secret.txt", "%2F" + str(tmp_path / "secret.txt"),
                "iter-01/link.json", "%2e/iter-01/video.mp4", "iter-01%5C..%5C..%5Csecret.txt"]:
        r = client.get(f"/api/runs/r1/files/{bad}")
        assert 400 <= r.status_code < 500, (bad, r.status_code)
        assert "top secret" not in r.text
    # the server's own bookkeeping is not handed out
    assert client.get("/api/runs/r1/files/ui.json").status_code == 404
    assert client.get("/api/runs/r1/files/iter-01/nothing.json").status_code == 404
    assert client.get("/api/runs/..%2Fx/files/a").status_code in (404, 422)
    assert client.get("/api/runs/R1/files/iter-01/video.mp4").status_code == 422


# ---- starting runs: bad input ----------------------------------------------------------------


@pytest.mark.parametrize("body, needle", [
    ({"prompt": ""}, "prompt"),
    ({"prompt": "   \n  "}, "empty"),
    ({"prompt": "x" * 2001}, "prompt"),
    ({"prompt": "a robot", "provider": "nope"}, "unknown provider"),
    ({"prompt": "a robot", "llm": "gpt-banana"}, "unknown model layer"),
    ({"prompt": "a robot", "iterations": 0}, "iterations"),
    ({"prompt": "a robot", "surprise": 1}, "surprise"),
])
def test_start_run_rejects_bad_input_without_creating_a_run(env, body, needle):
    client, runs = env
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]
    assert not runs.exists() or not any(runs.iterdir())


def test_config_lists_providers_llms_and_defaults(env):
    client, _ = env
    cfg = client.get("/api/config").json()
    assert "procedural" in [p["name"] for p in cfg["providers"]]
    assert "offline" in cfg["llms"]
    assert cfg["defaults"]["size"] == "320x180" and cfg["defaults"]["seconds"] == 2


def test_upload_rejections(env):
    client, runs = env
    r = client.post("/api/uploads", files={"file": ("clip.mp4", b"", "video/mp4")})
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    r = client.post("/api/uploads", files={"file": ("clip.mp4", b"\x00" * 300_000, "video/mp4")})
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    r = client.post("/api/uploads", files={"file": ("notes", b"hello", "text/plain")})
    assert r.status_code == 422
    pytest.importorskip("worlddirector.providers.uploads")
    r = client.post("/api/uploads", files={"file": ("clip.mp4", b"this is not a video at all" * 10, "video/mp4")})
    assert 400 <= r.status_code < 500, r.text
    assert not runs.exists() or not any(runs.iterdir()), "a rejected upload leaves no run behind"


# ---- listing, reopening, events --------------------------------------------------------------


def test_list_and_get_runs(env):
    client, runs = env
    _make_run(runs, "older", prompt="first prompt")
    time.sleep(0.01)
    d = _make_run(runs, "newer", prompt="second prompt")
    (d / "iter-02").mkdir()
    (d / "iter-02" / "world.glb").write_bytes(b"glTF")
    listed = client.get("/api/runs").json()["runs"]
    assert [r["id"] for r in listed] == ["newer", "older"]
    assert listed[0]["prompt"] == "second prompt" and listed[0]["status"] == "finished"
    detail = client.get("/api/runs/newer").json()
    assert [i["dir"] for i in detail["iterations"]] == ["iter-01", "iter-02"]
    assert "world.glb" in detail["iterations"][1]["files"]
    assert "spec" not in detail["job"]
    assert client.get("/api/runs/missing").status_code == 404


def test_events_replay_then_end(env):
    client, runs = env
    evs = [{"type": "stage", "iteration": 1, "stage": s, "status": "finished", "progress": 1.0, "message": s}
           for s in ("generate", "analyze", "reconstruct")]
    _make_run(runs, "ev", events=[*evs, {"type": "run", "status": "finished", "stop_reason": "iterations_exhausted"}])
    with client.stream("GET", "/api/runs/ev/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    ids = [int(x) for x in re.findall(r"^id: (\d+)$", text, re.MULTILINE)]
    assert ids == [1, 2, 3, 4]
    data = [json.loads(x) for x in re.findall(r"^data: (\{.*\})$", text, re.MULTILINE)]
    assert [d.get("stage") for d in data[:3]] == ["generate", "analyze", "reconstruct"]
    assert text.rstrip().endswith('data: {"status": "finished"}') and "event: end" in text
    # resuming after event 2 (EventSource sends Last-Event-ID) replays only what was missed
    with client.stream("GET", "/api/runs/ev/events", headers={"Last-Event-ID": "2"}) as r:
        text = "".join(r.iter_text())
    assert [int(x) for x in re.findall(r"^id: (\d+)$", text, re.MULTILINE)] == [3, 4]


def test_dead_job_is_reported_interrupted(env):
    client, runs = env
    d = _make_run(runs, "dead", status="running")
    meta = json.loads((d / "ui.json").read_text())
    meta["job"]["pid"] = 2**22 + 12345  # no such process
    (d / "ui.json").write_text(json.dumps(meta))
    job = client.get("/api/runs/dead").json()["job"]
    assert job["status"] == "interrupted" and "resume" in job["error"]


def test_continue_refuses_a_running_run(env):
    client, runs = env
    _make_run(runs, "busy", status="running")  # pid = this test process: alive
    r = client.post("/api/runs/busy/continue", json={"iterations": 1})
    assert r.status_code == 409 and "running" in r.json()["detail"]
    r = client.post("/api/runs/busy/continue", json={"iterations": 0})
    assert r.status_code == 422


def test_upload_of_a_real_video_starts_a_run(env, tmp_path):
    """A small real video goes through the providers' import checks and becomes iteration 1."""
    pytest.importorskip("worlddirector.providers.uploads")
    import cv2
    import numpy as np

    src = tmp_path / "my clip.mp4"
    w = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"mp4v"), 12, (160, 96))
    for i in range(18):
        frame = np.full((96, 160, 3), 40, np.uint8)
        cv2.rectangle(frame, (10 + 5 * i, 30), (40 + 5 * i, 60), (0, 0, 220), -1)
        w.write(frame)
    w.release()
    client, runs = env
    r = client.post("/api/uploads", files={"file": ("my clip.mp4", src.read_bytes(), "video/mp4")},
                    data={"prompt": "a red box slides right"})
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    client.post(f"/api/runs/{run_id}/stop")  # the pipeline itself is covered elsewhere
    it = runs / run_id / "iter-01"
    assert (it / "video.mp4").stat().st_size > 0 and list(it.glob("original.*"))
    gen = json.loads((it / "generation.json").read_text())
    assert gen["provider"] == "upload" and gen["synthetic"] is False
    assert gen["source"] == "my clip.mp4"
    listed = {x["id"]: x for x in client.get("/api/runs").json()["runs"]}
    assert listed[run_id]["source"] == "upload" and listed[run_id]["prompt"] == "a red box slides right"


def test_serve_refuses_a_bad_or_busy_port():
    """``worlddirector serve`` says why in one line and exits non-zero (no traceback)."""
    import socket
    import subprocess
    import sys

    exe = str(Path(sys.executable).with_name("worlddirector"))
    r = subprocess.run([exe, "serve", "--port", "70000"], check=False, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "between 1 and 65535" in r.stderr and "Traceback" not in r.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([exe, "serve", "--port", str(port)], check=False, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and f"cannot listen on 127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr
