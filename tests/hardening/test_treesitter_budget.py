"""Tree-sitter parses run within a time budget: a parse past it is abandoned (None), never a
hang; readers treat such a text as one they cannot read structurally."""

from __future__ import annotations

from changerisk.parsers.guards import surface
from changerisk.parsers.treesitter import parse
from changerisk.testing import found, run_diff


def _python() -> object:
    import tree_sitter
    import tree_sitter_python

    return tree_sitter.Language(tree_sitter_python.language())


def test_a_parse_within_budget_gives_the_tree() -> None:
    tree = parse(_python(), b"def f(x):\n    return x\n")
    assert tree is not None
    assert tree.root_node.type == "module"


def test_a_parse_past_its_budget_is_abandoned() -> None:
    text = b"".join(b"def f%d(x):\n    return [x, (x, {x: x})]\n" % i for i in range(20000))
    assert parse(_python(), text, budget=0.0) is None


def test_readers_return_nothing_for_an_abandoned_parse(monkeypatch) -> None:
    import changerisk.parsers.guards as guards

    monkeypatch.setattr(guards, "parse", lambda language, data: None)
    assert surface("@login_required\ndef view(request):\n    pass\n", "python").guarded == {}


ROUTE = """\
diff --git a/{0} b/{0}
--- a/{0}
+++ b/{0}
@@ -1,3 +1,3 @@
 const express = require("express");
-router.get("/admin", requireAuth, admin);
+router.get("/admin", admin);
 module.exports = router;
"""


def test_vendored_scripts_are_not_read_for_routes() -> None:
    assert found(run_diff(ROUTE.format("app/routes/admin.js"))) == {
        ("AUTH101", "app/routes/admin.js", 2)
    }
    for path in ("app/static/vendor/admin.js", "public/app.min.js", "node_modules/x/r.js"):
        assert found(run_diff(ROUTE.format(path))) == set(), path
