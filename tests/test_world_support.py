"""Helpers for the shared-world tests: real server processes on 127.0.0.1 (no tests in this file)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def world_env(tmp: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for k in list(env):
        if k.startswith(("WD_", "R2_")) or k in ("DATABASE_URL", "WORLD_ID", "VIDEO_SIZE"):
            env.pop(k)
    env.update(
        WD_DATABASE_URL=database_url,
        WD_DATA_DIR=str(tmp / "data"),
        WD_VIDEO_SIZE="320x180",
        WD_SCENE_SECONDS="2",
        WD_SCENE_FPS="12",
        WD_LOG_LEVEL="INFO",
        WD_JOB_CONCURRENCY="2",
        MUJOCO_GL="egl",
        PYOPENGL_PLATFORM="egl",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Server:
    """``uvicorn worlddirector.server.app:create_app`` in its own process, logging to a file."""

    def __init__(self, tmp: Path, env: dict[str, str], name: str = "s", port: int | None = None):
        self.tmp, self.env, self.name = tmp, env, name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"server-{name}-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Server:
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "worlddirector.server.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=self.tmp, env=self.env, stdout=logf, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()


def wait_for(fn, timeout: float = 120, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting; last value {last!r}")
