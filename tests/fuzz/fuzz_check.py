"""A longer fuzz run of the whole check, by hand: python tests/fuzz/fuzz_check.py [EXAMPLES]

Generates diffs from real snippets of every format the rules read (Terraform, YAML manifests,
CloudFormation, SQL, shell, Makefiles, Dockerfiles, CI workflows, Python and TypeScript), mutated
by hypothesis (lines dropped, duplicated, cut, bytes flipped, random text inserted), wraps them
as added, deleted and modified files, and runs every rule on them. The only outcomes allowed
are a report or a one-line InputError; anything else is a failure, printed with its input.
The suite runs a short version of this (tests/fuzz/test_fuzz.py); this script runs it long.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SNIPPETS = {
    "infra/main.tf": 'resource "aws_db_instance" "db" {\n  engine = "postgres"\n  lifecycle {\n'
    "    prevent_destroy = true\n  }\n}\nmoved {\n  from = aws_s3_bucket.a\n  to = aws_s3_bucket.b\n}\n"
    'module "vpc" {\n  source = "./vpc"\n  count = var.on ? 1 : 0\n}\n'
    'data "aws_iam_policy_document" "p" {\n  statement {\n    actions = ["*"]\n  }\n}\n',
    "k8s/app.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n"
    "  namespace: prod\nspec:\n  replicas: 0\n  selector:\n    matchLabels: {app: db}\n"
    "  volumeClaimTemplates:\n    - metadata: {name: data}\n---\napiVersion: v1\n"
    "kind: Namespace\nmetadata:\n  name: payments\n  labels: &l {a: b}\n  annotations: *l\n",
    "chart/templates/pvc.yaml": "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n"
    "  name: {{ .Release.Name }}-data\n{{- if .Values.keep }}\n  annotations:\n"
    "    helm.sh/resource-policy: keep\n{{- end }}\n",
    "cfn/db.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Db:\n"
    "    Type: AWS::RDS::DBInstance\n    DeletionPolicy: Retain\n    Properties:\n"
    "      DBInstanceIdentifier: !Sub '${AWS::StackName}-db'\n      Engine: postgres\n",
    "db/migrations/V2__x.sql": "DROP TABLE users CASCADE;\nALTER TABLE t DROP COLUMN c;\n"
    "CREATE INDEX i ON t (c);\nDELETE FROM t;\nDO $$ BEGIN PERFORM 1; END $$;\n"
    "ALTER TABLE t RENAME COLUMN a TO b;\n",
    "scripts/reset.sh": "#!/bin/sh\nset -e\nTF=terraform\n$TF destroy -auto-approve \\\n"
    "  -var env=prod\nkubectl --context prod delete ns payments\npsql <<SQL\nDROP DATABASE x;\n"
    'SQL\nrm -rf "$DIR/"\ngit push -f origin main\naws rds delete-db-instance --db-instance-identifier x\n',
    "Makefile": "reset:\n\tterraform destroy -auto-approve\n\tterraform apply\nclean:\n\trm -rf build\n",
    "Dockerfile": "FROM alpine\nRUN rm -rf / && \\\n    dropdb prod\nENV X=1\n",
    ".github/workflows/ci.yml": "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
    "    steps:\n      - run: |\n          terraform destroy -auto-approve\n"
    "          terraform apply -auto-approve\n",
    "app/migrations/0002_x.py": "from django.db import migrations\n\n\nclass Migration("
    "migrations.Migration):\n    operations = [\n        migrations.RemoveField('user', 'email'),\n"
    "        migrations.RunSQL('DROP TABLE x'),\n    ]\n",
    "lib/stack.ts": "new s3.Bucket(this, 'Logs', {\n  removalPolicy: RemovalPolicy.DESTROY,\n"
    "  autoDeleteObjects: true,\n});\n",
    "iam/policy.json": '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}\n',
    "package.json": '{"scripts": {"reset": "terraform destroy -auto-approve && terraform apply"}}\n',
}


def _mutate(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "cut", "insert", "indent", "chars"]))
        if op == "drop":
            del lines[at]
        elif op == "dup":
            lines.insert(at, lines[at])
        elif op == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif op == "insert":
            lines.insert(at, draw(st.text(max_size=40)).replace("\n", " ").replace("\r", " "))
        elif op == "indent":
            lines[at] = " " * draw(st.integers(0, 9)) + lines[at].lstrip()
        else:
            chars = list(lines[at])
            if chars:
                chars[draw(st.integers(0, len(chars) - 1))] = draw(
                    st.sampled_from("{}[]\"'$`\\#:-|&*!")
                )
            lines[at] = "".join(chars)
    return "\n".join(lines)


@st.composite
def diffs(draw: st.DrawFn) -> str:
    parts = []
    for path in draw(
        st.lists(st.sampled_from(sorted(SNIPPETS)), min_size=1, max_size=3, unique=True)
    ):
        old = SNIPPETS[path] if draw(st.booleans()) else ""
        old = _mutate(draw, old) if old else old
        new = _mutate(draw, SNIPPETS[path]) if draw(st.booleans()) else ""
        parts.append(_file_diff(path, old, new))
    return "".join(parts)


def _file_diff(path: str, old: str, new: str) -> str:
    import difflib

    a = [line + "\n" for line in old.split("\n")] if old else []
    b = [line + "\n" for line in new.split("\n")] if new else []
    body = list(difflib.unified_diff(a, b, n=3))[2:]
    if not body:
        return ""
    src = "/dev/null" if not a else f"a/{path}"
    dst = "/dev/null" if not b else f"b/{path}"
    mode = "new file mode 100644\n" if not a else "deleted file mode 100644\n" if not b else ""
    return f"diff --git a/{path} b/{path}\n{mode}--- {src}\n+++ {dst}\n" + "".join(body)


def check_one(text: str) -> None:
    from changerisk.errors import InputError
    from changerisk.testing import run_diff

    if not text:
        return
    with contextlib.suppress(InputError):
        run_diff(text)


def run(examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(diffs())
    def fuzz(text: str) -> None:
        check_one(text)

    fuzz()


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    run(count)
    print(f"fuzz_check: {count} generated diffs, every one a report or a one-line input error")
