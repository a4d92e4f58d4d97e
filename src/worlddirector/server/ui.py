"""Serves the web UI: ``/`` is the single page, ``/static/...`` its files and vendored libraries.

Everything the page loads comes from this server: three.js is installed from npm and copied
into ``web/static/vendor/`` by ``web/vendor.mjs`` (run by ``scripts/setup.sh``), and the page's
import map points at those copies, so the 3D viewer works with no network at all.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from worlddirector.errors import NotFoundError
from worlddirector.server.director_api import safe_child

STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"
router = APIRouter(tags=["ui"])

_TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml",
          ".json": "application/json", ".png": "image/png", ".ico": "image/x-icon", ".txt": "text/plain"}


def _index() -> HTMLResponse:
    index = STATIC_DIR / "index.html"
    if not index.is_file():
        raise NotFoundError("the web UI is not installed (src/worlddirector/web/static/index.html missing)")
    return HTMLResponse(index.read_text(), headers={"Cache-Control": "no-cache"})


@router.get("/", include_in_schema=False)
def index() -> HTMLResponse:
    return _index()


@router.get("/director", include_in_schema=False)
def director_page() -> RedirectResponse:
    return RedirectResponse("/#/director")


@router.get("/world", include_in_schema=False)
def world_page() -> RedirectResponse:
    return RedirectResponse("/#/world")


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


@router.get("/static/{rel:path}", include_in_schema=False)
def static(rel: str) -> FileResponse:
    target = safe_child(STATIC_DIR, rel)
    if rel.startswith("vendor/three/") and not (STATIC_DIR / "vendor" / "manifest.json").is_file():
        raise NotFoundError("front-end libraries are not installed: run scripts/setup.sh (npm ci + node web/vendor.mjs)")
    # vendored libraries never change under a given version; our own files may change any time
    cache = "public, max-age=86400" if rel.startswith("vendor/") else "no-cache"
    return FileResponse(target, media_type=_TYPES.get(target.suffix.lower()), headers={"Cache-Control": cache})
