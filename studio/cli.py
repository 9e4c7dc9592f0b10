"""The `studio` command line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from studio.stack import PortsBusy, run_stack

app = typer.Typer(no_args_is_help=True, add_completion=False, help="AI video studio backend.")


@app.command()
def up(
    host: str = typer.Option("127.0.0.1", help="Address every process binds to."),
    port: int = typer.Option(8000, help="Gateway port; the services take the next four."),
    mongo_port: int = typer.Option(27027, help="Port of the embedded database."),
    data_dir: Path = typer.Option(Path("data"), help="Embedded database and media live here."),
) -> None:
    """Run the gateway and the four services (and an embedded MongoDB unless MONGODB_URL is set)."""
    try:
        code = asyncio.run(run_stack(host, port, mongo_port, data_dir))
    except PortsBusy as exc:
        typer.echo(f"studio: {exc}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def openapi() -> None:
    """Write the OpenAPI document of every deployable to contracts/openapi/."""
    from studio.openapi import write

    for path in write():
        typer.echo(f"wrote {path}")
