"""The audio waveform under the director's video (issue 10): the envelope endpoint and its drawing.

* ``GET /api/runs/{id}/waveform/{rel}``: min/max peaks of a generated clip with sound (a real,
  non-flat envelope whose loud bins are where the generator put its sound events), ``has_audio:
  false`` for a clip generated without sound, 4xx for bad requests;
* in Debian's Chromium (the ``tests/test_ui_browser.py`` set-up): a run with a sounding clip draws
  the waveform canvas (pixel variance) with the av_sync line beside it; a silent clip draws nothing
  and says so. Screenshot: ``docs/screenshots/director-waveform.png`` (with ``WD_UPDATE_SCREENSHOTS=1``).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from worlddirector.analysis import analyze_video
from worlddirector.artifacts import GroundTruth
from worlddirector.config import load_settings
from worlddirector.providers.procedural import generate_clip
from worlddirector.server.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]
PROMPT = "a red ball bounces in a bright room"


def _make_run(runs: Path, run_id: str, *, audio: bool, analyse: bool = False) -> Path:
    """A run directory as the director leaves it (ui.json + iter-01 with a generated clip)."""
    d = runs / run_id
    it = d / "iter-01"
    generate_clip(PROMPT, it, seed=1, seconds=2.0, size=(320, 180), fps=12, defects="none", audio=audio)
    if analyse:
        analyze_video(it / "video.mp4", it)
    (d / "ui.json").write_text(json.dumps({
        "id": run_id, "prompt": PROMPT, "provider": "procedural", "llm": "offline", "source": "prompt",
        "created": time.time(), "job": {"status": "finished", "pid": None},
    }))
    return d


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("wave")
    runs = root / "runs"
    _make_run(runs, "r-sound", audio=True, analyse=True)
    _make_run(runs, "r-mute", audio=False, analyse=True)
    return runs


def test_waveform_endpoint(runs, tmp_path):
    settings = load_settings(runs_dir=runs, data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/w.db")
    with TestClient(create_app(settings)) as client:
        r = client.get("/api/runs/r-sound/waveform/iter-01/video.mp4?bins=200")
        assert r.status_code == 200
        env = r.json()
        assert env["has_audio"] and len(env["peaks"]) == 200 and abs(env["duration"] - 2.0) < 0.1
        peaks = np.array(env["peaks"])
        assert (peaks[:, 0] <= peaks[:, 1]).all() and peaks[:, 1].max() > 0.05
        # the loudest bins are at the generator's discrete sound events (impacts), not in the bed
        gt = GroundTruth.load(runs / "r-sound" / "iter-01")
        events = [e.time for e in gt.audio_events if e.kind in ("impact", "footstep", "launch")]
        if events:
            width = peaks[:, 1] - peaks[:, 0]
            loud = (np.argsort(width)[-3:] + 0.5) / 200 * env["duration"]
            assert min(abs(loud - t).min() for t in events) < 0.1, (loud, events)
        # a clip without sound: no peaks, no made-up envelope
        mute = client.get("/api/runs/r-mute/waveform/iter-01/video.mp4").json()
        assert mute == {"has_audio": False, "duration": 0.0, "sample_rate": 16000, "peaks": []}
        # bad requests are 4xx with a reason
        for url in ("/api/runs/r-sound/waveform/iter-01/analysis.json",
                    "/api/runs/r-sound/waveform/iter-01/video.mp4?bins=5"):
            r = client.get(url)
            assert r.status_code == 422 and ("video file" in r.text or "bins" in r.text), (url, r.text)
        assert client.get("/api/runs/r-sound/waveform/iter-01/nothing.mp4").status_code == 404
        assert 400 <= client.get("/api/runs/r-sound/waveform/../r-mute/iter-01/video.mp4").status_code < 500
        assert client.get("/api/runs/nope/waveform/iter-01/video.mp4").status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pixel_std(png: bytes) -> float:
    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float).std())


@pytest.mark.browser
@pytest.mark.slow
def test_waveform_drawn_in_the_browser(runs, tmp_path, screenshot_dir):
    if not Path(CHROMIUM).exists():
        msg = f"{CHROMIUM} is missing (install Debian's chromium: scripts/setup.sh --dev)"
        if os.environ.get("WD_REQUIRE_SERVICES") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = dict(os.environ, WD_RUNS_DIR=str(runs), WD_DATA_DIR=str(tmp_path / "data"),
               WD_DATABASE_URL=f"sqlite:///{tmp_path}/data/world.db", WD_STORAGE_BACKEND="local",
               WD_LOG_LEVEL="WARNING", WD_VIDEO_PROVIDER="procedural", WD_LLM="offline")
    (tmp_path / "data").mkdir()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 -- closed below
    proc = subprocess.Popen([str(Path(sys.executable).with_name("worlddirector")), "serve", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("server did not start:\n" + (tmp_path / "server.log").read_text()[-3000:]) from None
                time.sleep(0.2)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = b.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/#/director/r-sound")
            page.wait_for_function("() => (document.querySelector('#waveform-canvas') || {dataset: {}}).dataset.drawn",
                                   timeout=60_000)
            canvas = page.locator("#waveform-canvas")
            assert canvas.is_visible()
            std = _pixel_std(canvas.screenshot())
            assert std > 5, std  # a drawn envelope with ticks, not an empty strip
            info = page.text_content("#waveform-sync")
            assert "A/V sync" in info and "visual events" in info, info
            page.locator(".video-card").screenshot(path=str(screenshot_dir / "director-waveform.png"))
            # clicking the waveform seeks the video there
            box = canvas.bounding_box()
            page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
            page.wait_for_function("() => Math.abs(document.querySelector('#video').currentTime - 1.5) < 0.2")

            # a silent clip: nothing drawn, a short note instead
            page.goto(base + "/#/director/r-mute")
            page.wait_for_function("() => /no sound track/.test(document.querySelector('#waveform-sync')?.textContent || '')",
                                   timeout=60_000)
            assert page.get_attribute("#waveform-canvas", "data-drawn") == ""
            assert not page.is_visible("#waveform-canvas")
            assert not errors, errors
            b.close()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
