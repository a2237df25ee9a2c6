"""The explorers as readers meet them: headless Chromium, no network.

Each page with an explorer (the intro's opening picture, Chapter 3's two
explorers; in the full and the student edition) is loaded through
tests/test_site.py's fixtures, which block every request to another host.
Each slider is moved with the keyboard, and the means and variances the
page then shows are compared with ``causalbook.exact``. Also: the
checkbox, the text alternative, dark mode, a 768-px window, print, a copy
read from disk with the network off, the time one slider step takes to
re-render (``_build/explorer-timing.json``), and the size the explorers add
to the site (``_build/explorer-size.json``).

Screenshots of each explorer at two slider positions:
``_build/screenshots/explorers/`` (a sub-folder: tests/test_site.py empties
the top folder at the start of its own tests).
"""

from __future__ import annotations

import io
import json
import os
import re
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import BUILD, PAGES
from PIL import Image
from playwright.sync_api import Page
from site_browser import Opener, Visit
from site_server import serve
from test_explorers import EXACT_A
from test_site import HTML, css_luminance

from causalbook import exact
from causalbook.explorer_site import MARKER, SCRIPTS, STATIC_DIR
from causalbook.models import LINEAR, MODELS

pytestmark = [pytest.mark.book, pytest.mark.browser]

STUDENT_HTML = (
    Path(os.environ.get("STUDENT_BUILD_DIR", BUILD / "student" / "_build"))
    / "html"
)
SHOTS = BUILD / "screenshots" / "explorers"
#: The pages with explorers, and each explorer's exact answers at slider
#: value s, by the word that starts its line of text beside the plot
#: (explorer A's words are the query names of test_explorers' EXACT_A).
A = EXACT_A
B = {
    "do(Y = y′)": lambda m, s: exact.interventional(
        LINEAR[m], {"y": s}
    ).marginal("x"),
    "no intervention": lambda m, s: exact.joint(LINEAR[m]).marginal("x"),
}
EXPLORERS = {
    ("book/intro", "explorer-opening"): (A, 3.0),
    ("notebooks/03_doing", "explorer-seeing-vs-doing"): (A, 3.0),
    ("notebooks/03_doing", "explorer-intervening-on-y"): (B, 5.0),
}
#: Keys pressed on a focused slider, how often: each move is checked.
MOVES = [("ArrowRight", 1), ("ArrowLeft", 23), ("Home", 1), ("End", 1)]
ROUNDING = 0.0005 + 1e-9  # the page shows three decimals


# --- reading an explorer -----------------------------------------------------


def wait_ready(page: Page, name: str) -> None:
    page.wait_for_selector(f"#{name}[data-ready]", timeout=20_000)


def slider_value(page: Page, name: str) -> float:
    return float(page.locator(f"#{name} input[type=range]").input_value())


NUMBER = r"(−?-?\d+(?:\.\d+)?)"
LINE = re.compile(
    rf"^(?P<word>.+?): (?:mean {NUMBER}, variance {NUMBER}"
    rf"|a point at {NUMBER})$"
)


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def shown(page: Page, name: str) -> dict[str, dict[str, tuple]]:
    """``{model: {word: (mean, variance)}}`` as the explorer shows them.

    Read from the SVG's text in document order: a model's title ("model 2:
    Y → X"), then its lines ("doing: mean 1, variance 4", "imagining: a
    point at 3", variance 0).
    """
    texts = page.locator(f"#{name} svg text").all_text_contents()
    result: dict[str, dict[str, tuple]] = {}
    model = None
    for text in texts:
        text = " ".join(text.split())
        title = re.match(r"^model (\d): ", text)
        if title:
            model = MODELS[int(title.group(1)) - 1]
            result[model] = {}
            continue
        m = LINE.match(text)
        if m and model:
            mean, var, point = m.group(2, 3, 4)
            result[model][m.group("word")] = (
                (_number(point), 0.0)
                if point is not None
                else (_number(mean), _number(var))
            )
    return result


def check_against_exact(
    page: Page, name: str, queries: dict, where: str
) -> float:
    """The shown values equal the exact answers at the slider's value."""
    s = slider_value(page, name)
    values = shown(page, name)
    assert set(values) == set(MODELS), f"{where}: models shown {values}"
    for m in MODELS:
        words = set(values[m])
        assert words <= set(queries) and len(words) >= 2, (where, m, words)
        for word, (mean, var) in values[m].items():
            g = queries[word](m, s)
            v = g.names[0]
            assert abs(mean - g.mean(v)) <= ROUNDING, (where, s, m, word)
            assert abs(var - g.var(v)) <= ROUNDING, (where, s, m, word)
    return s


def move(page: Page, name: str, key: str, times: int) -> None:
    page.locator(f"#{name} input[type=range]").focus()
    for _ in range(times):
        page.keyboard.press(key)
    # let Vega run and draw
    page.evaluate(
        "(n) => document.getElementById(n).explorerView.runAsync()"
        ".then(() => new Promise(r => requestAnimationFrame(r)))",
        name,
    )


def shot(page: Page, path: str, name: str, label: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    file = SHOTS / f"{path.replace('/', '__')}__{name}__{label}.png"
    page.locator(f"#{name}").screenshot(path=file)


@pytest.fixture(scope="module")
def student_url() -> Iterator[str]:
    if not (STUDENT_HTML / "index.html").exists():
        pytest.fail(
            f"{STUDENT_HTML} has no student edition: run `make book-student`"
        )
    with serve(STUDENT_HTML) as url:
        yield url


@pytest.fixture
def open_student(browser, student_url) -> Iterator[Callable[[str], Visit]]:
    opener = Opener(browser, student_url)
    yield opener
    opener.close()


# --- the tests ---------------------------------------------------------------


def test_every_page_with_an_explorer_is_listed():
    """The pages tested here are exactly those that show an explorer."""
    with_explorers = {
        p for p in PAGES if MARKER in (HTML / f"{p}.html").read_text()
    }
    assert with_explorers == {p for p, _ in EXPLORERS}


def expected_after(page: Page, name: str, s: float, key: str, n: int):
    """Where a key pressed n times takes a range input, from value s."""
    attrs = page.locator(f"#{name} input[type=range]").evaluate(
        "e => [e.min, e.max, e.step].map(Number)"
    )
    lo, hi, step = attrs
    if key == "Home":
        return lo
    if key == "End":
        return hi
    sign = 1 if key == "ArrowRight" else -1
    return min(hi, max(lo, round(s + sign * n * step, 10)))


def explore(page: Page, path: str, name: str, where: str) -> None:
    """Check the explorer at its start, then after each keyboard move."""
    queries, start = EXPLORERS[path, name]
    wait_ready(page, name)
    assert slider_value(page, name) == start, f"{where}: the printed frame"
    check_against_exact(page, name, queries, f"{where}, at the start")
    s = start
    for key, n in MOVES:
        want = expected_after(page, name, s, key, n)
        move(page, name, key, n)
        s = check_against_exact(page, name, queries, f"{where}, {key}")
        assert s == pytest.approx(want), f"{where}: {key} x{n} gave {s}"


IDS = [f"{p}#{n}" for p, n in EXPLORERS]


@pytest.mark.parametrize("path, name", list(EXPLORERS), ids=IDS)
def test_slider_by_keyboard_shows_the_exact_answers(
    open_page,  # noqa: F811
    path,
    name,
):
    visit = open_page(path)
    page = visit.page
    wait_ready(page, name)
    shot(page, path, name, f"at-{slider_value(page, name):g}")
    explore(page, path, name, path)
    move(page, name, "Home", 1)  # a second position to look at
    move(page, name, "ArrowRight", 20)
    shot(page, path, name, f"at-{slider_value(page, name):g}")
    assert not visit.outside, f"requests to other hosts: {visit.outside}"
    assert not visit.problems, "\n".join(visit.problems)


@pytest.mark.parametrize("path, name", list(EXPLORERS), ids=IDS)
def test_student_edition_has_the_explorers(open_student, path, name):
    visit = open_student(path)
    explore(visit.page, path, name, f"student edition {path}")
    assert not visit.outside, f"requests to other hosts: {visit.outside}"
    assert not visit.problems, "\n".join(visit.problems)


def texts(page: Page, name: str) -> list[str]:
    """The lines of text beside the plots ("doing: mean 1, variance 4")."""
    lines = (
        " ".join(t.split()).replace("−", "-")
        for t in page.locator(f"#{name} svg text").all_text_contents()
    )
    return [t for t in lines if re.match(r"^[^:]+: (mean|a point)", t)]


@pytest.mark.parametrize(
    "path, name",
    [k for k, v in EXPLORERS.items() if v[0] is A],
    ids=[f"{p}#{n}" for (p, n), v in EXPLORERS.items() if v[0] is A],
)
def test_at_x_3_seeing_is_4_and_3_doing_4_1_1_and_the_checkbox_adds_a_point(
    open_page,  # noqa: F811
    path,
    name,
):
    page = open_page(path).page
    wait_ready(page, name)
    lines = texts(page, name)
    assert lines.count("seeing: mean 4, variance 3") == 3
    doing = [t for t in lines if t.startswith("doing:")]
    assert doing == [
        "doing: mean 4, variance 3",
        "doing: mean 1, variance 4",
        "doing: mean 1, variance 4",
    ]
    assert not [t for t in lines if t.startswith("imagining:")]
    rules = f"#{name} svg .mark-rule.role-mark line"
    assert page.locator(rules).count() == 0
    box = page.locator(f"#{name} input[type=checkbox]")
    box.focus()
    page.keyboard.press("Space")
    move(page, name, "ArrowRight", 0)
    assert box.is_checked()
    imagining = [t for t in texts(page, name) if t.startswith("imagining:")]
    assert imagining == [
        "imagining: a point at 5",
        "imagining: a point at 3",
        "imagining: a point at 3",
    ]
    assert page.locator(rules).count() == 3, "one vertical rule per model"
    shot(page, path, name, "imagining")
    check_against_exact(page, name, A, "with imagining")
    move(page, name, "ArrowLeft", 20)  # x = 1: the seen unit itself
    imagining = [t for t in texts(page, name) if t.startswith("imagining:")]
    assert imagining == ["imagining: a point at 3"] * 3
    box.focus()
    page.keyboard.press("Space")
    move(page, name, "ArrowRight", 0)
    assert not [t for t in texts(page, name) if t.startswith("imagining:")]
    assert page.locator(rules).count() == 0


@pytest.mark.parametrize("path, name", list(EXPLORERS), ids=IDS)
def test_described_for_screen_readers_and_named_controls(
    open_page,  # noqa: F811
    path,
    name,
):
    page = open_page(path).page
    wait_ready(page, name)
    figure = page.locator(f"#{name}")
    described = figure.get_attribute("aria-describedby")
    text = page.locator(f"#{described}").text_content()
    queries, start = EXPLORERS[path, name]
    assert len(text) > 200 and "Interactive figure" in text
    word, variable = ("seeing", "y") if queries is A else ("do(Y", "x")
    for m in MODELS:
        g = next(iter(queries.values()))(m, start)
        assert g.text(variable) in text, (m, g.text(variable))
    assert figure.locator("figcaption").inner_text().strip()
    slider = figure.get_by_role("slider")
    assert slider.count() == 1
    # the label Vega wraps around the input names it
    label = slider.evaluate("e => e.labels[0].textContent")
    assert ("x, the value" in label) if queries is A else ("y′" in label)
    if queries is A:
        assert figure.get_by_role("checkbox").count() == 1
    assert word in " ".join(texts(page, name))


def step_times(page: Page, name: str, steps: int) -> list[float]:
    """Milliseconds from each arrow key's keydown to the redrawn frame."""
    arm = """(name) => {
      const fig = document.getElementById(name);
      const input = fig.querySelector('input[type="range"]');
      window.__cbStep = new Promise((resolve) => {
        let t0 = null;
        input.addEventListener("keydown", (ev) => { t0 = ev.timeStamp; },
                               {once: true});
        input.addEventListener("input", () => {
          fig.explorerView.runAsync().then(() => requestAnimationFrame(
            () => setTimeout(() => resolve(performance.now() - t0), 0)));
        }, {once: true});
      });
    }"""
    page.locator(f"#{name} input[type=range]").focus()
    times = []
    for i in range(steps):
        before = texts(page, name)
        page.evaluate(arm, name)
        page.keyboard.press("ArrowLeft" if i % 2 else "ArrowRight")
        times.append(page.evaluate("window.__cbStep"))
        assert texts(page, name) != before or i % 2, "nothing redrawn"
    return times


def test_one_slider_step_rerenders_within_50_ms(open_page):  # noqa: F811
    report = {}
    for path, name in EXPLORERS:
        page = open_page(path).page
        wait_ready(page, name)
        step_times(page, name, 5)  # warm-up
        times = step_times(page, name, 30)
        report[f"{path}#{name}"] = {
            "steps": len(times),
            "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(sorted(times)[int(0.9 * len(times))], 1),
            "max_ms": round(max(times), 1),
        }
    (BUILD / "explorer-timing.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    for where, r in report.items():
        # the typical step, with room to spare on a shared 2-core machine
        assert r["median_ms"] < 50, f"{where}: {r}"


def to_dark(page: Page) -> None:
    switch = page.locator(".theme-switch-button").first
    for _ in range(3):  # the switch cycles through auto, dark and light
        if page.evaluate("document.documentElement.dataset.theme") == "dark":
            return
        switch.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"


@pytest.mark.parametrize("path, name", list(EXPLORERS), ids=IDS)
def test_legible_in_dark_mode(open_page, path, name):  # noqa: F811
    page = open_page(path).page
    wait_ready(page, name)
    to_dark(page)
    page.mouse.move(0, 0)
    figure = page.locator(f"#{name}")
    style = figure.evaluate(
        "f => [getComputedStyle(f).backgroundColor,"
        " getComputedStyle(f.querySelector('figcaption')).color,"
        " getComputedStyle(f.querySelector('label')).color]"
    )
    background, caption, label = map(css_luminance, style)
    assert background > 0.9 and caption < 0.3 and label < 0.3, style
    SHOTS.mkdir(parents=True, exist_ok=True)
    png = figure.screenshot(
        path=SHOTS / f"{path.replace('/', '__')}__{name}__dark.png"
    )
    img = Image.open(io.BytesIO(png)).convert("L")
    w, h = img.size
    inside = img.crop((w // 10, h // 10, w - w // 10, h - h // 10))
    assert (
        sum(inside.histogram()[200:]) / inside.size[0] / inside.size[1] > 0.7
    ), "the explorer is not on a light background in dark mode"
    assert sum(inside.histogram()[:90]) > 500, "no dark text or lines"


@pytest.mark.parametrize("path, name", list(EXPLORERS), ids=IDS)
def test_usable_in_a_768_px_window(open_page, path, name):  # noqa: F811
    page = open_page(path).page
    page.set_viewport_size({"width": 768, "height": 900})
    wait_ready(page, name)
    page.wait_for_timeout(300)  # the theme's layout settles
    figure = page.locator(f"#{name}")
    figure.scroll_into_view_if_needed()
    box = figure.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 768, box
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 768
    fits = figure.evaluate(
        "f => { const s = f.querySelector('svg').getBoundingClientRect();"
        " const b = f.getBoundingClientRect();"
        " return [s.left >= b.left - 1, s.right <= b.right + 1, s.width] }"
    )
    assert fits[0] and fits[1] and fits[2] > 400, fits
    queries, _ = EXPLORERS[path, name]
    move(page, name, "ArrowLeft", 3)
    check_against_exact(page, name, queries, "768 px")
    shot(page, path, name, "768px")


@pytest.mark.parametrize("path, name", list(EXPLORERS), ids=IDS)
def test_printed_as_the_static_frame(open_page, path, name):  # noqa: F811
    page = open_page(path).page
    wait_ready(page, name)
    page.emulate_media(media="print")
    figure = page.locator(f"#{name}")
    assert figure.is_visible() and figure.locator("svg").is_visible()
    queries, start = EXPLORERS[path, name]
    assert check_against_exact(page, name, queries, "print") == start
    shot(page, path, name, "print")


@pytest.mark.parametrize("path", sorted({p for p, _ in EXPLORERS}))
def test_read_from_disk_with_the_network_off(browser, path):  # noqa: F811
    context = browser.new_context(offline=True)
    try:
        page = context.new_page()
        problems = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto((HTML / f"{path}.html").as_uri(), wait_until="load")
        for p, name in EXPLORERS:
            if p == path:
                wait_ready(page, name)
                move(page, name, "ArrowLeft", 2)
                check_against_exact(
                    page, name, EXPLORERS[p, name][0], "from disk"
                )
        assert not problems, problems
    finally:
        context.close()


# --- the built files ---------------------------------------------------------

FRAGMENT = re.compile(
    r"<style>\.cb-explorer.*?</style>\s*<figure class=\"cb-explorer\".*?"
    r"</figure>",
    re.S,
)


def test_explorers_add_at_most_2_mb_to_the_site():
    vendored = sorted((HTML / "_static" / STATIC_DIR).iterdir())
    assert {f.name for f in vendored} >= set(SCRIPTS)
    scripts = sum(f.stat().st_size for f in vendored)
    pages = {
        p: sum(
            len(m.group(0).encode())
            for m in FRAGMENT.finditer((HTML / f"{p}.html").read_text())
        )
        for p, _ in EXPLORERS
    }
    total = scripts + sum(pages.values())
    report = {"vendored_bytes": scripts, "page_bytes": pages, "total": total}
    (BUILD / "explorer-size.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    assert all(pages.values())
    assert total <= 2 * 1024 * 1024, report


def test_only_pages_with_an_explorer_load_vega_and_none_from_a_cdn():
    for page in HTML.rglob("*.html"):
        text = page.read_text(errors="replace")
        loads = re.findall(
            rf'<script[^>]*src="[^"]*{STATIC_DIR}/([^"?]+)', text
        )
        if MARKER in text:
            assert loads == list(SCRIPTS), (page, loads)
        else:
            assert not loads, f"{page} loads Vega without an explorer"
        assert "cdn.jsdelivr.net/npm/vega" not in text, page
