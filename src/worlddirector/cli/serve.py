"""``worlddirector serve``: the HTTP API and web UI on http://127.0.0.1:5001 (uvicorn)."""

from __future__ import annotations

import typer

from worlddirector.errors import BadInputError


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(None, "--host", help="Address to listen on (default WD_HOST or 127.0.0.1)."),
        port: int = typer.Option(None, "--port", help="Port (default WD_PORT or 5001)."),
        reload: bool = typer.Option(False, "--reload", help="Restart on code changes (development)."),
    ) -> None:
        """Serve the director and shared-world UI and API."""
        import socket

        import uvicorn

        from worlddirector.config import get_settings

        settings = get_settings()
        host = host or settings.host
        port = port if port is not None else settings.port
        if not 1 <= port <= 65535:
            raise BadInputError(f"--port must be between 1 and 65535, got {port}")
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is fine
            try:
                s.bind((host, port))
            except OSError as exc:
                raise BadInputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        typer.echo(f"World Director on http://{host}:{port}/  (Ctrl-C to stop)")
        uvicorn.run(
            "worlddirector.server.app:create_app", factory=True, host=host, port=port, reload=reload,
            log_level=settings.log_level.lower(), timeout_graceful_shutdown=5,
        )
