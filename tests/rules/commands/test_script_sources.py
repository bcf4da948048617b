"""The parsers' new sources: package.json scripts, variables, units, program variables, and
the text a bare diff rebuilds from its hunks."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk.inputs import from_diff_bytes
from changerisk.parsers.scripts import (
    declared_variables,
    dockerfile_variables,
    make_targets,
    make_variables,
    package_scripts,
    script_lines_of,
    script_units,
)
from changerisk.parsers.shell import blank_heredoc_tails, commands_of, parse, variables_of

PACKAGE = """\
{
  "name": "web",
  "description": "rm -rf / is not a script",
  "scripts": {
    "clean": "rm -rf dist",
    "nuke": "rm -rf \\"$OUT_DIR/\\" && echo \\"done\\"",
    "db:reset": "dropdb app && createdb app"
  },
  "config": {
    "scripts": "not the top level"
  }
}
"""


def _change(diff: str):
    (change,) = from_diff_bytes(diff.encode(), origin="t.diff", source="diff").files
    return change


def _new_file(path: str, text: str) -> str:
    lines = text.splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def test_package_json_scripts_keep_their_lines() -> None:
    assert package_scripts(PACKAGE) == [
        ("rm -rf dist", 5),
        ('rm -rf "$OUT_DIR/" && echo "done"', 6),
        ("dropdb app && createdb app", 7),
    ]


def test_package_json_without_scripts_or_broken_gives_nothing() -> None:
    assert package_scripts('{"name": "x", "description": "terraform destroy"}') == []
    assert package_scripts("[1, 2]") == []
    assert package_scripts('  "build": "tsc"\n') == []  # no "scripts" block opening in view


def test_package_json_is_read_only_under_that_name() -> None:
    assert script_lines_of({"json"}, PACKAGE, "web/package.json")[0] == ("rm -rf dist", 5)
    assert script_lines_of({"json"}, PACKAGE, "web/tsconfig.json") == []
    assert script_units({"json"}, PACKAGE, "package.json") == [(5, 5), (6, 6), (7, 7)]


def test_package_json_hunk_with_the_scripts_opening_is_read() -> None:
    diff = (
        "diff --git a/package.json b/package.json\nindex 1..2 100644\n--- a/package.json\n"
        '+++ b/package.json\n@@ -4,3 +4,4 @@\n   "scripts": {\n     "build": "tsc",\n'
        '+    "reset": "redis-cli FLUSHALL",\n     "test": "jest"\n'
    )
    change = _change(diff)
    assert [(c.argv, c.line) for c in commands_of(change)] == [
        (("tsc",), 5),
        (("redis-cli", "FLUSHALL"), 6),
        (("jest",), 7),
    ]


def test_shell_assignments_loops_and_reads() -> None:
    script = """\
export A=1 B="$X/y"
local D=${1:?}
C=$(mktemp -d)
for d in a "b c"; do :; done
for e in $(ls); do :; done
for f; do :; done
read -r -p "name? " NAME
arr[0]=x
E=
"""
    got = {(a.name, a.value) for a in parse(script).assignments}
    assert got == {
        ("A", "1"),
        ("B", "$X/y"),
        ("D", "${1:?}"),
        ("C", "$(mktemp -d)"),
        ("d", "a"),
        ("d", "b c"),
        ("e", None),
        ("f", None),
        ("NAME", None),
        ("E", ""),
    }


def test_make_variables_and_targets() -> None:
    text = (
        "TF ?= terraform\nexport NS := review\nOUT = build # where\nSHA != git rev-parse HEAD\n"
        "\nclean:\n\trm -rf $(OUT)\n\n# comment\nreset: clean\n\t$(TF) destroy\nX = 1\n"
    )
    assert make_variables(text) == [
        ("TF", "terraform"),
        ("NS", "review"),
        ("OUT", "build"),
        ("SHA", "git rev-parse HEAD"),
        ("X", "1"),
    ]
    assert make_targets(text) == [(6, 9), (10, 11)]


def test_dockerfile_variables() -> None:
    text = "ARG APP_DIR=/app\nARG TARGET\nENV HOME_DIR /home/app\nENV A=1 B='two words'\n"
    assert dockerfile_variables(text) == [
        ("APP_DIR", "/app"),
        ("TARGET", None),
        ("HOME_DIR", "/home/app"),
        ("A", "1"),
        ("B", "two words"),
    ]


def test_ci_env_variables_and_jobs() -> None:
    text = """\
env:
  OUT: dist
jobs:
  build:
    env:
      CACHE: .cache
    steps:
      - run: make
  deploy:
    steps:
      - run: make deploy
cleanup:
  variables:
    DIR: {value: build, description: where}
  script:
    - rm -rf "$DIR/"
"""
    formats = {"yaml", "ci"}
    assert sorted(declared_variables(formats, text)) == [
        ("CACHE", ".cache"),
        ("DIR", "build"),
        ("OUT", "dist"),
    ]
    assert script_units(formats, text) == [(5, 8), (10, 11), (13, 16)]


def test_program_variables_are_resolved() -> None:
    text = 'TF="${TF:-terraform}"\nKUBECTL="kubectl --context prod"\n$TF destroy\n$KUBECTL delete ns x\n'
    text += "${TOFU:-tofu} destroy\n$UNKNOWN destroy\n"
    change = _change(_new_file("run.sh", text))
    argvs = [c.argv for c in commands_of(change)]
    assert ("terraform", "destroy") in argvs
    assert ("kubectl", "--context", "prod", "delete", "ns", "x") in argvs
    assert ("tofu", "destroy") in argvs
    assert ("$UNKNOWN", "destroy") in argvs


def test_program_variable_with_two_programs_stays_unresolved() -> None:
    text = 'if [ -n "$USE_TOFU" ]; then TF=tofu; else TF=terraform; fi\n$TF destroy\n'
    change = _change(_new_file("run.sh", text))
    assert ("$TF", "destroy") in [c.argv for c in commands_of(change)]


def test_make_program_variable_is_resolved_and_units_are_targets() -> None:
    text = "TF ?= terraform\n\nreset:\n\t$(TF) destroy\n\t$(TF) apply\n\nother:\n\techo\n"
    change = _change(_new_file("Makefile", text))
    got = [(c.argv, c.unit) for c in commands_of(change) if c.argv[0] != "TF"]
    assert got == [(("terraform", "destroy"), 1), (("terraform", "apply"), 1), (("echo",), 2)]
    assert variables_of(change)["TF"] == ("terraform",)


def test_heredoc_tail_at_the_start_of_a_hunk_is_blanked() -> None:
    text = "\n\nline one\nterraform destroy\nEOF\necho ok\ncat <<EOF\nterraform destroy\nEOF\n"
    assert blank_heredoc_tails(text, [(3, 9)]).split("\n")[2:] == [
        "",
        "",
        "",
        "echo ok",
        "cat <<EOF",
        "terraform destroy",
        "EOF",
        "",
    ]


def test_block_body_of_javascript_is_not_read_as_shell() -> None:
    diff = (
        "diff --git a/.github/workflows/a.yml b/.github/workflows/a.yml\nindex 1..2 100644\n"
        "--- a/.github/workflows/a.yml\n+++ b/.github/workflows/a.yml\n@@ -20,2 +20,3 @@ jobs:\n"
        "             const x = context.payload;\n"
        "+            core.notice(`terraform destroy ${x}`);\n"
        "             return x;\n"
    )
    assert commands_of(_change(diff)) == ()


@settings(max_examples=200, deadline=None)
@given(st.text())
@example('{"scripts": {\n"a": "\\u0000"\n}}')
@example('"scripts": {\n  "a": "\\ud800"\n')
def test_new_sources_never_raise(text: str) -> None:
    package_scripts(text)
    make_variables(text)
    make_targets(text)
    dockerfile_variables(text)
    for formats in ({"yaml", "ci"}, {"makefile"}, {"dockerfile"}, {"json"}):
        declared_variables(formats, text)
        script_units(formats, text, "package.json")
    blank_heredoc_tails(text, [(1, 3), (2, 50)])


def test_hunk_inside_a_list_of_commands_is_read() -> None:
    diff = (
        "diff --git a/.gitlab-ci.yml b/.gitlab-ci.yml\nindex 1..2 100644\n--- a/.gitlab-ci.yml\n"
        "+++ b/.gitlab-ci.yml\n@@ -9,2 +9,3 @@ sync:\n     - git fetch upstream\n"
        "     - git reset --hard upstream/main\n+    - git push --force origin HEAD:main\n"
    )
    argvs = [(c.argv[:2], c.line) for c in commands_of(_change(diff))]
    assert argvs == [(("git", "fetch"), 9), (("git", "reset"), 10), (("git", "push"), 11)]


def test_list_items_under_a_visible_key_are_not_read_twice() -> None:
    text = "\n\n  script:\n    - make\n    - make test\n"
    assert script_lines_of({"yaml", "ci"}, text, regions=[(3, 5)]) == [
        ("make", 4),
        ("make test", 5),
    ]


def test_npx_runs_the_package_program() -> None:
    (command,) = parse("npx --yes -p aws-cdk cdk destroy --force").commands
    assert (command.argv, command.wrappers) == (("cdk", "destroy", "--force"), ("npx",))


def test_block_body_of_prose_is_not_read_as_shell() -> None:
    diff = (
        "diff --git a/action.yml b/action.yml\nindex 1..2 100644\n--- a/action.yml\n"
        "+++ b/action.yml\n@@ -5,2 +5,3 @@ inputs:\n"
        "       Removes the preview environment of a pull request.\n"
        "+      helm uninstall is run for the release, then the namespace goes.\n"
        "       Set it to false to keep it.\n"
    )
    assert commands_of(_change(diff)) == ()


def test_ci_jobs_of_yaml_that_does_not_compose_are_read_from_lines() -> None:
    text = (
        "\n\n      - uses: helm/kind-action@v1\n      - run: make e2e\n  deploy:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - run: make deploy\n"
        "cleanup:\n  script:\n    - make clean\n"
    )
    assert script_units({"yaml", "ci"}, text) == [(5, 8), (9, 11)]
