"""The quality gate: a branch that fails its check is regenerated once with a revised prompt, and
both verdicts are kept."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from worlddirector.config import load_settings
from worlddirector.server.app import create_app


def _wait(c, world, path="", timeout=300):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        s = c.get(f"/worlds/{world}/scenes", params={"path": path}).json()
        if s["status"] in ("ready", "failed"):
            return s
        time.sleep(0.3)
    raise AssertionError("branch did not finish")


def test_quality_gate_regenerates_once(tmp_path, monkeypatch):
    monkeypatch.setenv("WD_QUALITY_AGENTS", "0")  # analysis only: reconstruction is tested elsewhere
    monkeypatch.setenv("WD_QUALITY_THRESHOLD", "1.0")  # no real clip reaches a perfect overall: force a fail
    s = load_settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/w.db")
    with TestClient(create_app(s)) as c:
        r = c.post("/worlds", json={"id": "q", "basePrompt": "a red ball rolls across a sunny park",
                                    "videoSize": "160x90", "seconds": 1, "fps": 8, "qualityGate": True})
        assert r.status_code == 201 and r.json()["qualityGate"] is True
        assert c.post("/worlds/q/scenes", json={"path": ""}).json()["started"]
        done = _wait(c, "q")
        assert done["status"] == "ready", done
        q = done["quality"]
        assert q["regenerated"] is True and len(q["checks"]) == 2
        assert not q["checks"][0]["passed"] and 0 <= q["checks"][0]["overall"] < 1.0
        assert "temporal_flickering" in q["checks"][0]["metrics"]
        svc = c.app.state.world_service
        jobs = svc.jobs_for("q", "")
        assert len(jobs) == 2 and {j["status"] for j in jobs} == {"completed"}  # one regeneration, never more
        assert q["original_prompt"] and done["prompt"]
