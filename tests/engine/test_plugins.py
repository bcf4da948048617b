"""Rule plugins: a real third-party distribution, and find/load/validate/select on hand-made
entry points; a crashing rule stops the run with one line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from changerisk.errors import PluginError, RuleCrash
from changerisk.model import Category, ChangeSet, FileChange, Finding, Severity
from changerisk.registry import (
    GROUP,
    Plugin,
    all_rules,
    find_plugins,
    load_plugin,
    select_rules,
    validate_rule,
)
from changerisk.rule import Rule
from changerisk.testing import run_diff

PYTHON = Path(sys.executable)
CHANGERISK = str(PYTHON.with_name("changerisk"))
PIP = str(PYTHON.with_name("pip"))

DROP_DIFF = """\
diff --git a/db/reset.sql b/db/reset.sql
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/db/reset.sql
@@ -0,0 +1,2 @@
+-- nightly
+DROP EVERYTHING;
"""

ACME_RULES = '''\
"""Acme's changerisk rules."""

from collections.abc import Iterator

from changerisk.rule import Category, FileChange, Finding, Rule, Severity


class DropEverything(Rule):
    """An added line asks the database to drop everything.

    ## Why it matters
    Every table goes, with its data.

    ## Bad
    ```diff
    +DROP EVERYTHING;
    ```

    ## Good
    ```diff
    +DROP TABLE scratch;
    ```
    """

    code = "ACME001"
    name = "drop-everything"
    category = Category.DESTRUCTIVE
    severity = Severity.HIGH

    def check(self, change: FileChange) -> Iterator[Finding]:
        for line in change.added_lines:
            if "DROP EVERYTHING" in line.text and line.new_no is not None:
                yield self.finding(
                    change, line.new_no, "drops every table and its data", hint="drop one table"
                )


RULES = (DropEverything,)
'''


# --- a real distribution, installed with pip --------------------------------------------------


def build_distribution(root: Path, name: str, prefix: str, module: str, source: str) -> Path:
    project = root / name
    project.mkdir()
    (project / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{name}"
            version = "1.2.3"

            [project.entry-points."changerisk.rules"]
            {prefix} = "{module}:RULES"

            [tool.setuptools]
            py-modules = ["{module}"]
            """
        ),
        encoding="utf-8",
    )
    (project / f"{module}.py").write_text(source, encoding="utf-8")
    return project


def pip_install(project: Path, site: Path) -> None:
    proc = subprocess.run(
        [PIP, "install", "--quiet", "--no-deps", "--target", str(site), str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def run_changerisk(site: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHANGERISK, *argv],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(site)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_third_party_plugin(tmp_path: Path) -> None:
    site = tmp_path / "site"
    pip_install(build_distribution(tmp_path, "acme-rules", "ACME", "acme_rules", ACME_RULES), site)
    assert (site / "acme_rules-1.2.3.dist-info").is_dir()
    work = tmp_path / "work"
    work.mkdir()
    (work / "change.diff").write_text(DROP_DIFF, encoding="utf-8")

    rules = run_changerisk(site, work, "rules")
    assert rules.returncode == 0, rules.stderr
    assert any(
        line.split()[:2] == ["ACME001", "drop-everything"] for line in rules.stdout.splitlines()
    )
    assert "TF101" in rules.stdout  # the built-in rules are still there

    check = run_changerisk(site, work, "check", "change.diff", "--format", "json")
    assert check.returncode == 1, check.stderr
    report = json.loads(check.stdout)
    assert [(f["code"], f["path"], f["line"]) for f in report["findings"]] == [
        ("ACME001", "db/reset.sql", 2)
    ]
    assert report["findings"][0]["message"] == "drops every table and its data"

    ignored = run_changerisk(site, work, "check", "change.diff", "--ignore", "ACME")
    assert ignored.returncode == 0, ignored.stderr

    explain = run_changerisk(site, work, "explain", "ACME001")
    assert explain.returncode == 0
    assert explain.stdout.startswith("# ACME001 drop-everything")


@pytest.mark.slow
def test_third_party_plugin_that_fails_to_import(tmp_path: Path) -> None:
    site = tmp_path / "site"
    broken = "import acme_missing_dependency\nRULES = ()\n"
    pip_install(build_distribution(tmp_path, "acme-broken", "ACMEB", "acme_broken", broken), site)
    result = run_changerisk(site, tmp_path, "rules")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "changerisk: error: plugin ACMEB from acme-broken 1.2.3 failed to load: "
        "ModuleNotFoundError: No module named 'acme_missing_dependency'\n"
    )


# --- hand-made entry points ---------------------------------------------------------------


def entry_points(
    tmp_path: Path, dist: str, version: str, points: dict[str, str]
) -> list[metadata.EntryPoint]:
    """Entry points of a distribution described by a dist-info folder (so `.dist` is set)."""
    info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = "".join(f"{name} = {value}\n" for name, value in points.items())
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{lines}", encoding="utf-8")
    return list(metadata.PathDistribution(info).entry_points)


def bare(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group=GROUP)


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write importable modules into tmp_path; they are forgotten after the test."""
    folder = tmp_path / "modules"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    written: list[str] = []

    def write(name: str, source: str) -> None:
        (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        written.append(name)

    yield write
    for name in written:
        sys.modules.pop(name, None)


RULE_SOURCE = """\
from changerisk.rule import Category, Rule, Severity


def make(code, name="some-pattern"):
    return type(
        "R" + code,
        (Rule,),
        {{
            "__doc__": "A test rule.",
            "code": code,
            "name": name,
            "category": Category.DESTRUCTIVE,
            "severity": Severity.LOW,
        }},
    )


RULES = {rules}
"""


@pytest.mark.parametrize("name", ["acme", "1A", "TOOLONG", "AC-ME", ""], ids=repr)
def test_invalid_prefix(name: str) -> None:
    with pytest.raises(PluginError, match="must be a code prefix of 1-5 capital letters"):
        find_plugins([bare(name, "acme_rules:RULES")])


def test_invalid_prefix_names_the_distribution(tmp_path: Path) -> None:
    points = entry_points(tmp_path, "acme-rules", "2.0", {"acme": "acme_rules:RULES"})
    with pytest.raises(PluginError) as info:
        find_plugins(points)
    assert str(info.value).startswith("plugin 'acme' from acme-rules 2.0: ")


def test_find_plugins_sorts_and_records_the_distribution(tmp_path: Path) -> None:
    points = entry_points(tmp_path, "acme-rules", "2.0", {"ZED": "z:RULES", "ACME": "a:RULES"})
    plugins = find_plugins(points)
    assert [(p.prefix, p.distribution, p.version) for p in plugins] == [
        ("ACME", "acme-rules", "2.0"),
        ("ZED", "acme-rules", "2.0"),
    ]
    assert [(p.prefix, p.distribution, p.version) for p in find_plugins([bare("X", "x:R")])] == [
        ("X", "unknown", "?")
    ]


def test_the_same_entry_point_twice_is_one_plugin() -> None:
    """A distribution seen twice on sys.path is not a conflict."""
    assert len(find_plugins([bare("ACME", "a:RULES"), bare("ACME", "a:RULES")])) == 1


def test_a_prefix_claimed_by_two_distributions(tmp_path: Path) -> None:
    (one,) = entry_points(tmp_path, "one", "1", {"TF": "one:RULES"})
    (two,) = entry_points(tmp_path, "two", "1", {"TF": "two:RULES"})
    with pytest.raises(PluginError, match="code prefix TF is claimed by both one and two"):
        find_plugins([one, two])


def test_the_installed_plugins_include_the_built_in_families() -> None:
    prefixes = {p.prefix for p in find_plugins()}
    assert {"TF", "INT", "CRIT"} <= prefixes


def test_plugin_that_fails_to_import(tmp_path: Path) -> None:
    (point,) = entry_points(tmp_path, "acme-rules", "2.0", {"ACME": "acme_no_such_module:RULES"})
    (plugin,) = find_plugins([point])
    with pytest.raises(PluginError) as info:
        load_plugin(plugin)
    assert str(info.value) == (
        "plugin ACME from acme-rules 2.0 failed to load: "
        "ModuleNotFoundError: No module named 'acme_no_such_module'"
    )


def test_plugin_that_raises_on_import(tmp_path: Path, modules) -> None:
    modules("acme_raises", "raise RuntimeError('missing licence key')\n")
    (point,) = entry_points(tmp_path, "acme-rules", "2.0", {"ACME": "acme_raises:RULES"})
    with pytest.raises(PluginError, match="failed to load: RuntimeError: missing licence key"):
        all_rules(find_plugins([point]))


def test_plugin_without_the_named_attribute(modules) -> None:
    modules("acme_empty", "")
    with pytest.raises(PluginError, match=re.escape("plugin ACME from unknown ? failed to load")):
        load_plugin(find_plugins([bare("ACME", "acme_empty:RULES")])[0])


def test_code_must_match_the_prefix(modules) -> None:
    modules("acme_wrong", RULE_SOURCE.format(rules='(make("TF999"),)'))
    (plugin,) = find_plugins([bare("ACME", "acme_wrong:RULES")])
    with pytest.raises(PluginError, match=r"rule TF999 .*code does not start with prefix ACME"):
        load_plugin(plugin)


def test_duplicate_codes_in_one_plugin(modules) -> None:
    modules("acme_dup", RULE_SOURCE.format(rules='(make("ACME001"), make("ACME001", "other"))'))
    with pytest.raises(PluginError, match="rule code ACME001 is defined twice"):
        all_rules(find_plugins([bare("ACME", "acme_dup:RULES")]))


def test_a_single_rule_instead_of_a_tuple(modules) -> None:
    modules("acme_one", RULE_SOURCE.format(rules='make("ACME001")'))
    (rule,) = load_plugin(find_plugins([bare("ACME", "acme_one:RULES")])[0])
    assert rule.code == "ACME001"


def test_all_rules_sorted_across_plugins(modules) -> None:
    modules("acme_b", RULE_SOURCE.format(rules='(make("BB002"), make("BB001", "first"))'))
    modules("acme_a", RULE_SOURCE.format(rules='(make("AA001"),)'))
    plugins = find_plugins([bare("BB", "acme_b:RULES"), bare("AA", "acme_a:RULES")])
    assert [r.code for r in all_rules(plugins)] == ["AA001", "BB001", "BB002"]


def _rule(**overrides: object) -> type[Rule]:
    attrs: dict[str, object] = {
        "__doc__": "A test rule.",
        "code": "ACME001",
        "name": "some-pattern",
        "category": Category.DESTRUCTIVE,
        "severity": Severity.LOW,
    }
    attrs.update(overrides)
    return type("Candidate", (Rule,), attrs)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (object, "is not a changerisk Rule subclass"),
        ("TF101", "is not a changerisk Rule subclass"),
        (_rule(code="ACME01"), "code 'ACME01' is not PREFIX + 3 digits"),
        (_rule(code="acme001"), "is not PREFIX + 3 digits"),
        (_rule(name="Some_Pattern"), "is not a kebab-case pattern name"),
        (_rule(name="use-moved-blocks"), "is not a kebab-case pattern name"),
        (_rule(category="destructive"), "category must be a changerisk Category"),
        (_rule(severity=4), "severity must be a changerisk Severity"),
        (_rule(__doc__=None), "needs a docstring with a summary line"),
        (_rule(scope="repository"), "scope must be 'file' or 'changeset'"),
    ],
    ids=[
        "not-a-class",
        "a-string",
        "short-code",
        "lowercase-code",
        "name-case",
        "banned-name",
        "category",
        "severity",
        "no-doc",
        "scope",
    ],
)
def test_validate_rule(rule: object, words: str) -> None:
    with pytest.raises(PluginError, match=re.escape(words)):
        validate_rule(rule)


def test_validate_rule_accepts_a_good_rule() -> None:
    validate_rule(_rule(), Plugin("ACME", "acme-rules", "1", "a:RULES"))


# --- select / ignore ----------------------------------------------------------------------

CODES = ["TF101", "TF102", "TF201", "INT101", "INT102"]
RULES = [_rule(code=code) for code in CODES]


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        ([], [], CODES),
        (["ALL"], [], CODES),
        (["TF"], [], ["TF101", "TF102", "TF201"]),
        (["TF"], ["TF101"], ["TF102", "TF201"]),
        (["TF101"], ["TF"], ["TF101"]),
        (["TF1"], ["TF102"], ["TF101"]),
        (["TF"], ["TF"], []),  # a tie goes to ignore
        (["ALL"], ["INT"], ["TF101", "TF102", "TF201"]),
        (["INT101"], ["ALL"], ["INT101"]),
        ([], ["ALL"], []),
        ([], ["TF1"], ["TF201", "INT101", "INT102"]),
        (["INT", "TF201"], [], ["TF201", "INT101", "INT102"]),
        (["NOPE"], [], []),
    ],
    ids=lambda v: ",".join(v) or "-",
)
def test_select_rules(select: list[str], ignore: list[str], expected: list[str]) -> None:
    chosen = select_rules(RULES, select, ignore)
    assert [r.code for r in chosen] == expected


# --- a rule that crashes ------------------------------------------------------------------


class Crashing(Rule):
    """A rule that fails on every file."""

    code = "ACME999"
    name = "always-crashing"
    category = Category.DESTRUCTIVE
    severity = Severity.LOW

    def check(self, change: FileChange) -> Iterator[Finding]:
        raise KeyError("type")


class CrashingLater(Crashing):
    """A rule that yields a finding and then fails."""

    code = "ACME998"

    def check(self, change: FileChange) -> Iterator[Finding]:
        yield self.finding(change, 1, "finds something")
        raise ValueError("bad state")


class CrashingOnTheChange(Crashing):
    """A changeset rule that fails."""

    code = "ACME997"
    scope = "changeset"

    def check_changeset(self, changeset: object) -> Iterator[Finding]:
        raise ZeroDivisionError("division by zero")


@pytest.mark.parametrize(
    ("rule", "where", "error"),
    [
        (Crashing, "db/reset.sql", "KeyError: 'type'"),
        (CrashingLater, "db/reset.sql", "ValueError: bad state"),
        (CrashingOnTheChange, "the change", "ZeroDivisionError: division by zero"),
    ],
    ids=["at-once", "after-a-finding", "changeset"],
)
def test_crashing_rule_raises_rule_crash(rule: type[Rule], where: str, error: str) -> None:
    with pytest.raises(RuleCrash) as info:
        run_diff(DROP_DIFF, rules=[rule])
    crash = info.value
    assert (crash.code, crash.path) == (rule.code, where)
    assert str(crash) == f"rule {rule.code} crashed on {where}: {error} (--debug for details)"


def test_crashing_rule_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from changerisk.cli.main import main

    from changerisk import api

    monkeypatch.setattr(api, "rules_for", lambda changeset: [*all_rules(), Crashing])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "change.diff").write_text(DROP_DIFF, encoding="utf-8")
    code = main(["check", "change.diff", "--select", "TF,ACME"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err == (
        "changerisk: error: rule ACME999 crashed on db/reset.sql: KeyError: 'type' "
        "(--debug for details)\n"
    )
    assert main(["check", "change.diff", "--select", "TF"]) == 0  # not selected: not run


def test_crashing_plugin_through_the_cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    modules,
) -> None:
    """The whole path: entry point -> load -> validate -> select -> run -> one line, exit 2."""
    from changerisk.cli.main import main

    modules(
        "acme_crash",
        """\
        from changerisk.rule import Category, Rule, Severity


        class Crash(Rule):
            \"\"\"Crashes.\"\"\"

            code = "ACME001"
            name = "crashing-rule"
            category = Category.DESTRUCTIVE
            severity = Severity.LOW

            def check(self, change):
                return {}["type"]


        RULES = (Crash,)
        """,
    )
    points = entry_points(tmp_path, "acme-rules", "2.0", {"ACME": "acme_crash:RULES"})
    real = metadata.entry_points

    def patched(**params: object) -> object:
        found = real(**params)  # type: ignore[arg-type]
        return [*found, *points] if params.get("group") == GROUP else found

    monkeypatch.setattr(metadata, "entry_points", patched)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "change.diff").write_text(DROP_DIFF, encoding="utf-8")
    assert main(["rules"]) == 0
    assert "ACME001" in capsys.readouterr().out
    assert main(["check", "change.diff"]) == 2
    assert capsys.readouterr().err == (
        "changerisk: error: rule ACME001 crashed on db/reset.sql: KeyError: 'type' "
        "(--debug for details)\n"
    )
    assert main(["--debug", "check", "change.diff"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_builtin_formats_table_matches_the_rules() -> None:
    """registry.BUILTIN_FORMATS lets the hook skip importing families a change cannot
    concern: for each listed family it must be the union of its rules' formats, and no
    listed family may have a rule for every file (empty formats)."""
    from changerisk.registry import BUILTIN, BUILTIN_FORMATS, find_plugins, load_plugin

    for plugin in find_plugins():
        if plugin.distribution != BUILTIN or plugin.prefix not in BUILTIN_FORMATS:
            continue
        rules = load_plugin(plugin)
        assert all(rule.formats for rule in rules), plugin.prefix
        union = frozenset().union(*(rule.formats for rule in rules))
        assert union == BUILTIN_FORMATS[plugin.prefix], plugin.prefix


def _changeset(path: str, line: str) -> ChangeSet:
    from changerisk.inputs import from_diff_bytes

    diff = (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        f"@@ -1,1 +1,1 @@\n-old\n+{line}\n"
    )
    return from_diff_bytes(diff.encode(), origin="test.diff", source="diff")


def test_rules_for_skips_families_of_other_formats() -> None:
    from changerisk.registry import all_rules, rules_for

    every = {rule.code for rule in all_rules()}
    markdown = {rule.code for rule in rules_for(_changeset("README.md", "text"))}
    assert "CRIT102" in markdown and "SHAPE101" in markdown
    assert not any(code.startswith(("TF", "SQL", "K8S")) for code in markdown)
    terraform = _changeset("main.tf", 'resource "aws_s3_bucket" "b" { acl = "private" }')
    assert {rule.code for rule in rules_for(terraform)} >= {"TF101", "NET103"}
    assert markdown < every
