"""Sphinx extension: the course materials in the site, and cell markers.

Loaded by _config.yml (``sphinx: local_extensions``). Three things:

- Each chapter (a page whose source is a notebook) gets a "Slides" button in
  its header, to its reveal.js deck ``slides/<notebook>.html``.
- The ``course-materials`` directive (in book/teaching.md) lists every
  chapter's deck, in the order of the table of contents, and the PDF
  editions. The student edition lists only the student PDF.
- In the student edition, the download button of each chapter offers the
  notebook without solutions, not the page's source.
- Each chapter page marks where each notebook cell's content starts, with
  an HTML comment ``<!-- nb-cell ID -->`` (the cell's nbformat id), so that
  ``tools/build_slides.py`` can cut the executed, rendered page into cells.
  MyST-NB numbers the source lines of the notebook's cell ``i`` from
  ``(i + 1) * 10000`` on, so every node knows its cell.

The decks and the PDFs are built after the site (``make slides``,
``make pdf``) into ``_build/slides`` and ``_build/pdf``; the Makefile links
them into each built site as ``slides/`` and ``pdf/``, and the Pages workflow
publishes them there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.osutil import relative_uri

#: MyST-NB numbers the lines of cell ``i`` from ``(i + 1) * CELL_LINES`` on.
CELL_LINES = 10000


def cell_of_line(line: int | None) -> int | None:
    """The notebook cell index of a MyST-NB source line, or None.

    >>> cell_of_line(30002), cell_of_line(10001), cell_of_line(12)
    (2, 0, None)
    """
    if not isinstance(line, int) or line < CELL_LINES:
        return None
    return line // CELL_LINES - 1


def deck_name(docname: str) -> str:
    """The deck file of a chapter, relative to the slides folder.

    >>> deck_name("notebooks/02_seeing")
    '02_seeing.html'
    """
    return f"{docname.rsplit('/', 1)[-1]}.html"


def is_notebook(app: Sphinx, docname: str) -> bool:
    return Path(app.env.doc2path(docname)).suffix == ".ipynb"


def chapters(app: Sphinx) -> list[str]:
    """The notebook pages, in the order of the table of contents."""
    env = app.env
    order: list[str] = []

    def walk(doc: str) -> None:
        if doc in order:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(app.config.root_doc)
    return [d for d in order if is_notebook(app, d)]


# --- cell markers ------------------------------------------------------------


def _cell_index(node: nodes.Node) -> int | None:
    if isinstance(node, nodes.Element) and "cell_index" in node.attributes:
        return int(node["cell_index"])
    for sub in node.findall(include_self=True):
        index = cell_of_line(getattr(sub, "line", None))
        if index is not None:
            return index
    return None


def _marker(cell_id: str) -> nodes.raw:
    return nodes.raw("", f"<!-- nb-cell {cell_id} -->\n", format="html")


def mark_cells(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Insert ``<!-- nb-cell ID -->`` where each cell's content starts."""
    if app.builder.format != "html" or not is_notebook(app, docname):
        return
    cells = json.loads(Path(app.env.doc2path(docname)).read_text())["cells"]
    ids = [c.get("id") or f"cell-{i}" for i, c in enumerate(cells)]
    current: int | None = None

    def walk(parent: nodes.Element) -> None:
        nonlocal current
        for child in list(parent.children):
            if isinstance(child, nodes.section):
                # a section's heading belongs to the cell that wrote it: mark
                # it before the section, not between the section and its title
                title = child.next_node(nodes.title)
                index = _cell_index(title) if title is not None else None
                if index is not None and index != current:
                    current = index
                    parent.insert(parent.index(child), _marker(ids[index]))
                walk(child)
                continue
            if isinstance(child, nodes.title):
                continue
            index = _cell_index(child)
            if index is not None and index != current:
                current = index
                parent.insert(parent.index(child), _marker(ids[index]))

    walk(doctree)


# --- links to the decks and the PDFs -----------------------------------------


def add_slides_button(app, pagename, templatename, context, doctree) -> None:
    """A header button from each chapter page to its deck."""
    buttons = context.get("header_buttons")
    if buttons is None or pagename not in app.env.all_docs:
        return
    if not is_notebook(app, pagename):
        return
    url = context["pathto"](
        f"{app.config.course_slides_dir}/{deck_name(pagename)}", 1
    )
    buttons.append(
        {
            "type": "link",
            "url": url,
            "text": "Slides",
            "tooltip": "Lecture slides of this chapter",
            "icon": "fas fa-person-chalkboard",
            "label": "slides-button",
        }
    )


def student_downloads(app, pagename, templatename, context, doctree) -> None:
    """In the student edition, download the chapter without solutions.

    The page sources hold the solutions and are not published there; the
    student notebooks (``make student-notebooks``) are, beside the chapter
    pages (``html_extra_path``), and the download button offers them.
    """
    buttons = context.get("header_buttons")
    if buttons is None or not getattr(app.config, "student_edition", False):
        return
    for group in buttons:
        if group.get("label") != "download-buttons":
            continue
        kept = [b for b in group["buttons"] if b.get("type") != "link"]
        if pagename in app.env.all_docs and is_notebook(app, pagename):
            kept.insert(
                0,
                {
                    "type": "link",
                    "url": context["pathto"](f"{pagename}.ipynb", 1),
                    "text": ".ipynb",
                    "icon": "fas fa-code",
                    "tooltip": "Download the notebook (without solutions)",
                    "label": "download-notebook-button",
                },
            )
        group["buttons"] = kept


class course_materials(nodes.General, nodes.Element):
    """Placeholder, filled in once every chapter has been read."""


class CourseMaterials(SphinxDirective):
    """``course-materials``: the decks of all chapters and the PDFs."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        return [course_materials()]


def _link(text: str, uri: str) -> nodes.reference:
    return nodes.reference("", text, refuri=uri, internal=False)


def fill_course_materials(
    app: Sphinx, doctree: nodes.document, docname: str
) -> None:
    """Replace the ``course-materials`` placeholders with the lists."""
    config = app.config
    student = bool(getattr(config, "student_edition", False))

    def uri(target: str) -> str:
        return relative_uri(app.builder.get_target_uri(docname), target)

    for placeholder in list(doctree.findall(course_materials)):
        decks = nodes.bullet_list()
        for doc in chapters(app):
            number = app.env.toc_secnumbers.get(doc, {}).get("")
            prefix = f"Chapter {number[0]}: " if number else ""
            title = app.env.titles[doc].astext()
            para = nodes.paragraph()
            para += _link(
                f"{prefix}{title}",
                uri(f"{config.course_slides_dir}/{deck_name(doc)}"),
            )
            decks += nodes.list_item("", para)
        pdfs = nodes.bullet_list()
        editions = [] if student else [(config.course_pdf_full, "the book")]
        editions.append(
            (config.course_pdf_student, "the book without solutions")
        )
        for name, what in editions:
            para = nodes.paragraph()
            para += nodes.Text(f"PDF of {what}: ")
            para += _link(name, uri(f"{config.course_pdf_dir}/{name}"))
            pdfs += nodes.list_item("", para)
        intro = nodes.paragraph(
            text="Slides, one reveal.js deck per chapter (open a deck and "
            "press S for the speaker notes, F for full screen):"
        )
        placeholder.replace_self([intro, decks, pdfs])


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("course_slides_dir", "slides", "html")
    app.add_config_value("course_pdf_dir", "pdf", "html")
    app.add_config_value("course_pdf_full", "seeing-and-doing.pdf", "html")
    app.add_config_value(
        "course_pdf_student", "seeing-and-doing-student.pdf", "html"
    )
    app.add_node(course_materials)
    app.add_directive("course-materials", CourseMaterials)
    app.connect("doctree-resolved", fill_course_materials)
    # after the other handlers (sphinx-exercise merges gated solutions before)
    app.connect("doctree-resolved", mark_cells, priority=900)
    # after sphinx-book-theme's own header buttons (priority 501)
    app.connect("html-page-context", add_slides_button, priority=600)
    app.connect("html-page-context", student_downloads, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
