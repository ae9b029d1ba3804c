"""Refresh the README's screenshots: run the browser tests that take them (headless Chromium,
see tests/e2e/), then copy their pictures from test-artifacts/ into docs/.

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/e2e/test_queue_shortcuts.py",
    "tests/e2e/test_moderation.py::test_the_dashboard_draws_its_charts",
    "tests/e2e/test_widget_themes.py::test_dark_theme_chosen_by_the_host_meets_wcag_aa",
]
# test-artifacts/<name>.png → docs/<name>.png
SHOTS = {
    "moderation-queue-context": "moderation-queue",
    "moderation-shortcut-help": "moderation-shortcuts",
    "moderation-search": "moderation-search",
    "moderation-article-trend": "moderation-article",
    "moderation-dashboard": "moderation-dashboard",
    "widget-theme-dark": "widget-dark",
}


def main() -> None:
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
        cwd=ROOT,
        check=True,
    )
    for source, target in SHOTS.items():
        shutil.copyfile(ROOT / "test-artifacts" / f"{source}.png", ROOT / "docs" / f"{target}.png")
        print(f"docs/{target}.png")


if __name__ == "__main__":
    main()
