"""What the course-material tools share: the book's configuration and pages.

The repository's URL is set in one place, ``_config.yml``'s
``repository.url``; the address of the published site is derived from it.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]

#: The Chromium that prints the PDFs and runs the browser tests (Debian's,
#: which ``make chromium`` installs; ``CHROMIUM`` overrides it).
CHROMIUM = (
    os.environ.get("CHROMIUM")
    or shutil.which("chromium")
    or "/usr/bin/chromium"
)
#: Flags that keep Chromium quiet on a machine without a network. Playwright
#: adds --headless and a fresh, empty --user-data-dir of its own for every
#: launch.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def config(root: Path = ROOT) -> dict:
    """The book's ``_config.yml``."""
    return yaml.safe_load((root / "_config.yml").read_text())


def toc_pages(toc: dict) -> list[str]:
    """Every page the table of contents lists, root first, without extension.

    >>> toc_pages({"root": "book/intro", "parts": [{"chapters": [
    ...     {"file": "notebooks/01_a.ipynb", "sections": [
    ...         {"file": "notebooks/01b"}, {"url": "https://example.org"}]}
    ... ]}]})
    ['book/intro', 'notebooks/01_a', 'notebooks/01b']
    """
    pages = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                pages.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [re.sub(r"\.(ipynb|md)$", "", p) for p in pages]


def pages(root: Path = ROOT) -> list[str]:
    """The pages of the book, in the order of ``_toc.yml``."""
    return toc_pages(yaml.safe_load((root / "_toc.yml").read_text()))


def chapters(root: Path = ROOT) -> list[str]:
    """The chapters: the pages whose source is a notebook, in order."""
    return [p for p in pages(root) if (root / f"{p}.ipynb").exists()]


def repository(url: str) -> tuple[str, str]:
    """``(owner, name)`` of a GitHub repository URL.

    >>> repository("https://github.com/seeing-and-doing/seeing-and-doing/")
    ('seeing-and-doing', 'seeing-and-doing')
    >>> repository("https://gitlab.com/a/b")
    Traceback (most recent call last):
    ...
    ValueError: repository.url must be https://github.com/OWNER/NAME, not 'https://gitlab.com/a/b'
    """
    parts = urlsplit(url.rstrip("/"))
    path = parts.path.strip("/").split("/")
    if (
        parts.scheme != "https"
        or parts.netloc != "github.com"
        or len(path) != 2
    ):
        raise ValueError(
            "repository.url must be https://github.com/OWNER/NAME, "
            f"not {url!r}"
        )
    return path[0], path[1]


def pages_url(url: str) -> str:
    """Where GitHub Pages publishes the repository at ``url``.

    >>> pages_url("https://github.com/Seeing-and-Doing/seeing-and-doing")
    'https://seeing-and-doing.github.io/seeing-and-doing/'
    >>> pages_url("https://github.com/someone/someone.github.io")
    'https://someone.github.io/'
    """
    owner, name = repository(url)
    host = f"{owner.lower()}.github.io"
    return (
        f"https://{host}/"
        if name.lower() == host
        else f"https://{host}/{name}/"
    )
