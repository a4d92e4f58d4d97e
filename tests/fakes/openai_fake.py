"""A fake of OpenAI's ``/v1/responses`` and ``/v1/videos`` endpoints, following the public API reference.

Responses: ``POST /v1/responses`` returns a ``response`` object whose ``output`` holds one assistant
``message`` with ``output_text`` content. Replies are scripted per test (a queue of texts or errors).

Videos: ``POST /v1/videos`` (multipart: prompt, model, seconds, size, input_reference) creates a job
``{id, object: "video", status: queued, progress: 0, ...}``; each ``GET /v1/videos/{id}`` advances it
``queued -> in_progress (progress rises) -> completed`` (or the scripted outcome) and sends the
``openai-poll-after-ms`` header; ``GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet``
streams the asset; ``POST /v1/videos/{id}/remix``, ``DELETE /v1/videos/{id}``. Errors use OpenAI's
error envelope ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


def error(status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
          headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": type_, "param": None, "code": code}},
                        status_code=status, headers=headers)


@dataclass
class VideoJob:
    id: str
    prompt: str
    model: str
    seconds: str
    size: str
    outcome: str = "completed"  # completed | failed:<code>:<message> | unknown_status | vanish
    steps: int = 3
    polls: int = 0
    deleted: bool = False
    remixed_from: str | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))

    def advance(self) -> dict[str, Any]:
        self.polls += 1
        body: dict[str, Any] = {
            "id": self.id, "object": "video", "model": self.model, "created_at": self.created_at, "seconds": self.seconds,
            "size": self.size, "prompt": self.prompt, "remixed_from_video_id": self.remixed_from, "error": None,
            "completed_at": None, "expires_at": None,
        }
        if self.polls < self.steps:
            body["status"] = "queued" if self.polls == 1 else "in_progress"
            body["progress"] = int(100 * (self.polls - 1) / self.steps)
            return body
        if self.outcome == "completed":
            body.update(status="completed", progress=100, completed_at=int(time.time()),
                        expires_at=int(time.time()) + 3600)
        elif self.outcome.startswith("failed:"):
            _f, code, message = self.outcome.split(":", 2)
            body.update(status="failed", progress=100, error={"code": code, "message": message})
        elif self.outcome == "unknown_status":
            body.update(status="mystery_state", progress=50)
        return body


@dataclass
class FakeOpenAI:
    """State and scripting knobs; tests read ``requests`` to check what the SDK sent."""

    replies: list[Any] = field(default_factory=list)  # str (output text) | ("error", status, message[, headers])
    requests: list[dict] = field(default_factory=list)
    video_bytes: bytes = b""
    thumbnail_bytes: bytes = b"\xff\xd8\xff\xe0fakejpeg"
    spritesheet_bytes: bytes = b"\xff\xd8\xff\xe0fakesprite"
    next_outcome: str = "completed"
    steps: int = 3
    create_errors: list[tuple] = field(default_factory=list)  # (status, message, type, code, headers) per create
    poll_after_ms: int = 10
    download_delay: float = 0.0  # seconds between chunks (slow download)
    retrieve_delay: float = 0.0  # seconds before answering a status poll (a hanging server)
    jobs: dict[str, VideoJob] = field(default_factory=dict)
    seen_auth: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()
        fake = self

        @app.middleware("http")
        async def _auth(request: Request, call_next):
            fake.seen_auth.append(request.headers.get("authorization", ""))
            if request.headers.get("authorization") == "Bearer sk-bad-key-000000":
                return error(401, "Incorrect API key provided: sk-bad-key-000000.", "invalid_request_error",
                             "invalid_api_key")
            return await call_next(request)

        @app.post("/v1/responses")
        async def responses(request: Request):
            body = await request.json()
            fake.requests.append({"path": "/v1/responses", "body": body})
            if not fake.replies:
                return error(500, "no scripted reply", "server_error")
            reply = fake.replies.pop(0)
            if isinstance(reply, tuple) and reply[0] == "error":
                return error(reply[1], reply[2], headers=reply[3] if len(reply) > 3 else None)
            return {
                "id": "resp_" + uuid.uuid4().hex[:8], "object": "response", "created_at": int(time.time()),
                "status": "completed", "model": body.get("model"), "error": None, "incomplete_details": None,
                "instructions": body.get("instructions"), "parallel_tool_calls": True, "tool_choice": "auto",
                "tools": [], "output": [{
                    "type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": reply, "annotations": []}],
                }],
            }

        @app.post("/v1/videos")
        async def create(request: Request):
            form = await request.form()
            fields = {k: v for k, v in form.items() if not hasattr(v, "read")}
            ref = form.get("input_reference")
            ref_info = None
            if ref is not None and hasattr(ref, "read"):
                data = await ref.read()
                ref_info = {"filename": ref.filename, "content_type": ref.content_type, "size": len(data)}
            fake.requests.append({"path": "/v1/videos", "form": fields, "input_reference": ref_info})
            if fake.create_errors:
                status, message, type_, code, headers = fake.create_errors.pop(0)
                return error(status, message, type_, code, headers)
            job = VideoJob(id="video_" + uuid.uuid4().hex[:12], prompt=fields.get("prompt", ""),
                           model=fields.get("model", "sora-2"), seconds=fields.get("seconds", "4"),
                           size=fields.get("size", "720x1280"), outcome=fake.next_outcome, steps=fake.steps)
            fake.jobs[job.id] = job
            return {**{k: v for k, v in job.advance().items()}, "status": "queued", "progress": 0}

        @app.get("/v1/videos/{vid}")
        async def retrieve(vid: str):
            if fake.retrieve_delay:
                await asyncio.sleep(fake.retrieve_delay)
            job = fake.jobs.get(vid)
            if job is None or job.deleted or job.outcome == "vanish" and job.polls >= 1:
                return error(404, f"Video with id '{vid}' not found.", "invalid_request_error", "not_found")
            return JSONResponse(job.advance(), headers={"openai-poll-after-ms": str(fake.poll_after_ms)})

        @app.get("/v1/videos/{vid}/content")
        async def content(vid: str, variant: str = "video"):
            job = fake.jobs.get(vid)
            if job is None or job.deleted:
                return error(404, f"Video with id '{vid}' not found.", "invalid_request_error", "not_found")
            if job.outcome != "completed" or job.polls < job.steps:
                return error(400, "Video is not ready yet.", "invalid_request_error", "video_not_ready")
            data, ctype = {
                "video": (fake.video_bytes, "video/mp4"), "thumbnail": (fake.thumbnail_bytes, "image/webp"),
                "spritesheet": (fake.spritesheet_bytes, "image/jpeg"),
            }.get(variant, (None, None))
            if data is None:
                return error(400, f"Invalid variant '{variant}'.", "invalid_request_error", "invalid_variant")
            if not fake.download_delay:
                return Response(data, media_type=ctype)

            async def chunks():
                for i in range(0, len(data), 16384):
                    await asyncio.sleep(fake.download_delay)
                    yield data[i:i + 16384]

            return StreamingResponse(chunks(), media_type=ctype, headers={"content-length": str(len(data))})

        @app.post("/v1/videos/{vid}/remix")
        async def remix(vid: str, request: Request):
            src = fake.jobs.get(vid)
            if src is None:
                return error(404, f"Video with id '{vid}' not found.", "invalid_request_error", "not_found")
            body = await request.json()
            job = VideoJob(id="video_" + uuid.uuid4().hex[:12], prompt=body["prompt"], model=src.model,
                           seconds=src.seconds, size=src.size, remixed_from=vid, steps=fake.steps)
            fake.jobs[job.id] = job
            fake.requests.append({"path": f"/v1/videos/{vid}/remix", "body": body})
            return {**job.advance(), "status": "queued", "progress": 0}

        @app.delete("/v1/videos/{vid}")
        async def delete(vid: str):
            job = fake.jobs.get(vid)
            if job is None:
                return error(404, f"Video with id '{vid}' not found.", "invalid_request_error", "not_found")
            job.deleted = True
            fake.requests.append({"path": f"DELETE /v1/videos/{vid}"})
            return {"id": vid, "object": "video.deleted", "deleted": True}

        return app
