"""`python -m services.image`: serve on IMAGE_HOST:IMAGE_PORT (default 127.0.0.1:8003)."""

from __future__ import annotations

from runtime.app import run
from services.image.settings import ImageSettings


def main() -> None:
    settings = ImageSettings()
    run("services.image.app:build_app", host=settings.image_host, port=settings.image_port)


if __name__ == "__main__":
    main()
