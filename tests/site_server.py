"""Serve the built site on a loopback port, as a static web host would.

Used by the browser tests (tests/test_site.py); also handy by hand to read
the built book::

    python tests/site_server.py            # serves _build/html on http://127.0.0.1:8000/
    python tests/site_server.py DIR 8123   # another folder or port
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

LOOPBACK = "127.0.0.1"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static file handler that does not log every request to stderr."""

    # ``format`` shadows the builtin, but it is the base class's parameter name
    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def serve(directory: Path, port: int = 0) -> Iterator[str]:
    """Serve ``directory`` over HTTP on loopback, in a background thread.

    Args:
        directory: the folder to serve (the built ``_build/html``).
        port: the port; 0 picks a free one.

    Yields:
        The site's base URL, ending in a slash.

    Example:
        >>> import tempfile, urllib.request
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = (Path(d) / "index.html").write_text("<p>hello</p>")
        ...     with serve(Path(d)) as url:
        ...         urllib.request.urlopen(url + "index.html").read()
        b'<p>hello</p>'
    """
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((LOOPBACK, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, name="site-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


if __name__ == "__main__":
    root = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[1] / "_build" / "html"
    )
    with serve(root, int(sys.argv[2]) if len(sys.argv) > 2 else 8000) as url:
        print(f"serving {root} at {url} (Ctrl-C stops)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
