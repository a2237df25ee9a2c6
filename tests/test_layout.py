"""Nothing on a page scrolls sideways at a 1280-px window.

Every code block (a cell's code, its text output, code in the prose), every
rich cell output (pandas and ArviZ tables) and every table of every page of
the table of contents is measured in headless Chromium, with every collapsed
part opened (hidden code cells, solutions): an element whose content is wider
than its box (``scrollWidth > clientWidth``) or that reaches past the page
column fails the test, which names it (page, code cell, first line, widths).

ruff keeps code within 79 columns; ``_styles/book.css`` sizes the code font
and the page column so that 79 columns fit with a margin. The margin is
tested too: the same measurement with the code font widened to 0.62 em per
character, about the widest of the monospace fonts readers' systems pick
(Menlo and DejaVu Sans Mono are 0.602 em, SF Mono about 0.61 em, Cascadia
Code 0.586 em, Consolas 0.55 em).

The browser, the site's server and ``open_page`` are those of test_site.py.
"""

from __future__ import annotations

import pytest
from conftest import PAGES

pytestmark = [pytest.mark.book, pytest.mark.browser]

#: The widest monospace font the page must fit, in em per character.
WIDEST_FONT_EM = 0.62

OPEN_EVERYTHING = """() => {
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after '
    + '{transition: none !important; animation: none !important}';
  document.head.appendChild(style);
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('button.toggle-button[aria-expanded="false"]')
    .forEach(b => b.click());
}"""

WIDEN_CODE_FONT = """(em) => {
  // The advance of the code font here, in em; letter-spacing makes up the
  // difference to a font of `em` per character.
  const pre = document.querySelector('main pre');
  if (!pre) return null;
  const probe = document.createElement('span');
  probe.textContent = 'M'.repeat(200);
  pre.appendChild(probe);
  const size = parseFloat(getComputedStyle(pre).fontSize);
  const advance = probe.getBoundingClientRect().width / 200 / size;
  probe.remove();
  const extra = Math.max(0, em - advance);
  const style = document.createElement('style');
  style.textContent = `pre, pre * {letter-spacing: ${extra}em !important}`;
  document.head.appendChild(style);
  return advance;
}"""

OVERFLOWS = """() => {
  const article = document.querySelector('article.bd-article');
  const box = article.getBoundingClientRect();
  const right = box.right - parseFloat(getComputedStyle(article).paddingRight);
  const cells = [...document.querySelectorAll('main div.cell')];
  const found = [];
  const selector = 'main pre, main .cell_output .output, '
    + 'main .pst-scrollable-table-container, main table';
  for (const el of document.querySelectorAll(selector)) {
    const rect = el.getBoundingClientRect();
    if (!rect.width) continue;  // not laid out
    const scrolls = el.scrollWidth - el.clientWidth;
    const sticksOut = rect.right - right;
    if (scrolls <= 1 && sticksOut <= 1) continue;
    // a table inside a scrolling container is reported once, as the table
    if (el.matches('table') && el.parentElement.matches(
      '.pst-scrollable-table-container')) continue;
    const cell = el.closest('div.cell');
    const kind = el.closest('.cell_output') ? 'cell output'
      : el.closest('.cell_input') ? 'cell code'
      : el.matches('table, .pst-scrollable-table-container') ? 'table'
      : 'code block';
    const source = cell && cell.querySelector('.cell_input pre');
    const text = (el.matches('.pst-scrollable-table-container')
      ? el.querySelector('table') || el : el).innerText;
    found.push({
      kind,
      cell: cell ? cells.indexOf(cell) + 1 : null,
      cell_starts: source ? source.textContent.split('\\n')[0] : null,
      starts: text.trim().split('\\n')[0].slice(0, 70),
      content: Math.max(el.scrollWidth, Math.round(rect.width)),
      room: Math.round(Math.min(el.clientWidth || rect.width,
                                right - rect.left)),
    });
  }
  return found;
}"""


def describe(block: dict) -> str:
    where = (
        f"code cell {block['cell']} ({block['cell_starts']!r})"
        if block["cell"]
        else "prose"
    )
    return (
        f"{block['kind']} in {where}: {block['content']} px wide in "
        f"{block['room']} px, starting {block['starts']!r}"
    )


@pytest.mark.parametrize("path", PAGES)
def test_nothing_scrolls_sideways(open_page, path):
    """Measured with the site's own fonts, then with the code font widened."""
    page = open_page(path).page
    assert page.viewport_size["width"] == 1280
    page.evaluate(OPEN_EVERYTHING)
    found = page.evaluate(OVERFLOWS)
    problems = [describe(b) for b in found]
    seen = {(b["kind"], b["cell"], b["starts"]) for b in found}
    page.evaluate(WIDEN_CODE_FONT, WIDEST_FONT_EM)
    problems += [
        f"{describe(b)} (only in a monospace font of {WIDEST_FONT_EM} em "
        "per character)"
        for b in page.evaluate(OVERFLOWS)
        if (b["kind"], b["cell"], b["starts"]) not in seen
    ]
    assert not problems, (
        f"{path}: wider than the page column at 1280 px:\n"
        + "\n".join(problems)
    )


def test_79_columns_fit_with_a_margin(open_page):
    """The page column holds 79 characters of code, with room to spare.

    Measured directly: a line of 79 characters in a code cell, and inside a
    collapsed solution (the narrowest place code appears), in a font of
    ``WIDEST_FONT_EM`` em per character.
    """
    chapter = next(p for p in PAGES if p.startswith("notebooks/"))
    page = open_page(chapter).page
    page.evaluate(OPEN_EVERYTHING)
    page.evaluate(WIDEN_CODE_FONT, WIDEST_FONT_EM)
    room = page.evaluate("""() => {
      const where = {
        'code cell': 'main div.cell_input pre',
        'solution': 'main .solution div.cell_input pre',
      };
      const out = {};
      for (const [name, selector] of Object.entries(where)) {
        const pre = document.querySelector(selector);
        if (!pre) continue;
        const probe = document.createElement('span');
        probe.textContent = 'x'.repeat(79);
        pre.appendChild(probe);
        const style = getComputedStyle(pre);
        const inner = pre.clientWidth - parseFloat(style.paddingLeft)
          - parseFloat(style.paddingRight);
        out[name] = inner / probe.getBoundingClientRect().width;
        probe.remove();
      }
      return out;
    }""")
    assert set(room) == {"code cell", "solution"}, (
        f"{chapter} shows no code cell or no solution with code: {room}"
    )
    tight = {k: round(v, 3) for k, v in room.items() if v < 1.02}
    assert not tight, (
        "79 columns of code need more than 98% of the code block's width "
        f"(room / width of 79 characters): {tight}"
    )
