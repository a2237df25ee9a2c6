"""The GitHub workflow that tests and publishes the book.

actionlint (with shellcheck on the scripts) must pass on every workflow, and
must fail on a broken one; the workflow must do what README.md promises: test
every pull request and push, and publish from main only, with GitHub's own
Pages actions, deriving the repository from ``_config.yml``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from test_launch import makefile_rules

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = ROOT / ".venv" / "bin" / "actionlint"
MAIN_PUSH = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def actionlint() -> str:
    found = shutil.which("actionlint") or (
        str(ACTIONLINT) if ACTIONLINT.exists() else None
    )
    if found is None:
        pytest.fail("actionlint is missing: `make actionlint` installs it")
    return found


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


@pytest.fixture(scope="module")
def workflow() -> dict:
    assert WORKFLOWS, "no workflow in .github/workflows"
    return load(ROOT / ".github" / "workflows" / "book.yml")


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def uses(job: dict) -> list[str]:
    return [s["uses"].split("@")[0] for s in steps(job) if "uses" in s]


def runs(job: dict) -> str:
    return "\n".join(s.get("run", "") for s in steps(job))


def test_actionlint_passes_on_every_workflow():
    result = subprocess.run(
        [actionlint(), *map(str, WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The lint is not blind: a typo in an expression and a job that needs
    a job that does not exist both fail."""
    (tmp_path / ".git").mkdir()
    broken = tmp_path / ".github" / "workflows" / "book.yml"
    broken.parent.mkdir(parents=True)
    text = (ROOT / ".github" / "workflows" / "book.yml").read_text()
    text = text.replace("needs: test", "needs: tests", 1)
    text = text.replace("github.event_name", "github.event_nmae", 1)
    broken.write_text(text)
    result = subprocess.run(
        [actionlint(), str(broken)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "tests" in result.stdout and "event_nmae" in result.stdout


def test_actionlint_is_the_pinned_one():
    pin = re.search(
        r"^ACTIONLINT_PIN := ([\w-]+)==(\S+)$",
        (ROOT / "Makefile").read_text(),
        re.M,
    )
    assert pin, "no ACTIONLINT_PIN in the Makefile"
    assert version(pin.group(1)) == pin.group(2)
    assert "actionlint" in makefile_rules()["lint"][0]


def test_every_pull_request_and_push_runs_make_test(workflow):
    on = workflow["on"]
    assert "pull_request" in on and "push" in on
    assert on["push"] is None or "branches" not in on["push"]
    test = workflow["jobs"]["test"]
    assert "make test" in runs(test)
    assert "if" not in test
    make_test = next(s for s in steps(test) if s.get("run") == "make test")
    assert "if" not in make_test
    assert test.get("timeout-minutes", 0) <= 90


def test_publishing_only_from_main_with_the_pages_actions(workflow):
    jobs = workflow["jobs"]
    test = jobs["test"]
    assert "actions/configure-pages" in uses(test)
    assert "actions/upload-pages-artifact" in uses(test)
    upload = next(
        s
        for s in steps(test)
        if s.get("uses", "").startswith("actions/upload-pages-artifact")
    )
    assert upload["with"]["path"] == "_build/site"
    assert "make site" in runs(test)
    for step in steps(test):
        if "pages" in step.get("uses", "") or step.get("run") == "make site":
            assert step["if"] == "env.PUBLISH == 'true'"
    assert test["env"]["PUBLISH"] == "${{ " + MAIN_PUSH + " }}"
    deploy = jobs["deploy"]
    assert deploy["if"] == MAIN_PUSH and deploy["needs"] == "test"
    assert uses(deploy) == ["actions/deploy-pages"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert workflow["permissions"] == {"contents": "read"}


def test_site_layout_the_workflow_publishes():
    """The book at the root, the student edition under student/, each with
    its slides/ and pdf/ (links the pages use)."""
    prereqs, recipe = makefile_rules()["site"]
    assert {"book", "book-student", "slides", "pdf"} <= set(prereqs)
    assert "_build/site/student" in recipe
    assert "cp -RL _build/html _build/site" in recipe


def test_student_branch_is_updated_from_main(workflow):
    job = workflow["jobs"]["student-branch"]
    assert job["if"] == MAIN_PUSH and job["needs"] == "test"
    assert job["permissions"] == {"contents": "write"}
    script = runs(job)
    branch = re.search(
        r"^STUDENT_BRANCH := (\S+)$", (ROOT / "Makefile").read_text(), re.M
    ).group(1)
    assert f"git checkout -B {branch}" in script
    assert f"git push --force origin {branch}" in script
    assert "student-notebooks" in script
    # the student branch's own pushes do not start the workflow again
    assert branch in workflow["on"]["push"]["branches-ignore"]


def test_the_repository_is_named_in_one_place(workflow):
    """Nothing in the workflows names the repository: it is derived from
    _config.yml, and a run that publishes checks it is this one."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"]
    owner = url.rstrip("/").split("/")[-2]
    for path in WORKFLOWS:
        text = path.read_text()
        assert url not in text and f"{owner}/" not in text, path
    check = next(
        s
        for s in steps(workflow["jobs"]["test"])
        if "_config.yml" in s.get("name", "")
    )
    assert "GITHUB_REPOSITORY" in check["run"]
