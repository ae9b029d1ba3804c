"""The shipped server and the shipped nginx site, started for real as child processes.

Each is started on 127.0.0.1 with the repository's own configuration files, changed only where
a test must differ from a production host: the listening port, the upstream addresses and the
cache folder.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVER_ENV_FILE = DEPLOY / "granian.env"
NGINX_SITE = DEPLOY / "nginx-engagement.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def shipped_server_settings() -> dict[str, str]:
    """The server's settings from ``deploy/granian.env`` (``KEY=value`` lines, ``#`` comments)."""
    settings = {}
    for line in SERVER_ENV_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    return settings


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], what: str, seconds: float = 30
) -> None:
    """Wait until ``url`` answers; fail loudly if ``process`` exits or the time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            with urlopen(url, timeout=1):
                return
        except OSError:  # refused, reset or timed out while it starts
            time.sleep(0.1)
    raise RuntimeError(f"{what} at {url} did not come up in {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child process gracefully, then for good."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def start_server(
    port: int,
    env: Mapping[str, str],
    *,
    log: Path,
    app: str = "wsgi:app",
    chdir: Path = ROOT,
    settings: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """The shipped production command (granian with ``deploy/granian.env``) on ``port``."""
    granian = str(Path(sys.executable).with_name("granian"))
    server_env = {
        **os.environ,
        **shipped_server_settings(),
        **(settings or {}),
        **env,
        "GRANIAN_HOST": "127.0.0.1",
        "GRANIAN_PORT": str(port),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [granian, app], cwd=chdir, env=server_env, stdout=out, stderr=subprocess.STDOUT
        )


def render_nginx_site(port: int, upstreams: Iterable[str], cache: Path) -> str:
    """``deploy/nginx-engagement.conf`` listening on 127.0.0.1:``port`` in front of
    ``upstreams`` (``host:port``), its widget cache in ``cache``."""
    site = NGINX_SITE.read_text()
    site, listens = re.subn(
        r"^    listen 80;\n    listen \[::\]:80;", f"    listen 127.0.0.1:{port};", site, flags=re.M
    )
    servers = "".join(
        f"    server {address} max_fails=3 fail_timeout=10s;\n" for address in upstreams
    )
    site, upstream_blocks = re.subn(
        r"(upstream engagement \{\n(?:    #.*\n)*)(    server .*\n)+",
        lambda m: m.group(1) + servers,
        site,
    )
    site = site.replace("/var/cache/nginx/engagement", str(cache))
    if listens != 1 or upstream_blocks != 1:
        raise RuntimeError("deploy/nginx-engagement.conf no longer has the expected shape")
    return site


def write_nginx_config(prefix: Path, site: str) -> Path:
    """An nginx.conf under ``prefix`` that includes ``site`` inside ``http {}``, as Debian's
    nginx.conf includes sites-enabled/; its pid, logs and temporary files under ``prefix``."""
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    (prefix / "cache").mkdir(exist_ok=True)
    (prefix / "site.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    config = prefix / "nginx.conf"
    config.write_text(
        f"""{user}daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/logs/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include /etc/nginx/mime.types;
    include {prefix}/site.conf;
}}
"""
    )
    return config


def nginx_command(prefix: Path, config: Path, *args: str) -> list[str]:
    return [
        NGINX,
        "-p",
        str(prefix),
        "-c",
        str(config),
        "-e",
        str(prefix / "logs" / "error.log"),
        *args,
    ]


def start_nginx(prefix: Path, port: int, upstreams: Iterable[str]) -> subprocess.Popen[bytes]:
    """Debian's nginx in the foreground, its files under ``prefix``, serving the shipped site."""
    prefix.mkdir(parents=True, exist_ok=True)
    config = write_nginx_config(prefix, render_nginx_site(port, upstreams, prefix / "cache"))
    with (prefix / "stderr.log").open("ab") as out:
        return subprocess.Popen(nginx_command(prefix, config), stdout=out, stderr=subprocess.STDOUT)
