"""HTTP surface of the shared world (thin: validate, call :class:`WorldService`, return a model).

Paths follow the shared-world seed (``/worlds/{id}``, ``/worlds/{id}/scenes``) plus creation,
metrics, a storyboard tree, server-sent events and local media. The retry route takes the scene
path in the URL; the opening scene (path ``""``) is spelled ``root`` there.
"""

from __future__ import annotations

import asyncio
import json
import time

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute

from worlddirector.errors import NotFoundError, WDError
from worlddirector.world.schemas import (
    ClaimRequest,
    ClaimResult,
    MetricsView,
    RetryRequest,
    SceneView,
    TreeNode,
    WorldCreate,
    WorldView,
)
from worlddirector.world.service import WorldService
from worlddirector.world.settings import WorldSettings

_ERR = {
    400: {"description": "bad input"},
    404: {"description": "unknown world or branch"},
    409: {"description": "branch not reachable yet"},
    413: {"description": "body too large"},
    422: {"description": "bad input"},
}


class _LimitedRoute(APIRoute):
    """Refuse oversized request bodies with 413 before they are parsed."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def limited(request: Request):
            if request.method in ("POST", "PUT", "PATCH"):
                limit = _service(request).ws.max_body_bytes
                cl = request.headers.get("content-length")
                too_big = False
                if cl is not None:
                    too_big = not cl.isdigit() or int(cl) > limit
                else:
                    too_big = len(await request.body()) > limit
                if too_big:
                    return JSONResponse(
                        {"error": "body_too_large", "detail": f"request body is larger than {limit} bytes"},
                        status_code=413,
                    )
            return await handler(request)

        return limited


router = APIRouter(tags=["world"], route_class=_LimitedRoute, responses=_ERR)


def _service(request: Request) -> WorldService:
    svc = getattr(request.app.state, "world_service", None)
    if svc is None:
        raise WDError("the world service is not running")
    return svc


def _client_ip(request: Request) -> str:
    svc = _service(request)
    if svc.ws.trust_forwarded_for:
        fwd = request.headers.get("x-forwarded-for")
        if fwd:
            return fwd.split(",")[0].strip()[:64]
    return request.client.host if request.client else "unknown"


@router.get("/worlds", response_model=list[WorldView])
def list_worlds(request: Request):
    return _service(request).list_worlds()


@router.post("/worlds", response_model=WorldView, status_code=201)
def create_world(body: WorldCreate, request: Request):
    return _service(request).create_world(body)


@router.get("/worlds/{world_id}", response_model=WorldView)
def get_world(world_id: str, request: Request):
    return _service(request).get_world(world_id)


@router.get("/worlds/{world_id}/scenes", response_model=SceneView)
async def get_scene(
    world_id: str,
    request: Request,
    path: str = Query("", max_length=4096, description="canonical path: '' (opening scene), '0', '0/2'"),
):
    """The hot path (every explorer polls it). Cached hits are answered on the event loop; a miss
    reads the database inline on SQLite (microseconds, in-process) and on a worker thread for a
    networked database, so a slow round trip never stalls the loop."""
    svc = _service(request)
    data = svc.cached_scene(world_id, path)
    if data is not None:
        pass
    elif svc.db.dialect == "sqlite":
        data = svc.refresh_scene(world_id, path)
    else:
        data = await run_in_threadpool(svc.refresh_scene, world_id, path)
    return Response(data, media_type="application/json")


@router.post("/worlds/{world_id}/scenes", response_model=ClaimResult, responses={401: {"description": "key needed"},
                                                                                   429: {"description": "rate limited"}})
async def claim_scene(world_id: str, body: ClaimRequest, request: Request):
    """Claim a branch. A claim on a branch already ready is answered from the scene cache on the
    event loop; everything else (the compare-and-set) runs on a worker thread."""
    svc = _service(request)
    ip = _client_ip(request)
    fast = svc.claim_ready_fast(world_id, body.path, ip)
    if fast is not None:
        return Response(fast, media_type="application/json")
    return await run_in_threadpool(svc.claim, world_id, body.path, body.api_key, ip)


@router.post("/worlds/{world_id}/scenes/{path:path}/retry", response_model=ClaimResult,
             responses={401: {"description": "key needed"}, 429: {"description": "rate limited"}})
def retry_scene(world_id: str, path: str, request: Request, body: RetryRequest | None = None):
    canon = "" if path == "root" else path
    key = body.api_key if body else None
    return _service(request).retry(world_id, canon, key, _client_ip(request))


@router.get("/worlds/{world_id}/metrics", response_model=MetricsView)
def world_metrics(world_id: str, request: Request):
    return _service(request).metrics(world_id)


@router.get("/worlds/{world_id}/tree", response_model=TreeNode)
def world_tree(world_id: str, request: Request):
    return _service(request).tree(world_id)


_REREAD_IDS = 64  # how far below the newest sent id each poll looks again for late commits


@router.get("/worlds/{world_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "scene status and progress"}})
async def world_events(
    world_id: str,
    request: Request,
    max_seconds: float = Query(3600.0, alias="maxSeconds", ge=0, le=86400, description="close the stream after"),
    last_event_id: int | None = Query(None, alias="lastEventId", ge=0,
                                      description="replay the change log after this event id (0: all it keeps)"),
):
    """Server-sent events: one ``scene`` event per write to any branch (status, progress), in order.

    Events come from the database's change log (``scene_events``), so a claim served by another
    replica shows up too, and none is lost between polls. Each carries an ``id:``; a reconnecting
    ``EventSource`` sends it back as ``Last-Event-ID`` and resumes after it (``lastEventId`` does the
    same from a URL). Without either, the stream starts with the last second's changes.
    """
    svc = _service(request)
    await run_in_threadpool(svc.get_world, world_id)  # 404 before the stream starts
    start = time.time()
    header = request.headers.get("last-event-id", "").strip()
    after = int(header) if header.isdigit() else last_event_id

    async def stream():
        floor, top = after, after  # never re-send at or below floor; top: the newest id sent
        sent: set[int] = set()
        last_beat = time.monotonic()
        yield "retry: 2000\n\n"
        while True:
            # ids are assigned at insert but become visible at commit, so a lower id can show up
            # after a higher one: each poll re-reads a short window below the newest id sent
            lo = None if top is None else max(floor, top - _REREAD_IDS)
            rows = await run_in_threadpool(svc.events_after, world_id, lo, start - 1.0)
            for r in rows:
                if r["id"] in sent:
                    continue
                sent.add(r["id"])
                if floor is None:
                    floor = r["id"] - 1
                top = r["id"] if top is None else max(top, r["id"])
                data = {
                    "path": r["path"], "status": r["status"], "progress": r["progress"],
                    "message": r["progress_message"], "version": r["version"], "failureCode": r["failure_code"],
                }
                yield f"id: {r['id']}\nevent: scene\ndata: {json.dumps(data)}\n\n"
            if top is not None:
                sent = {i for i in sent if i > top - _REREAD_IDS}
            if time.monotonic() - last_beat > 15:
                last_beat = time.monotonic()
                yield ": keep-alive\n\n"
            if time.time() - start >= max_seconds or await request.is_disconnected():
                return
            await asyncio.sleep(0.5)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/media/{key:path}", response_class=FileResponse, include_in_schema=True,
            responses={200: {"content": {"video/mp4": {}, "image/jpeg": {}}}})
def media(key: str, request: Request):
    """Published media on local storage (S3/R2 media is served by signed URLs instead)."""
    svc = _service(request)
    from worlddirector.storage.base import content_type_for
    from worlddirector.storage.local import LocalStorage

    if not isinstance(svc.storage, LocalStorage):
        raise NotFoundError("media is served from object storage")
    try:
        p = svc.storage.path(key)
    except WDError:
        raise NotFoundError("no such media") from None
    if not p.is_file():
        raise NotFoundError("no such media")
    return FileResponse(p, media_type=content_type_for(key), headers={"Cache-Control": "public, max-age=86400"})


def on_startup(app) -> None:
    app.state.world_service = WorldService(app.state.settings, WorldSettings()).start()


def on_shutdown(app) -> None:
    svc = getattr(app.state, "world_service", None)
    if svc is not None:
        svc.close()
