"""The FastAPI application.

Each part contributes an ``APIRouter`` from its own module (listed in :data:`ROUTER_MODULES`), with
optional ``on_startup(app)`` / ``on_shutdown(app)`` hooks, so parts stay independent. Every
:class:`WDError` becomes a JSON error with its HTTP status and a reason; request validation errors
become 422 with the field and reason; nothing a user sends produces a 500.
"""

from __future__ import annotations

import importlib
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from worlddirector.config import Settings, get_settings
from worlddirector.errors import WDError

ROUTER_MODULES = [
    "worlddirector.server.world_api",
    "worlddirector.server.director_api",
    "worlddirector.server.ui",
]


def _modules():
    return [importlib.import_module(name) for name in ROUTER_MODULES]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    mods = _modules()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for m in mods:
            hook = getattr(m, "on_startup", None)
            if hook:
                await hook(app) if _is_coro(hook) else hook(app)
        yield
        for m in reversed(mods):
            hook = getattr(m, "on_shutdown", None)
            if hook:
                await hook(app) if _is_coro(hook) else hook(app)

    app = FastAPI(title="World Director", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings

    @app.exception_handler(WDError)
    async def _wd_error(_request: Request, exc: WDError):
        return JSONResponse({"error": exc.code, "detail": str(exc)}, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError):
        errs = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "reason": e.get("msg", "")}
            for e in exc.errors()
        ]
        reason = "; ".join(f"{e['field']}: {e['reason']}" for e in errs)
        return JSONResponse({"error": "bad_input", "detail": reason, "fields": errs}, status_code=422)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        return {"ok": True}

    for m in mods:
        app.include_router(m.router)
    return app


def _is_coro(fn) -> bool:
    import inspect

    return inspect.iscoroutinefunction(fn)
