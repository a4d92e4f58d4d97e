"""A fake of fal.ai's queue API (https://queue.fal.run), as documented.

``POST /{model_id}`` (``Authorization: Key ...``) -> ``{request_id, response_url, status_url, cancel_url,
queue_position}``; ``GET /{app_id}/requests/{id}/status`` -> ``{status: IN_QUEUE|IN_PROGRESS|COMPLETED,
queue_position?, response_url}`` (a failed request completes with ``error``/``error_type``);
``GET /{app_id}/requests/{id}`` -> the model output ``{video: {url, content_type, file_size}, seed}``;
``PUT /{app_id}/requests/{id}/cancel`` -> 202 ``{status: CANCELLATION_REQUESTED}``. ``app_id`` is the
model id's first two segments. The finished file is served from ``/files/{id}.mp4`` (the "CDN").
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


@dataclass
class Req:
    id: str
    app: str
    outcome: str
    steps: int
    polls: int = 0
    cancelled: bool = False


@dataclass
class FakeFal:
    video_bytes: bytes = b""
    steps: int = 3
    next_outcome: str = "completed"  # completed | error:<type>:<msg> | weird_status | vanish | result_422
    submit_errors: list[tuple] = field(default_factory=list)  # (status, detail, headers)
    requests: list[dict] = field(default_factory=list)
    reqs: dict[str, Req] = field(default_factory=dict)
    auth_seen: list[tuple[str, str]] = field(default_factory=list)  # (path, authorization)
    download_delay: float = 0.0

    def app(self) -> FastAPI:
        app = FastAPI()
        fake = self

        @app.middleware("http")
        async def _auth(request: Request, call_next):
            fake.auth_seen.append((request.url.path, request.headers.get("authorization", "")))
            if not request.url.path.startswith("/files/"):
                if request.headers.get("authorization") == "Key bad-fal-key-000":
                    return JSONResponse({"detail": "Invalid key: bad-fal-key-000"}, status_code=401)
                if not request.headers.get("authorization", "").startswith("Key "):
                    return JSONResponse({"detail": "Missing authorization"}, status_code=401)
            return await call_next(request)

        @app.get("/files/{rid}.mp4")
        async def file(rid: str):
            if not fake.download_delay:
                return Response(fake.video_bytes, media_type="video/mp4")

            async def chunks():
                data = fake.video_bytes
                for i in range(0, len(data), 8192):
                    await asyncio.sleep(fake.download_delay)
                    yield data[i:i + 8192]

            return StreamingResponse(chunks(), media_type="video/mp4")

        @app.post("/{model:path}")
        async def submit(model: str, request: Request):
            body = await request.json()
            fake.requests.append({"kind": "submit", "model": model, "body": body})
            if fake.submit_errors:
                status, detail, headers = fake.submit_errors.pop(0)
                return JSONResponse({"detail": detail}, status_code=status, headers=headers)
            rid = str(uuid.uuid4())
            app_id = "/".join(model.split("/")[:2])
            fake.reqs[rid] = Req(rid, app_id, fake.next_outcome, fake.steps)
            root = f"{request.base_url}{app_id}/requests/{rid}"
            return {"request_id": rid, "response_url": root, "status_url": root + "/status",
                    "cancel_url": root + "/cancel", "queue_position": 0}

        def _get(owner: str, name: str, rid: str):
            r = fake.reqs.get(rid)
            if r is None or r.app != f"{owner}/{name}" or (r.outcome == "vanish" and r.polls >= 1):
                return None
            return r

        @app.get("/{owner}/{name}/requests/{rid}/status")
        async def status(owner: str, name: str, rid: str, request: Request):
            fake.requests.append({"kind": "status", "id": rid})
            r = _get(owner, name, rid)
            if r is None:
                return JSONResponse({"detail": "Request not found"}, status_code=404)
            r.polls += 1
            resp_url = f"{request.base_url}{r.app}/requests/{rid}"
            if r.polls < r.steps:
                if r.polls == 1:
                    return {"status": "IN_QUEUE", "queue_position": 2, "response_url": resp_url}
                return {"status": "IN_PROGRESS", "response_url": resp_url, "logs": []}
            if r.outcome.startswith("error:"):
                _e, etype, msg = r.outcome.split(":", 2)
                return {"status": "COMPLETED", "response_url": resp_url, "error": msg, "error_type": etype}
            if r.outcome == "weird_status":
                return {"status": "PAUSED_FOREVER", "response_url": resp_url}
            return {"status": "COMPLETED", "response_url": resp_url, "metrics": {"inference_time": 1.2}}

        @app.get("/{owner}/{name}/requests/{rid}")
        async def result(owner: str, name: str, rid: str, request: Request):
            fake.requests.append({"kind": "result", "id": rid})
            r = _get(owner, name, rid)
            if r is None:
                return JSONResponse({"detail": "Request not found"}, status_code=404)
            if r.outcome == "result_422":
                return JSONResponse({"detail": [{"loc": ["body", "prompt"], "msg": "The content could not be processed "
                                     "because it contained material flagged by a content checker.",
                                     "type": "content_policy_violation"}]}, status_code=422)
            cdn = str(request.base_url).replace("127.0.0.1", "localhost")  # another host, like fal's media CDN
            return {"video": {"url": f"{cdn}files/{rid}.mp4", "content_type": "video/mp4",
                              "file_size": len(fake.video_bytes)}, "seed": 42}

        @app.put("/{owner}/{name}/requests/{rid}/cancel")
        async def cancel(owner: str, name: str, rid: str):
            fake.requests.append({"kind": "cancel", "id": rid})
            r = _get(owner, name, rid)
            if r is None:
                return JSONResponse({"status": "NOT_FOUND"}, status_code=404)
            r.cancelled = True
            return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202)

        return app
