"""Where Debian's Chromium is and how to start it here (Playwright's own browser download does
not work on this kind of machine): used by the lecture pack and by the browser tests."""

from __future__ import annotations

import shutil
from pathlib import Path

# without the background-networking flags Chromium keeps trying hosts this machine cannot reach
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def chromium_path(names: tuple[str, ...] = ("chromium", "chromium-headless-shell")) -> str | None:
    """The first of Debian's Chromium builds `names` that is installed: by default the desktop
    Chromium, else its headless shell (either draws the lecture pack's images)."""
    found = (shutil.which(name) or f"/usr/bin/{name}" for name in names)
    return next((path for path in found if Path(path).exists()), None)
