"""The ``worlddirector`` command line.

Each part adds its commands from its own module in this package (``cli/<part>.py`` with a
``register(app)`` function), so the parts stay independent. Every :class:`WDError` becomes one
line on stderr and a non-zero exit; anything else is a bug and shows a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from worlddirector.errors import WDError

app = typer.Typer(
    name="worlddirector",
    help="Turn text prompts into tested, playable 3D worlds, and host shared branching video worlds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
bench_app = typer.Typer(help="Measure speed and accuracy; prints tables (median of repeats).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

# One module per part; each defines register(app, bench_app).
COMMAND_MODULES = [
    "generate",
    "providers",
    "analyze",
    "reconstruct",
    "simulate",
    "direct",
    "world",
    "serve",
]


@app.callback()
def _root(
    log_level: str = typer.Option(None, "--log-level", help="DEBUG, INFO, WARNING or ERROR (default from WD_LOG_LEVEL)."),
) -> None:
    from worlddirector.config import get_settings
    from worlddirector.logging import configure_logging

    settings = get_settings()
    configure_logging(log_level.upper() if log_level else settings.log_level, settings.log_json)


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"worlddirector.cli.{name}").register(app, bench_app)


def main() -> None:
    _load_commands()
    try:
        app(standalone_mode=False)
    except WDError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # usage errors (missing option, bad value) in non-standalone mode
        if isinstance(exc, _click_exceptions()):
            exc.show()
            sys.exit(exc.exit_code)
        raise


def _click_exceptions() -> tuple[type, ...]:
    """Typer may vendor its own click; usage errors can come from either copy."""
    import click

    kinds: list[type] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException as VendoredClickException

        kinds.append(VendoredClickException)
    except ImportError:
        pass
    return tuple(kinds)


if __name__ == "__main__":
    main()
