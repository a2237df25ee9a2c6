"""Write the slide marks of ``tools/slide_marks.json`` into the notebooks.

The marks say which cells become slides (see ``tools/build_slides.py``). They
live in the notebooks' cell metadata, where Jupyter and nbconvert keep them
(``slideshow.slide_type``), plus the book's ``slides`` (``input``,
``sections``); this file keeps them keyed by the cells' stable ``id``, so that
they can be applied again after a chapter is rewritten. Only metadata is
touched, never a cell's source; cells that the file does not list lose their
marks (they get the defaults of ``build_slides.py``).

The file maps each notebook to ``{cell id: mark}``, a mark being a slide type
(``"slide"``, ``"subslide"``, ``"fragment"``, ``"-"``, ``"notes"``,
``"skip"``) or ``{"type": ..., "input": false, "sections": {heading: type}}``.

Usage::

    python tools/apply_slide_marks.py           # write the marks
    python tools/apply_slide_marks.py --check   # exit 1 if a notebook differs

Both stop with an error naming any cell id that a notebook no longer has.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_slides import SLIDE_TYPES  # noqa: E402
from common import ROOT  # noqa: E402

MARKS = ROOT / "tools" / "slide_marks.json"


def metadata_of(mark: str | dict, where: str) -> dict:
    """The cell metadata that a mark of the file stands for.

    >>> metadata_of("fragment", "x")
    {'slideshow': {'slide_type': 'fragment'}}
    >>> metadata_of({"type": "-", "input": False}, "x")
    {'slideshow': {'slide_type': '-'}, 'slides': {'input': False}}
    >>> metadata_of("big", "nb, cell c1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: nb, cell c1: 'big' is not a slide type (slide, subslide, ...)
    """
    if isinstance(mark, str):
        mark = {"type": mark}
    if not isinstance(mark, dict) or set(mark) - {"type", "input", "sections"}:
        raise ValueError(
            f"{where}: a mark is a slide type or an object with "
            f"type, input and sections, not {mark!r}"
        )
    kinds = [mark.get("type"), *(mark.get("sections") or {}).values()]
    for kind in kinds:
        if kind not in SLIDE_TYPES:
            raise ValueError(
                f"{where}: {kind!r} is not a slide type "
                f"({', '.join(SLIDE_TYPES)})"
            )
    meta = {"slideshow": {"slide_type": mark["type"]}}
    extra = {k: mark[k] for k in ("input", "sections") if k in mark}
    if extra:
        meta["slides"] = extra
    return meta


def marked(nb: dict, marks: dict, where: str) -> dict:
    """A copy of the notebook with exactly these marks."""
    nb = copy.deepcopy(nb)
    ids = {cell.get("id") for cell in nb["cells"]}
    missing = sorted(set(marks) - ids)
    if missing:
        raise ValueError(
            f"{where}: no cell with id {', '.join(missing)} (rewritten "
            "chapter? update tools/slide_marks.json)"
        )
    for cell in nb["cells"]:
        meta = cell.setdefault("metadata", {})
        meta.pop("slideshow", None)
        meta.pop("slides", None)
        if cell.get("id") in marks:
            meta.update(
                metadata_of(marks[cell["id"]], f"{where}, cell {cell['id']}")
            )
    return nb


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check that the notebooks carry the marks",
    )
    parser.add_argument("--marks", type=Path, default=MARKS)
    args = parser.parse_args(argv)
    all_marks = json.loads(args.marks.read_text())
    differ, errors = [], []
    for name, marks in all_marks.items():
        if name.startswith("_"):
            continue  # comments
        path = ROOT / name
        if not path.exists():
            errors.append(f"{name}: no such notebook")
            continue
        text = path.read_text()
        try:
            new = dumps(marked(json.loads(text), marks, name))
        except ValueError as error:
            errors.append(str(error))
            continue
        if new != text:
            differ.append(name)
            if not args.check:
                path.write_text(new)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if args.check and differ:
        print(
            "the slide marks of these notebooks differ from "
            f"{args.marks.name}: {', '.join(differ)} "
            "(run python tools/apply_slide_marks.py)",
            file=sys.stderr,
        )
        return 1
    if not args.check:
        for name in differ:
            print(f"marked {name}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
