"""Settings: WD_ names, the seeds' names, and a readable error for a bad value."""

from __future__ import annotations

import subprocess
import sys

import pytest

from worlddirector.config import load_settings, parse_size
from worlddirector.errors import ConfigError


def test_seed_names_are_honoured(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("WORLD_ID", "w2")
    monkeypatch.setenv("VIDEO_SIZE", "320x180")
    monkeypatch.setenv("SCENE_TIMEOUT_SECONDS", "30")
    s = load_settings()
    assert s.database_url == "sqlite:///x.db"
    assert s.world_id == "w2"
    assert s.video_size == "320x180"
    assert s.scene_timeout_seconds == 30


def test_wd_prefix_and_secret_hidden(monkeypatch):
    monkeypatch.setenv("WD_PORT", "6001")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")
    s = load_settings()
    assert s.port == 6001
    assert "sk-test" not in repr(s)
    assert s.openai_api_key.get_secret_value() == "sk-test-not-a-real-key-123456"


@pytest.mark.parametrize("var,value", [("VIDEO_SIZE", "huge"), ("WD_PORT", "99999"), ("WD_LOG_LEVEL", "LOUD")])
def test_bad_setting_is_one_clear_error(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert "bad setting" in str(exc.value)


def test_parse_size():
    assert parse_size("640x360") == (640, 360)
    with pytest.raises(ValueError):
        parse_size("641x360")
    with pytest.raises(ValueError):
        parse_size("640*360")


def test_cli_reports_bad_setting_without_traceback(tmp_path):
    env = {"VIDEO_SIZE": "nonsense", "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [sys.executable, "-m", "worlddirector", "bench"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "bad setting" in r.stderr and "VIDEO_SIZE" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
