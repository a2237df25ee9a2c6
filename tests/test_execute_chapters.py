"""``tools/execute_chapters.py``: the execution cache follows the helpers.

The cache keys on the chapters' code cells only; a change to ``causalbook``
or to the pinned environment must clear it, so that no page keeps outputs
that the current helpers would not produce.
"""

from __future__ import annotations

import shutil
import sys

import nbformat
import pytest
from conftest import ROOT
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

sys.path.insert(0, str(ROOT / "tools"))
from execute_chapters import check_helpers, helpers_fingerprint  # noqa: E402


@pytest.fixture
def root(tmp_path):
    """A copy of the repository's helper sources and pins."""
    shutil.copytree(ROOT / "causalbook", tmp_path / "causalbook")
    shutil.copy(ROOT / "requirements.txt", tmp_path / "requirements.txt")
    return tmp_path


def test_fingerprint_follows_helpers_and_pins(root):
    before = helpers_fingerprint(root)
    assert helpers_fingerprint(root) == before
    models = root / "causalbook" / "models.py"
    models.write_text(models.read_text() + "\n# edited\n")
    after_edit = helpers_fingerprint(root)
    assert after_edit != before
    (root / "requirements.txt").write_text("numpyro==0.0.1\n")
    assert helpers_fingerprint(root) != after_edit
    # a new module counts too
    models.write_text(models.read_text().removesuffix("\n# edited\n"))
    (root / "causalbook" / "extra.py").write_text("X = 1\n")
    assert helpers_fingerprint(root) not in (before, after_edit)


def cache_one(cache, tmp_path):
    """Put one executed notebook into the cache."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    stage = cache.add_nb_to_project(str(path))
    cache.cache_notebook_bundle(
        CacheBundleIn(nb, stage.uri), check_validity=False, overwrite=True
    )
    assert len(cache.list_cache_records()) == 1


def test_cache_cleared_when_helpers_change(tmp_path):
    cache = get_cache(str(tmp_path / ".jupyter_cache"))
    stamp = tmp_path / ".jupyter_cache.helpers"
    # an empty cache: nothing to clear; the stamp is written
    assert not check_helpers(cache, stamp)
    assert stamp.read_text().strip() == helpers_fingerprint()
    cache_one(cache, tmp_path)
    # same helpers: the cached chapter stays
    assert not check_helpers(cache, stamp)
    assert len(cache.list_cache_records()) == 1
    # helpers changed since the chapter was cached: cleared
    stamp.write_text("an older fingerprint\n")
    assert check_helpers(cache, stamp)
    assert cache.list_cache_records() == []
    assert stamp.read_text().strip() == helpers_fingerprint()
    # records without a stamp (a cache from before the stamp): cleared
    cache_one(cache, tmp_path)
    stamp.unlink()
    assert check_helpers(cache, stamp)
    assert cache.list_cache_records() == []
