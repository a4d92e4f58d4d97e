"""Artifacts save atomically and refuse bad files with a one-line reason."""

from __future__ import annotations

import pytest

from worlddirector.artifacts.agent_report import AgentReport, Replay
from worlddirector.errors import BadInputError


def test_roundtrip(tmp_path):
    r = AgentReport(seed=1, n_agents=2, sim_seconds=3.0, violations=[], replay=Replay())
    p = r.save(tmp_path)
    assert p.name == "agent_report.json"
    assert AgentReport.load(tmp_path) == r
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_files(tmp_path):
    with pytest.raises(BadInputError, match="not found"):
        AgentReport.load(tmp_path)
    (tmp_path / "agent_report.json").write_text("{nope")
    with pytest.raises(BadInputError, match="not valid JSON"):
        AgentReport.load(tmp_path)
    (tmp_path / "agent_report.json").write_text('{"seed": "x"}')
    with pytest.raises(BadInputError, match="problem"):
        AgentReport.load(tmp_path)


def test_nan_is_rejected(tmp_path):
    (tmp_path / "agent_report.json").write_text(
        '{"seed": 1, "n_agents": 1, "sim_seconds": NaN, "violations": [], "replay": {}}'
    )
    with pytest.raises(BadInputError):
        AgentReport.load(tmp_path)


def test_saved_artifacts_are_world_readable(tmp_path):
    p = AgentReport(seed=1, n_agents=1, sim_seconds=1.0, violations=[], replay=Replay()).save(tmp_path)
    assert p.stat().st_mode & 0o044 == 0o044
