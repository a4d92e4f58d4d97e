"""A fake of Veo's long-running generate-videos API as the google-genai SDK (Vertex surface) calls it.

``POST .../publishers/google/models/{model}:predictLongRunning`` with ``{instances: [{prompt, image?}],
parameters: {sampleCount, durationSeconds, aspectRatio, ...}}`` -> ``{name: ".../operations/ID"}``;
``POST {model path}:fetchPredictOperation`` with ``{operationName}`` -> the operation:
``{name, done?, error?: {code, message}, response?: {videos: [{bytesBase64Encoded, mimeType}],
raiMediaFilteredCount?, raiMediaFilteredReasons?}}``. HTTP errors use the google.rpc envelope
``{"error": {"code", "message", "status", "details"}}``.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def gerror(code: int, status: str, message: str, details: list | None = None, headers: dict | None = None):
    return JSONResponse({"error": {"code": code, "message": message, "status": status, "details": details or []}},
                        status_code=code, headers=headers)


@dataclass
class Op:
    name: str
    outcome: str
    steps: int
    polls: int = 0


@dataclass
class FakeVeo:
    video_bytes: bytes = b""
    steps: int = 3
    next_outcome: str = "completed"  # completed | error:<rpc code>:<msg> | filtered:<reason> | empty | vanish
    create_errors: list[tuple] = field(default_factory=list)  # (http code, status, message, details, headers)
    requests: list[dict] = field(default_factory=list)
    ops: dict[str, Op] = field(default_factory=dict)
    seen_keys: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()
        fake = self

        @app.post("/{path:path}")
        async def any_post(path: str, request: Request):
            fake.seen_keys.append(request.headers.get("x-goog-api-key", ""))
            if request.headers.get("x-goog-api-key") == "AIzaBAD-KEY-0000000000000000":
                return gerror(401, "UNAUTHENTICATED", "API key not valid. Please pass a valid API key.")
            body = await request.json()
            if path.endswith(":predictLongRunning"):
                model = path.rsplit("/", 1)[-1].split(":")[0]
                fake.requests.append({"kind": "create", "model": model, "body": body})
                if fake.create_errors:
                    code, status, message, details, headers = fake.create_errors.pop(0)
                    return gerror(code, status, message, details, headers)
                name = f"projects/fake/locations/us-central1/publishers/google/models/{model}/operations/{uuid.uuid4().hex[:10]}"
                fake.ops[name] = Op(name, fake.next_outcome, fake.steps)
                return {"name": name}
            if path.endswith(":fetchPredictOperation"):
                name = body.get("operationName", "")
                fake.requests.append({"kind": "fetch", "name": name})
                op = fake.ops.get(name)
                if op is None or (op.outcome == "vanish" and op.polls >= 1):
                    return gerror(404, "NOT_FOUND", f"Operation {name} not found.")
                op.polls += 1
                if op.polls < op.steps:
                    return {"name": name, "metadata": {"@type": "type.googleapis.com/Meta"}}
                out: dict = {"name": name, "done": True}
                if op.outcome == "completed":
                    out["response"] = {"@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                                       "videos": [{"bytesBase64Encoded": base64.b64encode(fake.video_bytes).decode(),
                                                   "mimeType": "video/mp4"}]}
                elif op.outcome.startswith("error:"):
                    _e, code, msg = op.outcome.split(":", 2)
                    out["error"] = {"code": int(code), "message": msg}
                elif op.outcome.startswith("filtered:"):
                    out["response"] = {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [op.outcome[9:]]}
                elif op.outcome == "empty":
                    out["response"] = {}
                return out
            return gerror(404, "NOT_FOUND", f"unknown path {path}")

        return app
