"""Launching the chapters: Binder, Colab and Thebe, and one environment.

One environment for all of them: Binder builds the environment from
requirements.txt, runtime.txt and apt.txt; Colab runs each notebook's first
cell, which installs requirements.txt; `make test` installs requirements.txt
into the interpreter these tests run on. The tests below keep the three from
drifting apart.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import types
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import BUILD, CHAPTERS, ROOT

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"].get("branch", "main")
OWNER, REPO = urlsplit(REPO_URL).path.strip("/").split("/")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def requirement_lines() -> list[str]:
    lines = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            lines.append(line)
    return lines


def pins() -> dict[str, str]:
    return dict(
        line.split("==", 1) for line in requirement_lines() if "==" in line
    )


# --- configuration -----------------------------------------------------------


def test_repository_url_is_a_github_repository():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPO_URL), (
        REPO_URL
    )


def test_launch_buttons_configured():
    launch = CONFIG["launch_buttons"]
    assert launch["binderhub_url"] == "https://mybinder.org"
    assert launch["colab_url"] == "https://colab.research.google.com"
    assert launch["thebe"] is True
    assert (
        CONFIG["html"]["use_repository_button"]
        and CONFIG["html"]["use_issues_button"]
    )


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_binder_colab_and_thebe(chapter):
    page = BUILD / "html" / f"{chapter}.html"
    if not page.exists():
        pytest.fail(
            f"{page} is missing: build the book first (`make book`, or "
            "`make test` which does it)"
        )
    html = page.read_text(encoding="utf-8")
    notebook = f"{chapter}.ipynb"
    assert (ROOT / notebook).exists()
    interface = {"jupyterlab": "lab/tree", "classic": "tree"}[
        CONFIG["launch_buttons"]["notebook_interface"]
    ]
    binder = f"https://mybinder.org/v2/gh/{OWNER}/{REPO}/{BRANCH}?urlpath={interface}/{notebook}"
    colab = f"https://colab.research.google.com/github/{OWNER}/{REPO}/blob/{BRANCH}/{notebook}"
    hrefs = set(re.findall(r'href="([^"]+)"', html))
    assert binder in hrefs, f"no Binder link {binder}"
    assert colab in hrefs, f"no Colab link {colab}"
    assert 'class="btn btn-sm btn-launch-thebe' in html, "no Thebe button"
    config = re.search(
        r'<script type="text/x-thebe-config">(.*?)</script>', html, re.S
    )
    assert config, "no Thebe configuration"
    assert f'repo: "{OWNER}/{REPO}"' in config.group(
        1
    ) and f'ref: "{BRANCH}"' in config.group(1)


# --- the Colab cell ----------------------------------------------------------


def first_code_cell(nb) -> dict:
    cells = json.loads(nb.read_text())["cells"]
    return next(c for c in cells if c["cell_type"] == "code")


def source(cell) -> str:
    return (
        "".join(cell["source"])
        if isinstance(cell["source"], list)
        else cell["source"]
    )


def run_cell(code: str, monkeypatch, on_colab: bool) -> list[list[str]]:
    """Run the cell as Colab or a local kernel would.

    Return the commands it ran (none are executed).
    """
    calls: list[list[str]] = []

    def fake_run(cmd, *args, **kwargs):
        calls.append([str(c) for c in cmd])
        return subprocess.CompletedProcess(cmd, 0)

    for name in ("run", "call", "check_call", "check_output", "Popen"):
        monkeypatch.setattr(subprocess, name, fake_run)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    if on_colab:
        monkeypatch.setitem(
            sys.modules, "google.colab", types.ModuleType("google.colab")
        )
    exec(compile(code, "<colab cell>", "exec"), {"__name__": "__main__"})
    return calls


def test_every_notebook_starts_with_the_same_colab_cell():
    assert NOTEBOOKS
    cells = {nb.name: source(first_code_cell(nb)) for nb in NOTEBOOKS}
    first = source(first_code_cell(NOTEBOOKS[0]))
    assert all(c == first for c in cells.values()), (
        f"the Colab cells differ: {sorted(cells)}"
    )


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_colab_cell_installs_only_on_colab(nb, monkeypatch):
    cell = first_code_cell(nb)
    code = source(cell)
    assert "remove-cell" in cell["metadata"].get("tags", []), (
        "the set-up cell is not hidden from the book"
    )
    tree = ast.parse(code)
    guarded = [s for s in tree.body if isinstance(s, ast.If)]
    assert len(guarded) == 1 and all(
        isinstance(s, (ast.If, ast.Import, ast.ImportFrom)) for s in tree.body
    ), "the cell must do nothing but imports outside its `if` on Colab"
    assert ast.unparse(guarded[0].test) == "'google.colab' in sys.modules"
    # Locally, on Binder and in the book's build: nothing happens.
    assert run_cell(code, monkeypatch, on_colab=False) == []


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_colab_cell_installs_the_pinned_environment_from_the_repository(
    nb, monkeypatch
):
    code = source(first_code_cell(nb))
    urls = [
        n.value
        for n in ast.walk(ast.parse(code))
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and n.value.startswith("https://")
    ]
    assert urls == [REPO_URL], (
        f"the cell's repository {urls} is not _config.yml's {REPO_URL}"
    )
    calls = run_cell(code, monkeypatch, on_colab=True)
    clones = [c for c in calls if c[:2] == ["git", "clone"]]
    installs = [c for c in calls if "pip" in c and "install" in c]
    assert clones and REPO_URL in clones[0], calls
    assert installs and installs[0][-2:] == ["-r", "requirements.txt"], calls
    # requirements.txt installs the helper package too, so `import causalbook`
    # works on Colab
    assert "-e ." in requirement_lines()


# --- Binder == make test -----------------------------------------------------


def test_requirements_are_exact_pins():
    for line in requirement_lines():
        assert line == "-e ." or re.fullmatch(
            r"[A-Za-z0-9_.\[\],-]+==[\w.+!-]+", line
        ), f"not an exact pin: {line}"


def test_binder_reads_only_the_root_files():
    """repo2docker prefers binder/ or .binder/, and environment.yml or Pipfile.

    Either would shadow requirements.txt at the root.
    """
    shadows = [
        "binder",
        ".binder",
        "environment.yml",
        "environment.yaml",
        "Pipfile",
        "Pipfile.lock",
        "setup.py",
        "Project.toml",
    ]
    assert not [s for s in shadows if (ROOT / s).exists()]


def test_runtime_is_the_python_version_of_make_and_of_this_run():
    wanted = (ROOT / ".python-version").read_text().strip()
    assert (ROOT / "runtime.txt").read_text().strip() == f"python-{wanted}"
    makefile = (ROOT / "Makefile").read_text()
    major, minor = wanted.split(".")[:2]
    assert f"sys.version_info[:2] != ({major}, {minor})" in makefile, (
        "the Makefile checks another Python"
    )
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == wanted, (
        "tests run on another Python"
    )


def makefile_rules() -> dict[str, tuple[list[str], str]]:
    """``{target: (prerequisites, recipe)}``: the Makefile's explicit rules."""
    rules: dict[str, tuple[list[str], str]] = {}
    current = None
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("\t") and current:
            rules[current][1].append(line)
            continue
        m = re.match(r"^([\w.$()/-]+)\s*:(?!=)\s*(.*)$", line)
        current = None
        if m:
            current = m.group(1)
            rules[current] = (m.group(2).split(), [])
    return {t: (pre, "\n".join(recipe)) for t, (pre, recipe) in rules.items()}


def apt_packages(recipe: str) -> set[str]:
    pkgs = set()
    for m in re.finditer(
        r"apt-get install((?:\s+-[\w-]+)*)((?:\s+[a-z0-9][a-z0-9.+-]*)+)",
        recipe,
    ):
        pkgs.update(m.group(2).split())
    return pkgs


def test_apt_txt_lists_what_make_setup_installs():
    rules = makefile_rules()
    installed, todo, seen = set(), ["setup"], set()
    while todo:
        target = todo.pop()
        if target in seen or target not in rules:
            continue
        seen.add(target)
        prereqs, recipe = rules[target]
        installed |= apt_packages(recipe)
        todo += prereqs
    apt = {
        line.strip()
        for line in (ROOT / "apt.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert installed, "the Makefile's set-up installs no system package"
    assert apt == installed, (
        f"apt.txt {sorted(apt)} != packages `make setup` installs "
        f"{sorted(installed)}"
    )


def test_apt_packages_are_installed_here():
    if not shutil.which("dpkg-query"):
        pytest.skip("not a Debian system: no dpkg-query to ask")
    for pkg in (ROOT / "apt.txt").read_text().split():
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg],
            capture_output=True,
            text=True,
        )
        assert status.stdout.endswith("installed"), (
            f"{pkg} (apt.txt) is not installed here"
        )


def test_makefile_installs_requirements_txt():
    recipe = makefile_rules()["$(STAMP)"][1]
    assert re.search(r"pip install .*-r requirements\.txt", recipe)


@pytest.mark.parametrize("name,pinned", sorted(pins().items()))
def test_installed_version_is_the_pin(name, pinned):
    try:
        installed = version(name)
    except PackageNotFoundError:
        pytest.fail(
            f"{name}=={pinned} is pinned in requirements.txt but not installed"
        )
    assert installed == pinned
