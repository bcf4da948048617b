"""SARIF 2.1.0: valid against the official OASIS schema, stable fingerprints, the verdict."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from changerisk.docs import builtin_rules, parse_rule_doc
from changerisk.model import Category, Finding, Severity
from changerisk.report import Report, Suppressed
from changerisk.report.sarif import render, sarif_log, to_uri
from changerisk.testing import run_diff

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO.parent / "shared" / "data" / "sarif-schema-2.1.0.json"
EXAMPLES = sorted((REPO / "examples").glob("*.diff"))
TF101 = sorted((REPO / "tests" / "rules" / "terraform" / "tf101").glob("*.diff"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    if not SCHEMA_PATH.is_file():
        pytest.skip(
            f"the official SARIF schema is not at {SCHEMA_PATH} (shared/data beside the repo)"
        )
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _sarif(report: Report) -> dict:
    return json.loads(render(report, builtin_rules()))


@pytest.mark.parametrize("diff", [*EXAMPLES, *TF101], ids=lambda p: p.name)
def test_valid_against_the_official_schema(validator, diff: Path) -> None:
    report = run_diff(diff.read_text(encoding="utf-8"))
    log = _sarif(report)
    validator.validate(log)
    (run,) = log["runs"]
    assert len(run["results"]) == len(report.findings) + len(report.suppressed)


def test_empty_change_is_valid(validator) -> None:
    log = _sarif(run_diff(""))
    validator.validate(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["properties"]["level"] == "none"


def test_results_name_rule_path_line_and_level() -> None:
    report = run_diff((REPO / "examples" / "mixed-change.diff").read_text())
    run = _sarif(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    got = {
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["level"],
        )
        for r in run["results"]
    }
    assert got == {
        ("TF101", "infra/queues.tf", 1, "error"),
        ("SH101", "scripts/reset-env.sh", 7, "error"),
        ("SH201", "scripts/reset-env.sh", 7, "error"),
        ("SH102", "scripts/reset-env.sh", 8, "warning"),
        ("CRIT102", "services/payments/checkout.py", 7, "note"),
    }
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%"
        assert not location["uri"].startswith(("/", "a/", "b/"))
    sh101 = next(r for r in run["results"] if r["ruleId"] == "SH101")
    assert sh101["message"]["text"].startswith("runs terraform destroy: ")
    assert "Hint: destroy from a reviewed plan" in sh101["message"]["text"]
    assert sh101["locations"][0]["physicalLocation"]["region"]["snippet"]["text"] == (
        "terraform destroy -auto-approve"
    )


def test_run_properties_hold_the_verdict() -> None:
    report = run_diff((REPO / "examples" / "terraform-prod-database.diff").read_text())
    props = _sarif(report)["runs"][0]["properties"]
    assert (props["level"], props["tier"], props["score"]) == (
        report.level,
        report.tier,
        report.score,
    )
    assert props["blocking"] is True and props["failOn"] == "high"
    assert props["reasons"] == list(report.reasons)


def test_rule_descriptors_carry_the_docs() -> None:
    report = run_diff((REPO / "examples" / "iam-wildcard.diff").read_text())
    rules = {r["id"]: r for r in _sarif(report)["runs"][0]["tool"]["driver"]["rules"]}
    assert set(report.rules_run) <= set(rules)
    iam = rules["IAM101"]
    rule = next(r for r in builtin_rules() if r.code == "IAM101")
    doc = parse_rule_doc(rule)
    assert iam["name"] == "iam-wildcard-action"
    assert iam["shortDescription"]["text"] == doc.summary
    assert iam["fullDescription"]["text"] == doc.why
    assert "## Bad" in iam["help"]["markdown"] and "## Good" in iam["help"]["markdown"]
    assert doc.bad.strip().splitlines()[0] in iam["help"]["markdown"]
    assert iam["defaultConfiguration"]["level"] == "error"
    assert iam["properties"]["tags"] == ["changerisk", "access"]


def _finding(**kw) -> Finding:
    base = dict(
        code="TF101",
        name="terraform-resource-removed",
        category=Category.DESTRUCTIVE,
        severity=Severity.CRITICAL,
        path="infra/db.tf",
        line=3,
        message="destroys aws_db_instance.main on the next apply",
        evidence='resource "aws_db_instance" "main" {',
    )
    base.update(kw)
    return Finding(**base)


def _report(*findings: Finding, suppressed: tuple[Suppressed, ...] = ()) -> Report:
    return Report(
        level="critical",
        score=95,
        tier="senior + owner",
        reasons=("level critical",),
        findings=findings,
        ai_assisted=False,
        fail_on="high",
        source="diff",
        description="test.diff",
        files_checked=1,
        suppressed=suppressed,
    )


def _prints(report: Report) -> list[str]:
    return [
        r["partialFingerprints"]["changerisk/v1"] for r in sarif_log(report)["runs"][0]["results"]
    ]


def test_fingerprints_survive_lines_moving() -> None:
    before = _prints(_report(_finding(line=3)))
    after = _prints(_report(_finding(line=40)))
    assert before == after
    other = _prints(_report(_finding(message="destroys aws_db_instance.replica on the next apply")))
    assert other != before


def test_fingerprints_tell_repeats_apart() -> None:
    prints = _prints(_report(_finding(line=3), _finding(line=9)))
    assert len(set(prints)) == 2


def test_removed_text_points_where_it_stood_in_the_new_file() -> None:
    finding = _finding(side="old", line=12, anchor=7)
    (result,) = sarif_log(_report(finding))["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
    assert result["properties"]["oldLine"] == 12 and result["properties"]["side"] == "old"


def test_suppressed_findings_are_results_with_a_justification(validator) -> None:
    item = Suppressed(_finding(), "retired in OPS-42, final snapshot taken")
    log = sarif_log(_report(suppressed=(item,)))
    validator.validate(log)
    (result,) = log["runs"][0]["results"]
    assert result["suppressions"] == [
        {"kind": "inSource", "justification": "retired in OPS-42, final snapshot taken"}
    ]


def test_rule_missing_from_the_rule_list_is_still_described(validator) -> None:
    finding = _finding(code="ACME001", name="acme-thing", severity=Severity.MEDIUM)
    log = sarif_log(_report(finding), rules=())
    validator.validate(log)
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    assert (rule["id"], rule["defaultConfiguration"]["level"]) == ("ACME001", "warning")


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("infra/db.tf", "infra/db.tf"),
        ("infra/my db.tf", "infra/my%20db.tf"),
        ("infra/#1.tf", "infra/%231.tf"),
        ("infra/café.tf", "infra/caf%C3%A9.tf"),
        ("infra/100%.tf", "infra/100%25.tf"),
    ],
)
def test_paths_are_uri_references(validator, path: str, uri: str) -> None:
    assert to_uri(path) == uri
    validator.validate(sarif_log(_report(replace(_finding(), path=path))))


def test_sign_off_is_valid_and_carried(validator) -> None:
    from changerisk.config import parse_config
    from changerisk.forge import parse_reviews
    from changerisk.gate import SignoffInputs
    from changerisk.team import Author

    diff = (REPO / "examples" / "terraform-prod-database.diff").read_text(encoding="utf-8")
    config = parse_config({"team": {"people": {"@lead": "senior", "dev@acme.io": "mid"}}})
    reviews = parse_reviews('[{"user": {"login": "lead"}, "state": "APPROVED"}]', "r.json")
    report = run_diff(
        diff,
        config=config,
        ai_assisted=True,
        signoff=SignoffInputs(
            authors=(Author("dev@acme.io", "--author"),),
            description="Rollback: restore the snapshot",
            description_source="pull request description",
            reviews=tuple(reviews),
        ),
    )
    log = _sarif(report)
    validator.validate(log)
    (run,) = log["runs"]
    pol = [r for r in run["results"] if r["ruleId"] == "POL101"]
    assert len(pol) == 1 and "locations" not in pol[0]
    assert pol[0]["properties"]["about"] == "pull request description"
    assert run["properties"]["approvals"] == [
        {"identity": "@lead", "source": "review", "counted": True, "note": ""}
    ]
    assert run["properties"]["missingApprovals"] == list(report.missing_approvals)
    assert run["properties"]["approvalsChecked"] is True
    assert run["properties"]["authors"] == [{"identity": "dev@acme.io", "level": "mid"}]
