"""The browser the site's tests read the book with, and the site's server.

Fixtures shared by every browser test (test_site.py, test_layout.py,
test_accessibility.py; conftest.py makes them visible to all): ``site_url``
serves the built ``_build/html`` on a loopback port, ``browser`` is Debian's
Chromium driven by Playwright (one for the whole session: Playwright's
synchronous API allows one at a time), and ``open_page`` opens a page of the
site in a fresh browser context at a 1280-px window, fully loaded, with every
request to a host other than the loopback one aborted and recorded (see
:class:`Visit`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from common import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import Browser, Page, sync_playwright
from site_server import serve

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Visit:
    """A page opened in a fresh browser context.

    With everything that went wrong while loading it.
    """

    page: Page
    # console errors, page errors, failed requests
    problems: list[str] = field(default_factory=list)
    # requests to non-loopback hosts (aborted)
    outside: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def site_url() -> Iterator[str]:
    """The built site (``_build/html``), served on a loopback port."""
    from conftest import BUILD

    html = BUILD / "html"
    if not (html / "index.html").exists():
        pytest.fail(
            f"{html} has no built site: build the book first (`make book`, "
            "or `make test` which does it)"
        )
    with serve(html) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright, for the whole session."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `make chromium` installs "
            "Debian's chromium package (or set CHROMIUM=/path/to/chromium)"
        )
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


WAIT_FOR_TYPESETTING = """async () => {
  // MathJax is loaded (deferred) only on pages with math; wait for its first
  // typesetting pass.
  if (document.querySelector('script[src*="mathjax"]')) {
    const start = Date.now();
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
      if (Date.now() - start > 15000) return "MathJax never started";
      await new Promise(r => setTimeout(r, 50));
    }
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  return "";
}"""


class Opener:
    """Opens pages of one served site, each in a fresh browser context.

    ``opener(path)`` returns a :class:`Visit` of ``{base_url}{path}.html``
    at a 1280-px window, fully loaded (MathJax typeset, network idle), with
    every request to a host other than the loopback one aborted and
    recorded. :meth:`close` closes the contexts opened.
    """

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.contexts: list = []

    def __call__(self, path: str, *, query: str = "", **options) -> Visit:
        context = self.browser.new_context(
            viewport={"width": 1280, "height": 900}, **options
        )
        self.contexts.append(context)
        page = context.new_page()
        visit = Visit(page)

        def guard(route):
            url = route.request.url
            if urlsplit(url).hostname in LOOPBACK_HOSTS:
                route.continue_()
            else:
                visit.outside.append(url)
                route.abort("blockedbyclient")

        def on_console(msg):
            # The browser itself asks the host for /favicon.ico; the book
            # declares no icon.
            if msg.type == "error" and not msg.location.get(
                "url", ""
            ).endswith("/favicon.ico"):
                visit.problems.append(
                    f"console error: {msg.text} ({msg.location.get('url')})"
                )

        context.route("**/*", guard)
        page.on("console", on_console)
        page.on(
            "pageerror",
            lambda exc: visit.problems.append(f"page error: {exc}"),
        )
        page.on(
            "requestfailed",
            lambda r: visit.problems.append(
                f"request failed: {r.url} ({r.failure})"
            ),
        )
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and visit.problems.append(f"HTTP {r.status}: {r.url}")
            ),
        )
        page.goto(f"{self.base_url}{path}.html{query}", wait_until="load")
        stuck = page.evaluate(WAIT_FOR_TYPESETTING)
        if stuck:
            visit.problems.append(stuck)
        # fonts and components MathJax asked for
        page.wait_for_load_state("networkidle")
        return visit

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def open_page(browser: Browser, site_url: str) -> Iterator[Opener]:
    """``open_page("notebooks/01_three_models")`` -> a :class:`Visit`.

    The visit is of that page of the built site, fully loaded.
    """
    opener = Opener(browser, site_url)
    yield opener
    opener.close()
