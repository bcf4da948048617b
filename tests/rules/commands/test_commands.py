from pathlib import Path

import pytest
from changerisk.rules.commands import (
    RULES,
    KubectlDeleteNamespace,
    TerraformAutoApprove,
    TerraformDestroyCommand,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk.api import check, read_change
from changerisk.config import Config
from changerisk.docs import parse_rule_doc
from changerisk.model import Confidence, Severity
from changerisk.parsers.scripts import (
    ci_scripts,
    dockerfile_runs,
    makefile_recipes,
    script_lines_of,
)
from changerisk.parsers.shell import Command, commands
from changerisk.testing import found, run_diff, run_fixture

FIXTURES = Path(__file__).parent / "fixtures"

CASES = [
    # fire
    ("deploy_script_destroy_auto_approve.diff", {("SH101", "scripts/deploy.sh", 8)}),
    ("workflow_apply_auto_approve.diff", {("SH102", ".github/workflows/deploy.yml", 18)}),
    ("gitlab_script_delete_namespace.diff", {("SH103", ".gitlab-ci.yml", 17)}),
    ("makefile_recipe_delete_ns.diff", {("SH103", "Makefile", 11)}),
    ("sudo_destroy_in_pipeline.diff", {("SH101", "scripts/teardown.sh", 6)}),
    ("bash_c_destroy.diff", {("SH101", "scripts/teardown.sh", 6)}),
    ("dockerfile_run_continuation.diff", {("SH102", "deploy/Dockerfile", 6)}),
    ("multiline_auto_approve_added.diff", {("SH101", "scripts/sandbox.sh", 6)}),
    ("circleci_tofu_apply.diff", {("SH102", ".circleci/config.yml", 14)}),
    ("jenkins_sh_destroy.diff", {("SH101", "Jenkinsfile", 8)}),
    ("terragrunt_run_all_destroy.diff", {("SH101", "scripts/teardown.sh", 6)}),
    ("apply_destroy_flag.diff", {("SH101", "scripts/teardown.sh", 6)}),  # not also SH102
    ("kubectl_delete_all_namespaces.diff", {("SH103", "scripts/reset-cluster.sh", 3)}),
    ("oc_delete_project_in_loop.diff", {("SH103", "scripts/cleanup-projects.sh", 3)}),
    ("xargs_delete_namespaces.diff", {("SH103", "scripts/prune-previews.sh", 3)}),
    # near misses
    ("readme_mentions_destroy.diff", set()),  # markdown: not a script format
    ("comment_mentions_destroy.diff", set()),
    ("echo_destroy_string.diff", set()),
    ("plan_destroy.diff", set()),  # only a plan
    ("apply_saved_plan.diff", set()),  # applies the reviewed plan
    ("auto_approve_false.diff", set()),
    ("delete_pod_in_namespace.diff", set()),  # a pod, `get ns`, a dry run
    ("destroy_in_context_unchanged.diff", set()),  # the destroy line is only context
    ("removed_destroy.diff", set()),  # removing a destroy is good news
    ("heredoc_body_mentions_destroy.diff", set()),
    ("github_script_mentions_destroy.diff", set()),  # JavaScript, not shell
    ("release_apply_saved_plan_workflow.diff", set()),
    # A bare diff's text is rebuilt from the hunks alone (a repository gives the whole file):
    # the hunk starts inside `run: |`, whose `run:` key the diff does not show
    ("workflow_run_block_middle.diff", {("SH101", ".github/workflows/nightly.yml", 17)}),
    # the hunk starts inside a heredoc body, whose lines are text, not commands
    ("heredoc_body_middle.diff", set()),
]


@pytest.mark.parametrize(("fixture", "expected"), CASES, ids=[c[0] for c in CASES])
def test_findings(fixture: str, expected: set[tuple[str, str, int]]) -> None:
    assert found(run_fixture(FIXTURES / fixture, rules=RULES)) == expected


WORKFLOW = """\
jobs:
  sandbox:
    steps:
      - name: Reset sandbox
        run: |
          cd infra/sandbox
          terraform init -input=false
          terraform plan -input=false
          echo "planned"
          echo "done"
"""
RUNBOOK = """\
#!/bin/bash
cat > RUNBOOK.md <<'EOF'
1. Log in to the sandbox account.
2. Check the dashboards.
3. Open a ticket.
EOF
"""


def test_a_repository_gives_full_texts_and_closes_the_gaps(git_repo) -> None:
    workflow, runbook = ".github/workflows/nightly.yml", "runbook.sh"
    git_repo.commit("before", files={workflow: WORKFLOW, runbook: RUNBOOK})
    git_repo.write(workflow, WORKFLOW.replace('"planned"\n', '"planned"\n          tofu destroy\n'))
    git_repo.write(runbook, RUNBOOK.replace("ticket.\n", "ticket.\nterraform destroy\n"))
    report = check(read_change(cwd=str(git_repo.path)), Config(), rules=RULES)
    assert found(report) == {("SH101", ".github/workflows/nightly.yml", 10)}


@pytest.mark.parametrize(
    ("fixture", "severity", "confidence", "message"),
    [
        (
            "deploy_script_destroy_auto_approve.diff",
            Severity.CRITICAL,
            Confidence.HIGH,
            "runs terraform destroy: deletes every resource in the workspace without confirmation",
        ),
        (
            "sudo_destroy_in_pipeline.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "runs terraform destroy: deletes every resource in the workspace",
        ),
        (
            "terragrunt_run_all_destroy.diff",
            Severity.CRITICAL,
            Confidence.HIGH,
            "runs terragrunt run-all destroy: deletes every resource of every module under the "
            "directory without confirmation",
        ),
        (
            "apply_destroy_flag.diff",
            Severity.CRITICAL,
            Confidence.HIGH,
            "runs terraform apply -destroy: deletes every resource in the workspace without "
            "confirmation",
        ),
        (
            "workflow_apply_auto_approve.diff",
            Severity.MEDIUM,
            Confidence.MEDIUM,
            "runs terraform apply -auto-approve: applies a plan nobody reviewed to the workspace, "
            "including any replacements and deletes in it",
        ),
        (
            "gitlab_script_delete_namespace.diff",
            Severity.HIGH,
            Confidence.MEDIUM,
            "deletes Kubernetes namespace staging and every object in it",
        ),
        (
            "makefile_recipe_delete_ns.diff",
            Severity.HIGH,
            Confidence.MEDIUM,
            "deletes Kubernetes namespace $(NS) and every object in it",
        ),
        (
            "kubectl_delete_all_namespaces.diff",
            Severity.CRITICAL,
            Confidence.HIGH,
            "deletes every Kubernetes namespace in context kind-dev and every object in them",
        ),
        (
            "oc_delete_project_in_loop.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "deletes OpenShift project ${p#*/} and every object in it",
        ),
        (
            "xargs_delete_namespaces.diff",
            Severity.HIGH,
            Confidence.HIGH,
            "deletes the Kubernetes namespaces xargs reads from its input and every object in them",
        ),
    ],
)
def test_severity_confidence_and_message(
    fixture: str, severity: Severity, confidence: Confidence, message: str
) -> None:
    (finding,) = run_fixture(FIXTURES / fixture, rules=RULES).findings
    assert (finding.severity, finding.confidence, finding.message) == (
        severity,
        confidence,
        message,
    )
    assert finding.hint


def test_evidence_is_the_source_line() -> None:
    (finding,) = run_fixture(FIXTURES / "workflow_apply_auto_approve.diff", rules=RULES).findings
    assert finding.evidence == "run: terraform apply -auto-approve -input=false"


def _script_diff(*added: str, path: str = "scripts/run.sh") -> str:
    body = "".join(f"+{line}\n" for line in added)
    return (
        f"diff --git a/{path} b/{path}\n"
        "new file mode 100755\n"
        "index 0000000..1111111\n"
        "--- /dev/null\n"
        f"+++ b/{path}\n"
        f"@@ -0,0 +1,{len(added)} @@\n"
        f"{body}"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("terraform destroy", {"SH101"}),
        ("tofu destroy -target=aws_db_instance.main", {"SH101"}),
        ("terragrunt destroy", {"SH101"}),
        ("/usr/local/bin/terraform -chdir=infra destroy", {"SH101"}),
        ("terraform apply -destroy=false -auto-approve", {"SH102"}),
        ("terraform plan -destroy", set()),
        ("terraform apply --auto-approve", {"SH102"}),
        ("terraform apply -auto-approve=true", {"SH102"}),
        ("terraform apply -auto-approve -var-file prod.tfvars", {"SH102"}),  # a value, not a plan
        ("terraform apply -auto-approve $PLAN_FILE", set()),
        ("terraform apply -auto-approve plan.out", set()),
        ("terraform apply", set()),
        ("terraform apply -refresh-only -auto-approve", set()),
        ("terragrunt run-all apply --terragrunt-non-interactive", {"SH102"}),
        ("kubectl delete namespaces a b", {"SH103"}),
        ("kubectl delete ns/preview", {"SH103"}),
        ("kubectl -n kube-system delete namespace preview", {"SH103"}),
        ("kubectl delete ns -l preview=true", {"SH103"}),
        ("kubectl delete -n prod pod web-1", set()),
        ("kubectl delete -f namespace.yaml", set()),
        ("kubectl delete ns", set()),  # kubectl refuses: no name
        ("kubectl get ns", set()),
        ("kubectl delete ns x --dry-run=server", set()),
        ("oc delete project review-7", {"SH103"}),
        ("kubectl delete project review-7", set()),  # projects are OpenShift's
        ("command -v terraform", set()),
        ("echo terraform destroy", set()),
        ("printf '%s\\n' 'kubectl delete ns prod'", set()),
    ],
)
def test_command_lines(line: str, expected: set[str]) -> None:
    report = run_diff(_script_diff(line), rules=RULES)
    assert {f.code for f in report.findings} == expected


@pytest.mark.parametrize(
    ("line", "severity"),
    [
        ("terraform destroy -auto-approve", Severity.CRITICAL),
        ("terraform destroy -force", Severity.CRITICAL),
        ("terraform destroy -auto-approve=false", Severity.HIGH),
        ("terraform destroy -target=aws_db_instance.main", Severity.MEDIUM),
        ("terraform destroy -target aws_s3_bucket.logs -auto-approve", Severity.HIGH),
        ("kubectl delete ns staging", Severity.HIGH),
        ("kubectl delete ns --all", Severity.CRITICAL),
        ("kubectl delete ns --all=false -l x=y", Severity.HIGH),
        ("kubectl delete ns staging -A", Severity.CRITICAL),
        ("kubectl delete ns review-$CI_MERGE_REQUEST_IID", Severity.MEDIUM),
        ("kubectl delete ns pr-42 preview-7", Severity.MEDIUM),
        ("kubectl delete ns pr-42 prod", Severity.HIGH),
    ],
)
def test_severity(line: str, severity: Severity) -> None:
    (finding,) = run_diff(_script_diff(line), rules=RULES).findings
    assert finding.severity is severity


def test_targeted_destroy_names_its_targets() -> None:
    diff = _script_diff("terraform destroy -target aws_s3_bucket.logs -auto-approve")
    (finding,) = run_diff(diff, rules=RULES).findings
    assert finding.message == (
        "runs terraform destroy: deletes aws_s3_bucket.logs and everything that depends on it "
        "without confirmation"
    )


def test_hints_name_the_program() -> None:
    diff = _script_diff("tofu destroy -target=a.b -target=c.d", "tofu apply -auto-approve")
    destroy, apply = run_diff(diff, rules=RULES).findings
    assert destroy.message == (
        "runs tofu destroy: deletes a.b, c.d and everything that depends on them"
    )
    assert "(tofu plan -destroy -out)" in destroy.hint
    assert "(tofu apply tfplan)" in apply.hint


def test_each_rule_runs_alone() -> None:
    diff = _script_diff("terraform destroy", "terraform apply -auto-approve", "kubectl delete ns x")
    for rule, line in (
        (TerraformDestroyCommand, 1),
        (TerraformAutoApprove, 2),
        (KubectlDeleteNamespace, 3),
    ):
        assert found(run_diff(diff, rules=[rule])) == {(rule.code, "scripts/run.sh", line)}


def test_non_script_files_are_not_read() -> None:
    diff = _script_diff("terraform destroy -auto-approve", path="docs/runbook.txt")
    assert run_diff(diff, rules=RULES).findings == ()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_examples(rule: type) -> None:
    doc = parse_rule_doc(rule)
    assert doc.summary and doc.why and doc.bad and doc.good
    assert rule.code in {f.code for f in run_diff(doc.bad, rules=[rule]).findings}
    assert run_diff(doc.good, rules=[rule]).findings == ()
    for finding in run_diff(doc.bad, rules=[rule]).findings:
        assert finding.message[0].islower() and not finding.message.endswith(".")
        assert finding.hint


# --- the parser ------------------------------------------------------------------------------


def _argvs(script: str) -> list[tuple[str, ...]]:
    return [c.argv for c in commands(script)]


@pytest.mark.parametrize(
    ("script", "argv", "wrappers"),
    [
        ("sudo -E terraform destroy", ("terraform", "destroy"), ("sudo",)),
        (
            "sudo -u deploy -E env TF_LOG=debug terraform destroy",
            ("terraform", "destroy"),
            ("sudo", "env"),
        ),
        ("env -i PATH=/bin terraform destroy", ("terraform", "destroy"), ("env",)),
        ("time terraform destroy", ("terraform", "destroy"), ("time",)),
        ("nohup terraform destroy &", ("terraform", "destroy"), ("nohup",)),
        ("xargs -n1 -I{} kubectl delete ns {}", ("kubectl", "delete", "ns", "{}"), ("xargs",)),
        ("timeout 30m nice -n 10 tofu destroy", ("tofu", "destroy"), ("timeout", "nice")),
        ("exec terraform apply", ("terraform", "apply"), ("exec",)),
        ("sudo", ("sudo",), ()),
        ("command -v terraform", ("command", "-v", "terraform"), ()),
    ],
)
def test_wrappers_are_stripped(
    script: str, argv: tuple[str, ...], wrappers: tuple[str, ...]
) -> None:
    (command,) = [c for c in commands(script) if c.line == 1][:1]
    assert (command.argv, command.wrappers) == (argv, wrappers)
    assert command.text == script.removesuffix(" &")


def test_quotes_are_removed_and_expansions_kept() -> None:
    (command,) = commands("""kubectl delete ns "review-$ID" 'x y' --label=\"a\" a\\ b ${NS:-dev}""")
    assert command.argv == (
        "kubectl",
        "delete",
        "ns",
        "review-$ID",
        "x y",
        "--label=a",
        "a b",
        "${NS:-dev}",
    )


def test_commands_in_pipelines_lists_and_compound_statements() -> None:
    script = """\
set -e
terraform init && terraform plan || exit 1; echo done
terraform output -json | jq .
(cd infra && terraform destroy)
if [ "$CI" = true ]; then
  kubectl delete ns "$NS"
fi
for d in envs/*; do terraform -chdir="$d" destroy; done
while read -r ns; do kubectl delete ns "$ns"; done < list.txt
teardown() {
  tofu destroy
}
echo "$(terraform output -raw url)"
"""
    got = [(c.line, c.argv) for c in commands(script)]
    assert (2, ("terraform", "init")) in got
    assert (2, ("terraform", "plan")) in got
    assert (2, ("exit", "1")) in got
    assert (3, ("jq", ".")) in got
    assert (4, ("terraform", "destroy")) in got
    assert (6, ("kubectl", "delete", "ns", "$NS")) in got
    assert (8, ("terraform", "-chdir=$d", "destroy")) in got
    assert (9, ("kubectl", "delete", "ns", "$ns")) in got
    assert (11, ("tofu", "destroy")) in got
    assert (13, ("terraform", "output", "-raw", "url")) in got


def test_comments_strings_and_heredoc_bodies_are_not_commands() -> None:
    script = """\
# terraform destroy
echo "terraform destroy"  # terraform destroy
cat <<EOF
terraform destroy
EOF
cat <<'EOF'
$(terraform destroy)
EOF
"""
    assert ("terraform", "destroy") not in _argvs(script)


def test_shell_c_strings_and_heredocs_are_read() -> None:
    script = """\
bash -c "terraform destroy -auto-approve"
sh -ec 'cd infra
tofu destroy'
su - deploy -c "kubectl delete ns old"
bash -s <<'EOF'
  terraform apply -auto-approve
EOF
bash -euo pipefail -c 'terragrunt destroy'
bash deploy.sh terraform destroy
"""
    got = [(c.line, c.argv) for c in commands(script)]
    assert (1, ("terraform", "destroy", "-auto-approve")) in got
    assert (3, ("tofu", "destroy")) in got
    assert (4, ("kubectl", "delete", "ns", "old")) in got
    assert (6, ("terraform", "apply", "-auto-approve")) in got
    assert (8, ("terragrunt", "destroy")) in got
    assert (9, ("terraform", "destroy")) not in got  # arguments to a script file


def test_first_line_offsets_lines() -> None:
    (command,) = commands("terraform destroy \\\n  -auto-approve", first_line=10)
    assert (command.line, command.end_line, list(command.lines)) == (10, 11, [10, 11])


def test_github_expressions_do_not_derail_the_parse() -> None:
    script = "kubectl delete ns ${{ env.NS }}\n! terraform destroy -var=x=${{ secrets.X }}\n"
    assert commands(script) == [
        Command(
            ("kubectl", "delete", "ns", "${{ env.NS }}"), 1, "kubectl delete ns ${{ env.NS }}", 1
        ),
        Command(
            ("terraform", "destroy", "-var=x=${{ secrets.X }}"),
            2,
            "terraform destroy -var=x=${{ secrets.X }}",
            2,
        ),
    ]


def test_ci_scripts_of_github_gitlab_and_circleci() -> None:
    text = """\
jobs:
  deploy:
    steps:
      - run: terraform init
      - run: |
          terraform plan
          terraform apply -auto-approve
      - uses: actions/github-script@v7
        with:
          script: console.log("terraform destroy")
cleanup:
  before_script:
    - "kubectl config use-context dev"
  script:
    - kubectl delete ns a
    - >-
      kubectl delete ns b
circle:
  steps:
    - run:
        name: x
        command: tofu destroy
"""
    assert ci_scripts(text) == [
        ("terraform init", 4),
        ("terraform plan\nterraform apply -auto-approve\n", 6),
        ("kubectl config use-context dev", 13),
        ("kubectl delete ns a", 15),
        ("kubectl delete ns b", 17),
        ("tofu destroy", 22),
    ]


def test_ci_scripts_of_malformed_yaml_is_empty() -> None:
    assert ci_scripts("script: [unclosed\n  - run: x: y: z\n") == []


def test_ci_hunk_rebuilt_from_a_bare_diff_is_scanned_line_by_line() -> None:
    text = "\n\n          node-version: 20\n      - run: npm ci\n      - run: |\n          terraform destroy\n"
    assert script_lines_of({"yaml", "ci", "github-workflow"}, text) == [
        ("npm ci", 4),
        ("terraform destroy\n", 6),
    ]


def test_gitlab_anchors_are_read_once_at_their_definition() -> None:
    text = ".setup: &setup\n  - terraform init\njob:\n  before_script:\n    - *setup\n  script: [make]\n"
    assert ci_scripts(text) == [("terraform init", 2), ("make", 6)]


def test_makefile_recipes() -> None:
    text = (
        "NS ?= dev\nFILES = a \\\n\tb\n\nclean: ## remove\n\t@-kubectl delete ns $(NS)\n"
        "\tterraform destroy \\\n\t  -auto-approve\n\techo $$HOME\n"
    )
    assert makefile_recipes(text) == [
        ("kubectl delete ns $(NS)", 6),
        ("terraform destroy \\\n  -auto-approve", 7),
        ("echo $HOME", 9),
    ]


def test_dockerfile_runs() -> None:
    text = (
        "FROM alpine\nRUN --mount=type=cache,target=/root/.cache apk add curl && \\\n"
        "    # a comment line inside\n    terraform destroy\n"
        'RUN ["sh", "-c", "kubectl delete ns x"]\nRUN <<EOF\ntofu destroy\nEOF\nCMD ["run"]\n'
    )
    scripts = dockerfile_runs(text)
    assert [line for _, line in scripts] == [2, 5, 7]
    argvs = [c.argv for script, line in scripts for c in commands(script, line)]
    assert ("terraform", "destroy") in argvs
    assert ("kubectl", "delete", "ns", "x") in argvs
    assert ("tofu", "destroy") in argvs
    assert [c.line for c in commands(scripts[0][0], 2) if c.argv == ("terraform", "destroy")] == [4]


def test_script_lines_of_dispatches_by_format() -> None:
    assert script_lines_of({"shell"}, "ls\n") == [("ls\n", 1)]
    assert script_lines_of({"markdown"}, "terraform destroy\n") == []
    assert script_lines_of({"ci"}, "node {\n  sh 'make deploy'\n}\n") == [("make deploy", 2)]
    assert script_lines_of({"makefile"}, "a:\n\tmake b\n") == [("make b", 2)]
    assert script_lines_of({"dockerfile"}, "RUN make\n") == [("make", 1)]


# --- hostile input ---------------------------------------------------------------------------

FORMAT_SETS = [
    {"shell"},
    {"yaml", "ci", "github-workflow"},
    {"yaml", "ci"},
    {"ci"},
    {"makefile"},
    {"dockerfile"},
]


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("\x00\x01\xff\ufffd $(( ")
@example('bash -c \'bash -c "bash -c \\"bash -c x\\""\'')
@example("a: &a [*a]\nscript: *a\n")
@example("${{ }}__changerisk_expr_7__ ${{ x }}")
@example("RUN <<EOF\n")
@example("\t\\\n")
@example("[" * 2000)
def test_parsers_never_raise(text: str) -> None:
    for command in commands(text):
        assert command.argv and command.line >= 1
    for formats in FORMAT_SETS:
        for script, line in script_lines_of(formats, text):
            assert line >= 1
            commands(script, line)


def test_non_ascii_that_crashed_the_bash_grammar_is_masked() -> None:
    # "{" followed by U+EFA13 made tree-sitter-bash's scanner read out of bounds (segfault,
    # not every time): non-ASCII text is parsed behind ASCII placeholders and restored after.
    for _ in range(300):
        commands("\x8a{\U000efa13@!N¸\U0006f09f\x1e>")
    (echo, delete) = commands("echo {\U000efa13 é; kubectl delete ns café")
    assert echo.argv == ("echo", "{\U000efa13", "é")
    assert delete.argv == ("kubectl", "delete", "ns", "café")


@pytest.mark.parametrize(
    ("line", "severity", "message"),
    [
        (
            "kubectl delete ns payments --context prod",
            Severity.CRITICAL,
            "deletes Kubernetes namespace payments in context prod and every object in it",
        ),
        (
            "kubectl --context=prd-eu delete namespace orders",
            Severity.CRITICAL,
            "deletes Kubernetes namespace orders in context prd-eu and every object in it",
        ),
        (
            "kubectl delete ns payments --cluster live",
            Severity.CRITICAL,
            "deletes Kubernetes namespace payments in cluster live and every object in it",
        ),
        (
            "kubectl delete ns payments --context staging",
            Severity.HIGH,
            "deletes Kubernetes namespace payments in context staging and every object in it",
        ),
        (  # "products" is no production word
            "kubectl delete ns payments --context products",
            Severity.HIGH,
            "deletes Kubernetes namespace payments in context products and every object in it",
        ),
        (
            "kubectl delete ns --all --context prod",
            Severity.CRITICAL,
            "deletes every Kubernetes namespace in context prod and every object in them",
        ),
    ],
)
def test_a_named_context_is_said_and_production_raises(
    line: str, severity: Severity, message: str
) -> None:
    (finding,) = run_diff(_script_diff(line), rules=RULES).findings
    assert (finding.code, finding.severity, finding.message) == ("SH103", severity, message)


def test_a_production_context_on_a_pod_delete_stays_quiet() -> None:
    assert not run_diff(
        _script_diff("kubectl delete pod web-1 --context prod"), rules=RULES
    ).findings
