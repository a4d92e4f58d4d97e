"""``worlddirector bench world``: exactly-once claims under bursts, and latency/throughput under load.

For each database (SQLite file; PostgreSQL when reachable) it starts two real server processes
(uvicorn on 127.0.0.1) sharing that database, then:

1. **Bursts**: ``--bursts`` times, a new world is created (its opening scene is a new, pending
   branch) and ``--claims`` clients claim it at the same moment, alternating between the two
   servers. Exactly one claim may report ``started`` and exactly one provider job may appear in
   the job ledger (counted after the branch is ready).
2. **Load**: ``--clients`` concurrent keep-alive clients GET a ready scene for ``--seconds``, then
   POST claims on a ready branch (the common case: the branch exists, play it at once), and the GET
   test again with 20 clients, the reference's concurrency. Printed beside the reference system's
   numbers measured here (about 245 GET/s, p50 77 ms with 20 clients); target: at least 4x its
   throughput at 10x its concurrency.

The load generator is a small asyncio HTTP/1.1 client (cheaper per request than a general client, so
more of the two cores go to the servers it measures). Client and servers share the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from worlddirector.bench.common import console, table, verdict

REF_GET_RPS = 245.0
REF_GET_P50_MS = 77.0
REF_CLIENTS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


class _Servers:
    def __init__(self, tmp: Path, database_url: str, n: int = 2):
        self.tmp, self.db, self.n = tmp, database_url, n
        self.procs: list[subprocess.Popen] = []
        self.ports: list[int] = []

    def __enter__(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WD_", "R2_"))}
        env.update(
            WD_DATABASE_URL=self.db, WD_DATA_DIR=str(self.tmp / "data"), WD_VIDEO_SIZE="160x90",
            WD_SCENE_SECONDS="1", WD_SCENE_FPS="8", WD_LOG_LEVEL="WARNING", WD_JOB_CONCURRENCY="1",
            WD_CLAIM_RATE_PER_IP="100000000", WD_CLAIM_RATE_PER_CONTRIBUTOR="100000000",
            MUJOCO_GL="egl", PYOPENGL_PLATFORM="egl",
        )
        from worlddirector.world.db import Database

        db = Database(self.db)
        db.migrate()
        db.dispose()
        for i in range(self.n):
            port = _free_port()
            log = open(self.tmp / f"server-{i}.log", "ab")
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "worlddirector.server.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                cwd=self.tmp, env=env, stdout=log, stderr=subprocess.STDOUT))
            self.ports.append(port)
        import httpx

        deadline = time.monotonic() + 60
        for port, p in zip(self.ports, self.procs):
            while True:
                if p.poll() is not None:
                    raise RuntimeError(f"server exited; see {self.tmp}/server-*.log")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start")
                time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


# ---- a tiny keep-alive HTTP/1.1 client ----------------------------------------------------------


class _Conn:
    def __init__(self, port: int):
        self.port = port
        self.r = self.w = None

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if self.w is None:
            self.r, self.w = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.w.write(head.encode() + b"\r\n" + (body or b""))
        await self.w.drain()
        status_line = await self.r.readline()
        if not status_line:
            self.w = None
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, chunked = 0, False
        while True:
            line = await self.r.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            k = k.strip().lower()
            if k == "content-length":
                length = int(v)
            elif k == "transfer-encoding" and "chunked" in v:
                chunked = True
        if chunked:
            data = b""
            while True:
                size = int((await self.r.readline()).strip(), 16)
                chunk = await self.r.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.r.readexactly(length)
        return status, data

    def close(self):
        if self.w is not None:
            self.w.close()


async def _burst(ports: list[int], world: str, n: int) -> list[tuple[int, dict]]:
    conns = [_Conn(ports[i % len(ports)]) for i in range(n)]
    for c in conns:  # connect first, so the claims leave together
        c.r, c.w = await asyncio.open_connection("127.0.0.1", c.port)
    body = json.dumps({"path": "", "apiKey": ""}).encode()
    gate = asyncio.Event()

    async def one(c):
        await gate.wait()
        t0 = time.perf_counter()
        st, data = await c.request("POST", f"/worlds/{world}/scenes", body)
        out = json.loads(data)
        out["_ms"] = (time.perf_counter() - t0) * 1000
        return st, out

    tasks = [asyncio.create_task(one(c)) for c in conns]
    await asyncio.sleep(0.05)
    gate.set()
    out = await asyncio.gather(*tasks)
    for c in conns:
        c.close()
    return out


async def _load(ports: list[int], clients: int, seconds: float, method: str, path: str,
                body: bytes | None = None) -> dict:
    lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(i):
        nonlocal errors
        c = _Conn(ports[i % len(ports)])
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                st, _ = await c.request(method, path, body)
            except (ConnectionError, OSError, asyncio.IncompleteReadError):
                errors += 1
                c = _Conn(ports[i % len(ports)])
                continue
            if st != 200:
                errors += 1
            lat.append(time.perf_counter() - t0)
        c.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
    return {"n": len(lat), "rps": len(lat) / wall, "p50": q(0.5), "p99": q(0.99), "errors": errors}


def _wait_ready(port: int, world: str, timeout: float = 120) -> dict:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = httpx.get(f"http://127.0.0.1:{port}/worlds/{world}/scenes", params={"path": ""}, timeout=10).json()
        if s["status"] in ("ready", "failed"):
            return s
        time.sleep(0.2)
    raise RuntimeError(f"world {world} did not finish")


def bench_database(label: str, url: str, *, bursts: int, claims: int, clients: int, seconds: float) -> dict:
    import httpx
    from sqlalchemy import func, select

    from worlddirector.world.db import Database
    from worlddirector.world.models import JobRecord, SceneRecord

    tmp = Path(tempfile.mkdtemp(prefix="wd-bench-world-"))
    res: dict = {"label": label}
    try:
        with _Servers(tmp, url) as srv:
            ports = srv.ports
            worlds, started_counts, statuses, burst_ms = [], [], [], []
            for b in range(bursts):
                wid = f"bench-{uuid.uuid4().hex[:8]}"
                r = httpx.post(f"http://127.0.0.1:{ports[0]}/worlds", json={
                    "id": wid, "basePrompt": "a red ball rolls across a sunny park", "videoSize": "160x90",
                    "seconds": 1, "fps": 8, "maxDepth": 2}, timeout=30)
                r.raise_for_status()
                out = asyncio.run(_burst(ports, wid, claims))
                started_counts.append(sum(1 for st, d in out if st == 200 and d.get("started")))
                burst_ms.extend(d["_ms"] for _, d in out)
                statuses.append(sum(1 for st, _ in out if st != 200))
                worlds.append(wid)
                console.print(f"  [{label}] burst {b + 1}/{bursts}: {claims} claims, "
                              f"{started_counts[-1]} started, {statuses[-1]} non-200")
            finals = [_wait_ready(ports[0], w) for w in worlds]
            db = Database(url)
            jobs_t, scenes_t = JobRecord.__table__, SceneRecord.__table__
            with db.read() as c:
                per_world = dict(c.execute(
                    select(scenes_t.c.world_id, func.count(jobs_t.c.id))
                    .select_from(jobs_t.join(scenes_t, jobs_t.c.scene_id == scenes_t.c.id))
                    .where(scenes_t.c.world_id.in_(worlds)).group_by(scenes_t.c.world_id)).all())
            db.dispose()
            jobs = [int(per_world.get(w, 0)) for w in worlds]
            burst_ms.sort()
            res.update(bursts=bursts, claims=claims, started=started_counts, jobs=jobs, non200=sum(statuses),
                       ready=sum(1 for f in finals if f["status"] == "ready"),
                       burst_p50=statistics.median(burst_ms), burst_p99=burst_ms[int(0.99 * (len(burst_ms) - 1))])
            ready_world = next((w for w, f in zip(worlds, finals) if f["status"] == "ready"), worlds[0])
            get_path = f"/worlds/{ready_world}/scenes?path="
            claim_body = json.dumps({"path": "", "apiKey": ""}).encode()
            asyncio.run(_load(ports, 20, 1.0, "GET", get_path))  # warm up
            res["get_hi"] = asyncio.run(_load(ports, clients, seconds, "GET", get_path))
            res["claim_hi"] = asyncio.run(_load(ports, clients, seconds, "POST", f"/worlds/{ready_world}/scenes",
                                                claim_body))
            res["get_ref"] = asyncio.run(_load(ports, REF_CLIENTS, seconds, "GET", get_path))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def run(*, bursts: int = 20, claims: int = 200, clients: int = 200, seconds: float = 10.0,
        postgres_url: str | None = None) -> list[dict]:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="wd-bench-sqlite-"))
    try:
        console.print(f"[bold]SQLite[/bold]: {bursts} bursts x {claims} claims, load {clients} clients x {seconds:g} s")
        results.append(bench_database("sqlite", f"sqlite:///{tmp}/world.db", bursts=bursts, claims=claims,
                                      clients=clients, seconds=seconds))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    pg = postgres_url or os.environ.get("WD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = None
    if postgres_url or _pg_reachable():
        import sqlalchemy as sa

        schema = "bench_" + uuid.uuid4().hex[:10]
        eng = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in pg else "?"
        try:
            console.print(f"[bold]PostgreSQL[/bold]: {bursts} bursts x {claims} claims")
            results.append(bench_database("postgresql", f"{pg}{sep}options=-csearch_path%3D{schema}", bursts=bursts,
                                          claims=claims, clients=clients, seconds=seconds))
        finally:
            with eng.connect() as c:
                c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            eng.dispose()
    else:
        console.print("[yellow]PostgreSQL not reachable on 127.0.0.1:5432: skipped[/yellow]")
    _report(results, clients)
    return results


def _report(results: list[dict], clients: int) -> None:
    rows = []
    for r in results:
        ok = all(s == 1 for s in r["started"]) and all(j == 1 for j in r["jobs"])
        rows.append([r["label"], f"{r['bursts']} x {r['claims']}", f"{min(r['started'])}..{max(r['started'])}",
                     f"{min(r['jobs'])}..{max(r['jobs'])}", r["non200"], f"{r['ready']}/{r['bursts']}",
                     f"{r['burst_p50']:.0f} / {r['burst_p99']:.0f}", verdict(ok)])
    table("Exactly-once claims (2 server processes)",
          ["database", "bursts x claims", "started per burst", "provider jobs per branch", "non-200", "ready",
           "new-branch claim p50/p99 ms", "exactly once"], rows)
    rows = [["reference (seed app)", REF_CLIENTS, f"{REF_GET_RPS:.0f}", f"{REF_GET_P50_MS:.0f}", "-", "-", "-"]]
    for r in results:
        for key, what, n in (("get_ref", "GET scene", REF_CLIENTS), ("get_hi", "GET scene", clients),
                             ("claim_hi", "POST claim (ready)", clients)):
            m = r[key]
            target = ""
            if key == "get_hi":
                target = verdict(m["rps"] >= 4 * REF_GET_RPS and clients >= 10 * REF_CLIENTS)
            rows.append([f"{r['label']}: {what}", n, f"{m['rps']:.0f}", f"{m['p50']:.1f}", f"{m['p99']:.1f}",
                         m["errors"], target])
    table("Latency and throughput (2 server processes, client on the same 2 cores)",
          ["workload", "clients", "req/s", "p50 ms", "p99 ms", "errors", ">= 4x ref at 10x clients"], rows)
