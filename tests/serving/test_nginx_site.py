"""The shipped nginx site (``deploy/nginx-engagement.conf``) is valid for Debian's nginx, with its
HTTPS block as shipped (commented out) and once uncommented with a certificate."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.serving import processes


@pytest.fixture(autouse=True)
def needs_nginx() -> None:
    if not Path(processes.NGINX).exists():
        pytest.fail(f"{processes.NGINX} is missing: install Debian's nginx")


def nginx_test(prefix: Path, site: str) -> subprocess.CompletedProcess[str]:
    config = processes.write_nginx_config(prefix, site)
    return subprocess.run(
        processes.nginx_command(prefix, config, "-t"),
        capture_output=True,
        text=True,
        timeout=30,
    )


def with_https(site: str, certificate: Path, key: Path) -> str:
    """The site with its HTTPS lines and its redirect block uncommented, as the README says."""
    site = re.sub(
        r"^    # (listen .*443 ssl.*|ssl_.*|add_header Strict.*)$", r"    \1", site, flags=re.M
    )
    site = re.sub(r"^# (server \{|    .*|\})$", r"\1", site, flags=re.M)
    site = site.replace(
        "/etc/letsencrypt/live/comments.magazine.example/fullchain.pem", str(certificate)
    )
    return site.replace("/etc/letsencrypt/live/comments.magazine.example/privkey.pem", str(key))


def test_the_site_as_shipped_is_valid(tmp_path: Path) -> None:
    site = processes.render_nginx_site(processes.free_port(), ["127.0.0.1:8001"], tmp_path / "c")
    result = nginx_test(tmp_path, site)
    assert result.returncode == 0, result.stderr


def test_the_https_block_is_valid_once_uncommented_with_a_certificate(tmp_path: Path) -> None:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=comments.magazine.example",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    site = processes.render_nginx_site(processes.free_port(), ["127.0.0.1:8001"], tmp_path / "c")
    site = with_https(site, certificate, key)
    assert "listen 443 ssl" in site and "return 301 https://" in site
    result = nginx_test(tmp_path, site)
    assert result.returncode == 0, result.stderr
