"""Every SH rule and command reader on arbitrary input: findings or nothing, never a crash
(a rule that raises stops the run with exit 2)."""

from changerisk.rules.cloud import cloud_deletion
from changerisk.rules.cluster import cluster_deletion
from changerisk.rules.databases import database_wipe, sql_statements
from changerisk.rules.files import docker_wipe, rm_wipe
from changerisk.rules.git_push import force_push
from changerisk.rules.recreate import steps_of
from changerisk.rules.shell import RULES
from changerisk.rules.shell_common import Variables, leading_empty_path, read_options
from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk.parsers.shell import Command
from changerisk.testing import run_diff

PROGRAMS = [
    "aws",
    "gcloud",
    "gsutil",
    "az",
    "pulumi",
    "cdk",
    "cdktf",
    "sam",
    "sls",
    "kubectl",
    "oc",
    "helm",
    "eksctl",
    "dropdb",
    "createdb",
    "mysqladmin",
    "redis-cli",
    "psql",
    "mysql",
    "clickhouse",
    "cockroach",
    "sqlcmd",
    "mongosh",
    "rm",
    "rimraf",
    "docker",
    "docker-compose",
    "git",
    "terraform",
    "tofu",
    "terragrunt",
]
WORDS = st.one_of(
    st.sampled_from(
        [
            "-",
            "--",
            "-f",
            "--force",
            "-n",
            "-rf",
            "--all",
            "-A",
            "delete",
            "destroy",
            "rm",
            "rb",
            "drop",
            "push",
            "volume",
            "prune",
            "uninstall",
            "FLUSHALL",
            "s3://",
            "gs://",
            "/",
            "~",
            "*",
            "$X/",
            "${X:?}",
            "$(X)/",
            ":main",
            "+main",
            "--stack-name",
            "-e",
            "-c",
            "=",
            "sql",
            "instances",
            "group",
            "-y",
            "-q",
            "--eval",
            "ns",
            "pvc",
            "-l",
            "x,y",
            "a/b",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(PROGRAMS), st.lists(WORDS, max_size=8))
@example("git", ["-C"])
@example("kubectl", ["delete", ""])
@example("aws", ["s3", "rm", "--recursive"])
@example("gcloud", ["delete"])
@example("rm", ["-rf", "$"])
def test_readers_never_raise(program: str, args: list[str]) -> None:
    command = Command((program, *args), 1, " ".join((program, *args)))
    variables = Variables(values={"X": ("",)}, guarded=frozenset())
    cloud_deletion(command)
    cluster_deletion(command)
    database_wipe(command)
    rm_wipe(command, variables)
    docker_wipe(command)
    force_push(command)
    steps_of(command)
    read_options(command.argv, valued={"n", "f"}, booleans={"all"}, bundles=False)
    for word in args:
        leading_empty_path(word, variables)
        sql_statements(word)


def _diff(path: str, text: str) -> str:
    lines = text.split("\n")
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


LINES = st.lists(
    st.one_of(
        st.builds(
            lambda p, a: " ".join([p, *a]), st.sampled_from(PROGRAMS), st.lists(WORDS, max_size=6)
        ),
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=30),
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(
        [
            "run.sh",
            "Makefile",
            "Dockerfile",
            ".gitlab-ci.yml",
            ".github/workflows/a.yml",
            "package.json",
            "Jenkinsfile",
        ]
    ),
    LINES,
)
@example("package.json", ['{"scripts": {', '"a": "rm -rf \\"$X/\\""', "}}"])
@example(".gitlab-ci.yml", ["    - git push -f origin main", "  - x"])
def test_every_rule_on_arbitrary_files(path: str, lines: list[str]) -> None:
    report = run_diff(_diff(path, "\n".join(lines)), rules=RULES)
    for finding in report.findings:
        assert finding.message and finding.hint and finding.line >= 1


def test_a_hunk_deep_in_a_large_file_is_read_in_linear_time() -> None:
    # A bare diff rebuilds 60,000 blank lines before the hunk; patterns that let `\s*` run
    # across them once made this quadratic (minutes, not milliseconds).
    for path in ("nvm.sh", ".github/workflows/ci.yml", "Makefile", "Dockerfile"):
        diff = (
            f"diff --git a/{path} b/{path}\nindex 1..2 100644\n--- a/{path}\n+++ b/{path}\n"
            "@@ -60000,2 +60000,3 @@\n   echo start\n+  kubectl delete ns preview\n   echo end\n"
        )
        run_diff(diff, rules=RULES)


SHELL_TEXT = st.lists(
    st.one_of(
        LINES.map("\n".join),
        st.sampled_from(
            [
                'X=1 Y="$(cat f)" cmd "$X"',
                'for i in a b; do rm -rf "$i"; done',
                'f() { local A=$1; kubectl delete ns "$A"; }',
                "echo $(for j in 1 2; do B=$j echo; done) | tee x",
                'if [ -n "$Z" ]; then Z=2; fi; ( cd x && W=3 make )',
                "cat <<EOF\nA=1\nEOF\n",
                "case $x in a) C=1;; *) D=2 rm -f y;; esac",
                "((i++)); [[ $a == b ]] && E=5",
                "{ echo; } || for ((k=0; k<3; k++)); do :; done",
                "unterminated 'quote\nF=1 && for",
            ]
        ),
    ),
    max_size=6,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(SHELL_TEXT)
def test_the_node_walk_finds_what_a_query_finds(script: str) -> None:
    """`_wanted_nodes` walks the tree instead of compiling a query (5 ms against the bash
    grammar): it finds the same nodes, in document order, but for the empty commands error
    recovery makes up (`a |`), which the query matches only sometimes."""
    import tree_sitter

    from changerisk.parsers import shell

    masked, _ = shell._mask_expressions(script)  # as `_parse` does: the scanner is unsafe on
    tree = tree_sitter.Parser(shell._language()).parse(masked.encode())  # non-ASCII text
    query = tree_sitter.Query(
        shell._language(), "(command) @c (variable_assignment) @a (for_statement) @f"
    )
    captures = tree_sitter.QueryCursor(query).captures(tree.root_node)
    walked = shell._wanted_nodes(tree.root_node)
    for nodes, name in zip(walked, ("c", "a", "f"), strict=True):
        assert [(n.start_byte, n.end_byte, n.type) for n in nodes] == sorted(
            (n.start_byte, n.end_byte, n.type)
            for n in captures.get(name, [])
            if n.end_byte > n.start_byte
        )
