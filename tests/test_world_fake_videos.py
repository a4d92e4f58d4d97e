"""A fake ``/v1/videos`` server (the OpenAI videos contract) run as its own process for world tests.

Not a test module: ``python tests/test_world_fake_videos.py PORT VIDEO STATE_DIR SECONDS``. Every
created job is appended to ``STATE_DIR/jobs.jsonl`` (that is the count of *paid* jobs, independent
of our database), with the hash of the bearer key it was created with. A job completes ``SECONDS``
after creation, reporting progress in between; it survives our server being killed, as a real
provider's job would.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main(port: int, video: Path, state: Path, seconds: float) -> None:
    state.mkdir(parents=True, exist_ok=True)
    jobs: dict[str, dict] = {}
    lock = threading.Lock()
    data = video.read_bytes()

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _json(self, code: int, obj: dict, headers: dict | None = None):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _key(self) -> str:
            auth = self.headers.get("authorization", "")
            return hashlib.sha256(auth.removeprefix("Bearer ").encode()).hexdigest()[:16]

        def _video(self, j: dict) -> dict:
            el = time.time() - j["created"]
            dur = j["duration"]
            if j.get("deleted"):
                status, prog = "failed", 0
            elif el >= dur:
                status, prog = "completed", 100
            else:
                status, prog = ("queued", 0) if el < dur * 0.1 else ("in_progress", int(100 * el / dur))
            return {"id": j["id"], "object": "video", "model": j["model"], "status": status, "progress": prog,
                    "created_at": int(j["created"]), "seconds": j["seconds"], "size": j["size"],
                    "error": {"code": "deleted", "message": "job was deleted"} if j.get("deleted") else None}

        def do_POST(self):
            n = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(n)
            if self.path.rstrip("/") != "/v1/videos":
                return self._json(404, {"error": {"message": "no route"}})
            if "multipart" in self.headers.get("content-type", ""):
                fields = {}
                for name in ("model", "prompt", "seconds", "size"):
                    marker = f'name="{name}"'.encode()
                    i = raw.find(marker)
                    if i >= 0:
                        start = raw.find(b"\r\n\r\n", i) + 4
                        fields[name] = raw[start:raw.find(b"\r\n--", start)].decode()
                fields["input_reference"] = b'name="input_reference"' in raw
            else:
                fields = json.loads(raw or b"{}")
            jid = "video_" + uuid.uuid4().hex[:16]
            override = state / "seconds"  # a test may change how long new jobs take
            dur = float(override.read_text()) if override.exists() else seconds
            j = {"id": jid, "created": time.time(), "duration": dur, "model": fields.get("model", "sora-2"),
                 "seconds": str(fields.get("seconds", "4")), "size": fields.get("size", "1280x720")}
            with lock:
                jobs[jid] = j
                with open(state / "jobs.jsonl", "a") as fh:
                    fh.write(json.dumps({"id": jid, "key": self._key(), "prompt": fields.get("prompt", ""),
                                         "input_reference": bool(fields.get("input_reference"))}) + "\n")
            self._json(200, self._video(j))

        def do_GET(self):
            parts = self.path.split("?")[0].strip("/").split("/")
            if len(parts) >= 3 and parts[:2] == ["v1", "videos"] and parts[2] in jobs:
                j = jobs[parts[2]]
                if len(parts) == 3:
                    return self._json(200, self._video(j), {"openai-poll-after-ms": "100"})
                if len(parts) == 4 and parts[3] == "content":
                    body = data if "variant=video" in self.path or "variant" not in self.path else b"\xff\xd8fakeimg"
                    self.send_response(200)
                    self.send_header("content-type", "video/mp4")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
            self._json(404, {"error": {"message": "video not found", "code": "not_found"}})

        def do_DELETE(self):
            parts = self.path.strip("/").split("/")
            if len(parts) == 3 and parts[2] in jobs:
                jobs[parts[2]]["deleted"] = True
                with open(state / "deleted.jsonl", "a") as fh:
                    fh.write(json.dumps({"id": parts[2]}) + "\n")
                return self._json(200, {"id": parts[2], "object": "video.deleted", "deleted": True})
            self._json(404, {"error": {"message": "video not found"}})

    srv = ThreadingHTTPServer(("127.0.0.1", port), H)
    srv.daemon_threads = True
    (state / "ready").write_text("ok")
    srv.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))
