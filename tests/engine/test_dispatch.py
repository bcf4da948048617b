"""The engine picks the per-file rules that want a file by its formats: the rules it runs, in
their order, are those whose `wants` says yes (a rule's own `wants` is asked)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.engine import _Wanting
from changerisk.model import Category, FileChange, Severity, Status
from changerisk.registry import all_rules
from changerisk.rule import Rule

FORMATS = ["python", "yaml", "terraform", "kubernetes", "sql", "shell"]


def make_rule(index: int, formats: frozenset[str], own: bool) -> type[Rule]:
    def wants(self: Rule, change: FileChange) -> bool:  # e.g. only files under deploy/
        return change.path.startswith("deploy/")

    body: dict[str, object] = {
        "code": f"TST{index:03d}",
        "name": f"test-rule-{index}",
        "category": Category.ACCESS,
        "severity": Severity.LOW,
        "formats": formats,
        "__doc__": "A test rule.",
    }
    if own:
        body["wants"] = wants
    return type(f"Rule{index}", (Rule,), body)


RULES = st.lists(
    st.tuples(st.frozensets(st.sampled_from(FORMATS), max_size=2), st.booleans()),
    max_size=8,
)
CHANGES = st.tuples(
    st.frozensets(st.sampled_from(FORMATS), max_size=3),
    st.booleans(),
    st.sampled_from(["app/x.py", "deploy/y.yaml"]),
)


@settings(max_examples=300)
@given(RULES, st.lists(CHANGES, min_size=1, max_size=4))
def test_the_rules_picked_are_the_rules_that_want_the_file(
    specs: list[tuple[frozenset[str], bool]], changes: list[tuple[frozenset[str], bool, str]]
) -> None:
    rules = [make_rule(i, formats, own)() for i, (formats, own) in enumerate(specs)]
    wanting = _Wanting(rules)
    for formats, binary, path in changes:
        change = FileChange(path, path, Status.MODIFIED, formats=formats, is_binary=binary)
        assert wanting.rules_for(change) == [r for r in rules if r.wants(change)]


def test_the_built_in_rules_are_picked_as_they_want() -> None:
    rules = [rule() for rule in all_rules() if rule.scope == "file"]
    wanting = _Wanting(rules)
    formats = {f for rule in rules for f in rule.formats}
    for name in sorted(formats):
        for binary in (False, True):
            change = FileChange("a", "a", Status.MODIFIED, formats=frozenset({name}))
            change.is_binary = binary
            assert wanting.rules_for(change) == [r for r in rules if r.wants(change)]
