"""``worlddirector providers``: lists every provider and backend with whether it is configured and why."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _run(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FAL_", "GOOGLE_", "GEMINI_", "WD_"))}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "worlddirector", *args], capture_output=True, text=True, env=e,
                          timeout=120)


def test_lists_configured_and_why():
    r = _run("providers", "--json", env={"FAL_KEY": "fal-secret-123456"})
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    rows = {p["name"]: p for p in data["providers"]}
    assert set(rows) >= {"procedural", "openai-videos", "veo", "fal"}
    assert rows["procedural"]["ready"] and rows["procedural"]["synthetic"] and rows["procedural"]["default"]
    assert rows["fal"]["ready"] and not rows["fal"]["synthetic"]
    assert not rows["openai-videos"]["ready"] and "OPENAI_API_KEY" in rows["openai-videos"]["why"]
    assert not rows["veo"]["ready"] and "GOOGLE_API_KEY" in rows["veo"]["why"]
    llms = {b["name"]: b for b in data["llm"]}
    assert llms["offline"]["ready"] and not llms["openai"]["ready"]
    assert "fal-secret-123456" not in r.stdout + r.stderr


def test_estimate_and_bad_input():
    r = _run("providers", "estimate", "openai-videos", "--seconds", "8")
    assert r.returncode == 0 and "$0.80" in r.stdout
    r = _run("providers", "estimate", "nope")
    assert r.returncode == 2 and "unknown provider" in r.stderr and "Traceback" not in r.stderr
