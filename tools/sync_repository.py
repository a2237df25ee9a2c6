"""Point the chapters' Colab cells at ``_config.yml``'s ``repository.url``.

The repository's address is set in one place, ``_config.yml``. The site, its
launch buttons, the slides, the PDFs, the student notebooks and the workflow
derive it from there; only the first cell of each chapter, which clones the
repository on Colab before anything else can be read, spells it out. A fork
sets ``repository.url`` and runs ``python tools/sync_repository.py`` (or
``make sync-repository``) to rewrite that one line in every chapter; the
tests (tests/test_launch.py) check that they agree.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, chapters, config, repository  # noqa: E402

URL = re.compile(r'"https://github\.com/[\w.-]+/[\w.-]+"')


def synced(source: list[str], url: str) -> list[str]:
    """The Colab cell's lines with the repository's URL replaced.

    >>> synced(['    repo = "https://github.com/a/b"\\n', "x = 1"],
    ...        "https://github.com/me/book")
    ['    repo = "https://github.com/me/book"\\n', 'x = 1']
    """
    return [URL.sub(f'"{url}"', line) for line in source]


def main() -> int:
    url = config()["repository"]["url"].rstrip("/")
    repository(url)  # a GitHub repository, or a clear error
    for chapter in chapters():
        path = ROOT / f"{chapter}.ipynb"
        text = path.read_text()
        nb = json.loads(text)
        cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
        lines = cell["source"]
        if isinstance(lines, str):
            lines = lines.splitlines(keepends=True)
        cell["source"] = synced(lines, url)
        new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if new != text:
            path.write_text(new)
            print(f"{path.relative_to(ROOT)}: clones {url} on Colab")
    return 0


if __name__ == "__main__":
    sys.exit(main())
