"""Stand-ins for the magazine's own web server: pages on an origin other than the service's."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from urllib.request import urlopen

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response


class Site:
    """A tiny web server on 127.0.0.1 (its own port, so its own origin) serving set pages."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, dict[str, str]]] = {}
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _wsgi(self, environ: dict[str, object], start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        found = self.pages.get(request.path)
        if found is None:
            return Response("not found", status=404)(environ, start_response)
        html, headers = found
        return Response(html, mimetype="text/html", headers=headers)(environ, start_response)

    def publish(self, path: str, html: str, headers: dict[str, str] | None = None) -> str:
        """Serve ``html`` at ``path``; returns the page's URL."""
        self.pages[path] = (html, headers or {})
        return self.url + path

    def publish_demo(self, service_url: str, path: str = "/article", demo: str = "/demo/") -> str:
        """Serve the service's demo article from this site, as the magazine would embed it.

        The page is the demo page byte for byte, with its Content-Security-Policy: the widget,
        its stylesheet and the API all come from the service's origin, the page from this one.
        """
        with urlopen(service_url + demo) as response:
            html = response.read().decode("utf-8")
            policy = response.headers["Content-Security-Policy"]
        return self.publish(path, html, {"Content-Security-Policy": policy})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def embedding_page(
    service_url: str,
    key: str,
    *,
    lang: str = "en",
    thread: str = "",
    extra: Iterable[str] = (),
    title: str = "A story",
) -> str:
    """A minimal article page with the embed snippet and no Content-Security-Policy.

    ``thread`` adds attributes to the thread container (``data-lang="es"``...).
    """
    body = "\n".join(extra)
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>A story</title></head>
<body>
<h1>A story</h1>
<p><span data-engagement-counter data-key="{key}"></span></p>
<div data-engagement-thread data-key="{key}" data-title="{title}" {thread}></div>
{body}
<script src="{service_url}/embed.js" defer></script>
</body></html>"""
