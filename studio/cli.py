"""The `studio` command line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from studio.stack import DEFAULT_REDIS_PORT, PortsBusy, run_stack

app = typer.Typer(no_args_is_help=True, add_completion=False, help="AI video studio backend.")


@app.command()
def up(
    host: str = typer.Option("127.0.0.1", help="Address every process binds to."),
    port: int = typer.Option(
        8000, help="Gateway port; the services take the next four, the YouTube calls the fifth."
    ),
    mongo_port: int = typer.Option(27027, help="Port of the embedded database."),
    redis_port: int = typer.Option(DEFAULT_REDIS_PORT, help="Port of the embedded Redis."),
    data_dir: Path = typer.Option(Path("data"), help="Embedded databases and media live here."),
) -> None:
    """Run the gateway, the four services, the job worker and beat (and an embedded MongoDB
    and Redis unless MONGODB_URL and REDIS_URL are set), restarting any that crashes."""
    try:
        code = asyncio.run(run_stack(host, port, mongo_port, data_dir, redis_port))
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


@app.command()
def demo(
    topic: str = typer.Argument(..., help="What the video is about."),
    base_url: str = typer.Option("http://localhost:8000", help="A running gateway, if any."),
    language: str = typer.Option("en", help="en fr es de it pt"),
    sections: int = typer.Option(4, min=1, max=20, help="Number of scenes."),
    seconds: int = typer.Option(30, min=5, max=600, help="Target length of the narration."),
    resolution: str = typer.Option("1080p", help="720p 1080p 1440p 2160p"),
    template: str = typer.Option("ken_burns", help="A template id from GET /video-template."),
    out: Path = typer.Option(Path("demo.mp4"), help="Where to save the MP4."),
    data_dir: Path = typer.Option(Path("data"), help="Used when the demo starts its own stack."),
) -> None:
    """Topic in, subtitled MP4 out, through the gateway's HTTP API with progress bars."""
    from studio.demo import DemoError, DemoOptions, run_demo

    options = DemoOptions(topic, language, sections, seconds, resolution, template, out)
    try:
        path, url = asyncio.run(run_demo(options, base_url, data_dir))
    except DemoError as exc:
        typer.echo(f"studio demo: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"video: {path.resolve()}")
    typer.echo(f"url:   {url}")
