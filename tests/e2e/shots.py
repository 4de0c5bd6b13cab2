"""Screenshots of the browser tests for docs/screenshots/: ``CXC_SCREENSHOT_DIR=docs/screenshots
uv run pytest tests/e2e`` writes them; without the variable nothing is written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def shot(browser: Any, name: str) -> None:
    folder = os.environ.get("CXC_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))
