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


def chromium_path() -> str | None:
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
