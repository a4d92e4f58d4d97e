"""The CLI shell: usage errors and bad input are one clear message and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "worlddirector", *args], capture_output=True, text=True, cwd=cwd)


def test_missing_option_is_a_usage_error(tmp_path):
    r = _run("generate", "a robot", cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "Missing option" in r.stderr and "--out" in r.stderr


def test_unknown_option_is_a_usage_error(tmp_path):
    r = _run("analyze", "--bogus", cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "No such option" in r.stderr


def test_every_part_registers_its_commands():
    r = _run("--help")
    assert r.returncode == 0
    for cmd in ("generate", "analyze", "reconstruct", "simulate", "direct", "batch", "serve", "providers", "world", "bench"):
        assert cmd in r.stdout
    r = _run("bench", "--help")
    for b in ("generate", "analysis", "reconstruction", "simulation", "av-sync", "loop", "world"):
        assert b in r.stdout
