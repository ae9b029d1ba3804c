"""Import memory and the live service during an import, on SQLite.

Builds Disqus exports of two sizes (the larger four times the smaller), imports each with
``engagement import disqus`` into an empty SQLite database, and reports each import's peak
memory (the child process's maximum resident set) and duration. During the larger import a
live server (``engagement`` under the Werkzeug server, 127.0.0.1:18195) is sent one view every
50 ms; the view latencies show whether the service keeps writing while an import runs.

    .venv/bin/python bench/import_memory.py                # 25,000 and 100,000 posts
    .venv/bin/python bench/import_memory.py --posts 50000  # 50,000 and 200,000

Everything runs in a temporary folder and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGAGEMENT = ROOT / ".venv" / "bin" / "engagement"
PORT = 18195
ORIGIN = "https://magazine.example"
SECRET = "bench-secret-key-0123456789"
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36"
)


def disqus_file(path: Path, posts: int, threads: int) -> None:
    """A Disqus export of ``posts`` posts over ``threads`` threads, every third a reply."""
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals">\n'
        )
        for t in range(threads):
            out.write(
                f'<thread dsq:id="{t}"><id>story-{t}</id>'
                f"<link>https://magazine.example/story-{t}/</link><title>Story {t}</title>"
                "<isClosed>false</isClosed></thread>\n"
            )
        for p in range(posts):
            parent = f'<parent dsq:id="{p - 1}" />' if p % 3 and p else ""
            minute, second = divmod(p % 3600, 60)
            out.write(
                f'<post dsq:id="{p}"><message><![CDATA[<p>Comment number {p}, with a few '
                "words of text to read, as readers write them.</p>]]></message>"
                f"<createdAt>2024-05-{1 + p // 86400 % 28:02d}T{p // 3600 % 24:02d}:"
                f"{minute:02d}:{second:02d}Z</createdAt><isDeleted>false</isDeleted>"
                f"<isSpam>false</isSpam><author><email>reader{p % 5000}@example.org</email>"
                f"<name>Reader {p % 5000}</name></author>"
                f'<thread dsq:id="{p % threads}" />{parent}</post>\n'
            )
        out.write("</disqus>\n")


def environment(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ENGAGEMENT_SECRET_KEY": SECRET,
        "ENGAGEMENT_INSTANCE_PATH": str(folder / "instance"),
        "ENGAGEMENT_DATABASE_URL": f"sqlite:///{folder / 'engagement.sqlite3'}",
        "ENGAGEMENT_ALLOWED_ORIGINS": ORIGIN,
        "ENGAGEMENT_RATELIMIT_ENABLED": "false",
    }


def import_file(path: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak MiB of ``engagement import disqus PATH`` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    subprocess.run(
        [str(ENGAGEMENT), "import", "disqus", str(path)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=1800,
    )
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far: each import runs after a
    # smaller one, so the figure is this import's own when it grew past the last.
    return seconds, max(peak, before) / 1024


def wait_until_up(seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the service did not start on port {PORT}")


def view_latencies(stop: threading.Event, found: list[float], failures: list[str]) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/api/v1/articles/live-story/views",
        method="POST",
        headers={"Origin": ORIGIN, "User-Agent": BROWSER},
    )
    while not stop.is_set():
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                answer.read()
            found.append(time.monotonic() - started)
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=25_000, help="posts in the smaller file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="engagement-import-bench-") as name:
        folder = Path(name)
        rows = []
        for posts in (args.posts, args.posts * 4):
            source = folder / f"disqus-{posts}.xml"
            disqus_file(source, posts, threads=max(1, posts // 50))
            run_folder = folder / f"db-{posts}"
            run_folder.mkdir()
            env = environment(run_folder)
            subprocess.run([str(ENGAGEMENT), "db", "upgrade"], env=env, check=True, timeout=120)
            server = None
            stop, latencies, failures = threading.Event(), [], []
            if posts != args.posts:
                server = subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", "wsgi:app", "run", "--port",
                     str(PORT), "--host", "127.0.0.1", "--with-threads"],
                    env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                wait_until_up()
                watcher = threading.Thread(
                    target=view_latencies, args=(stop, latencies, failures), daemon=True
                )
                watcher.start()
            try:
                seconds, peak = import_file(source, env)
            finally:
                stop.set()
                if server is not None:
                    server.terminate()
                    server.wait(timeout=10)
            rows.append(
                {
                    "posts": posts,
                    "file_mib": round(source.stat().st_size / 2**20, 1),
                    "seconds": round(seconds, 1),
                    "peak_mib": round(peak, 1),
                }
            )
            if latencies:
                ordered = sorted(latencies)
                rows[-1]["views_during_import"] = len(ordered)
                rows[-1]["view_p50_ms"] = round(statistics.median(ordered) * 1000, 1)
                rows[-1]["view_p99_ms"] = round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1)
                rows[-1]["view_max_ms"] = round(ordered[-1] * 1000, 1)
            rows[-1]["view_failures"] = len(failures)
            if failures:
                rows[-1]["first_failure"] = failures[0]
        for row in rows:
            print(json.dumps(row))
        small, large = rows
        print(
            f"file {large['file_mib'] / small['file_mib']:.1f}x larger, "
            f"peak memory {large['peak_mib'] / small['peak_mib']:.2f}x"
        )


if __name__ == "__main__":
    main()
