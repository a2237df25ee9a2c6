"""Sphinx extension: the student edition, every exercise solution removed.

sphinx-exercise's own ``hide_solutions = True`` does not handle gated
solutions (``solution-start`` / ``solution-end``): the start directive
vanishes but the content up to the end marker stays on the page, and the
build fails on the leftover end node. This transform runs right after
sphinx-exercise has merged each gated pair into one solution node (its
transforms have priority 10) and removes those nodes, content and all.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx_exercise.nodes import solution_node


class RemoveSolutions(SphinxTransform):
    """Remove every solution (plain or gated).

    Only when the ``student_edition`` config value is true.
    """

    # after sphinx_exercise.transforms.MergeGatedSolutions (10)
    default_priority = 11

    def apply(self, **kwargs: Any) -> None:
        if not self.config.student_edition:
            return
        for node in list(self.document.findall(solution_node)):
            node.parent.remove(node)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_exercise")
    app.add_config_value("student_edition", False, "env")
    app.add_transform(RemoveSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
