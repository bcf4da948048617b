"""The JSON report matches its published schema (changerisk/data/report.schema.json)."""

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from changerisk.rules.critical import RULES as CRIT
from changerisk.rules.integrity import RULES as INT
from changerisk.rules.terraform import RULES as TF

from changerisk.config import parse_config
from changerisk.report.json import render
from changerisk.testing import run_diff

SCHEMA = json.loads(resources.files("changerisk").joinpath("data/report.schema.json").read_text())
TF101 = Path(__file__).parent.parent / "rules" / "terraform" / "tf101"


def _validate(text: str) -> dict:
    data = json.loads(text)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    return data


def test_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("fixture", sorted(p.name for p in TF101.glob("*.diff")))
def test_reports_match_schema(fixture: str) -> None:
    config = parse_config({"critical-paths": [{"paths": ["infra/"], "owners": ["@infra"]}]})
    report = run_diff(
        (TF101 / fixture).read_text(), rules=(*TF, *CRIT, *INT), config=config, ai_assisted=True
    )
    data = _validate(render(report))
    assert data["schema_version"] == "1.0"
    assert data["level"] == report.level
    assert len(data["findings"]) == len(report.findings)


def test_suppressed_findings_carry_their_reason() -> None:
    diff = (
        "diff --git a/infra/db.tf b/infra/db.tf\n"
        "index 1111111..2222222 100644\n"
        "--- a/infra/db.tf\n+++ b/infra/db.tf\n"
        "@@ -1,4 +1,3 @@\n"
        ' provider "aws" {}\n'
        '-resource "aws_db_instance" "legacy" {\n'
        "-}\n"
        "+# changerisk: ignore[TF101] retired in OPS-42, final snapshot taken\n"
        ' output "x" {}\n'
    )
    report = run_diff(diff, rules=(*TF, *INT))
    data = _validate(render(report))
    assert data["suppressed"][0]["code"] == "TF101"
    assert "OPS-42" in data["suppressed"][0]["reason"]


def test_empty_change_is_level_none() -> None:
    report = run_diff("", rules=TF)
    data = _validate(render(report))
    assert (data["level"], data["score"], data["findings"], data["files_checked"]) == (
        "none",
        0,
        [],
        0,
    )
