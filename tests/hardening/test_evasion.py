"""Evasion resistance: the risky change dressed differently is still caught.

Each row is one variant of a risky change: files before, files after, the code that must fire
on it. Variants reformat (one-line HCL blocks, JSON syntax, flow-style YAML, quoted keys,
anchors), rewrap (shell continuations, heredocs), prefix (`sudo`, `env`, `command`, `time`),
respell (long and short flags, upper- and lower-case SQL, comments inside statements) or move
(a resource renamed in one file and re-added in another). Known limits are listed in LIMITS
with the reason (documented in the rule), and tested as strict xfails.
`python -m pytest tests/hardening/test_evasion.py -q` reports caught (passed) and known
limits (xfailed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import pytest

if TYPE_CHECKING:
    from conftest import GitRepo


class Variant(NamedTuple):
    code: str
    name: str
    before: dict[str, str]
    after: dict[str, str]


DB = 'resource "aws_db_instance" "orders" {\n  engine = "postgres"\n  instance_class = "db.t3.micro"\n}\n'
KEEP = 'resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n'


def script(*lines: str, path: str = "scripts/reset.sh") -> tuple[dict[str, str], dict[str, str]]:
    return {path: "#!/bin/sh\nset -e\n"}, {path: "#!/bin/sh\nset -e\n" + "\n".join(lines) + "\n"}


def workflow(command: str) -> tuple[dict[str, str], dict[str, str]]:
    head = "on: push\njobs:\n  reset:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
    return {".github/workflows/reset.yml": head}, {
        ".github/workflows/reset.yml": head + f"      - run: |\n          {command}\n"
    }


def sql(
    statement: str, path: str = "migrations/V2__change.sql"
) -> tuple[dict[str, str], dict[str, str]]:
    create = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
    return {"migrations/V1__init.sql": create}, {
        "migrations/V1__init.sql": create,
        path: statement + "\n",
    }


def v(code: str, name: str, change: tuple[dict[str, str], dict[str, str]]) -> Variant:
    return Variant(code, name, *change)


NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n"
SELECTOR_OLD = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  selector:\n"
    "    matchLabels:\n      app: api\n  template:\n    metadata:\n      labels:\n        app: api\n"
    "    spec:\n      containers:\n        - name: api\n          image: api:1\n"
)
POLICY_STAR = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
)
POLICY_LIST = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}'

VARIANTS: list[Variant] = [
    # TF101: a stateful resource destroyed
    v("TF101", "block deleted", ({"infra/db.tf": DB + KEEP}, {"infra/db.tf": KEEP})),
    v(
        "TF101",
        "one-line block",
        (
            {"infra/db.tf": 'resource "aws_db_instance" "orders" { engine = "postgres" }\n'},
            {"infra/db.tf": ""},
        ),
    ),
    v(
        "TF101",
        "odd spacing and comments",
        (
            {
                "infra/db.tf": '# db\nresource   "aws_db_instance"\t"orders"   {\n  /* engine */ engine="postgres"\n}\n'
                + KEEP
            },
            {"infra/db.tf": KEEP},
        ),
    ),
    v(
        "TF101",
        "commented out",
        ({"infra/db.tf": DB}, {"infra/db.tf": "".join("# " + ln + "\n" for ln in DB.splitlines())}),
    ),
    v("TF101", "block comment", ({"infra/db.tf": DB}, {"infra/db.tf": "/*\n" + DB + "*/\n"})),
    v("TF101", "file deleted", ({"infra/db.tf": DB, "infra/q.tf": KEEP}, {"infra/q.tf": KEEP})),
    v(
        "TF101",
        "tf.json",
        (
            {
                "infra/db.tf.json": '{"resource": {"aws_db_instance": {"orders": {"engine": "postgres"}}}}\n'
            },
            {"infra/db.tf.json": '{"resource": {}}\n'},
        ),
    ),
    v(
        "TF105",
        "count set to zero",
        ({"infra/db.tf": DB}, {"infra/db.tf": DB.replace("{\n", "{\n  count = 0\n", 1)}),
    ),
    # TF101 also reports a rename without a moved block (same module, other file)
    v(
        "TF101",
        "renamed in another file",
        (
            {"infra/db.tf": DB, "infra/q.tf": KEEP},
            {"infra/db.tf": "", "infra/q.tf": KEEP + DB.replace('"orders"', '"orders_v2"')},
        ),
    ),
    v(
        "TF101",
        "renamed in place",
        ({"infra/db.tf": DB}, {"infra/db.tf": DB.replace('"orders"', '"main"')}),
    ),
    # TF103: replacement forced by an attribute
    v(
        "TF103",
        "engine changed",
        ({"infra/db.tf": DB}, {"infra/db.tf": DB.replace('"postgres"', '"mysql"')}),
    ),
    v(
        "TF103",
        "engine changed, reformatted",
        (
            {"infra/db.tf": DB},
            {
                "infra/db.tf": 'resource "aws_db_instance" "orders" {\n  instance_class="db.t3.micro"\n  engine="mysql"\n}\n'
            },
        ),
    ),
    # TF104: safety guards
    v(
        "TF104",
        "skip_final_snapshot",
        (
            {"infra/db.tf": DB},
            {"infra/db.tf": DB.replace("}\n", "  skip_final_snapshot = true\n}\n")},
        ),
    ),
    v(
        "TF104",
        "deletion_protection false, one line",
        (
            {"infra/db.tf": DB.replace("}\n", "  deletion_protection = true\n}\n")},
            {
                "infra/db.tf": 'resource "aws_db_instance" "orders" { engine = "postgres"\n  instance_class = "db.t3.micro"\n  deletion_protection = false }\n'
            },
        ),
    ),
    v(
        "TF104",
        "prevent_destroy removed",
        (
            {
                "infra/db.tf": DB.replace(
                    "}\n", "  lifecycle {\n    prevent_destroy = true\n  }\n}\n"
                )
            },
            {"infra/db.tf": DB},
        ),
    ),
    # SH101: terraform destroy
    v("SH101", "plain", script("terraform destroy")),
    v("SH101", "sudo", script("sudo terraform destroy")),
    v("SH101", "env prefix", script("env TF_LOG=debug terraform destroy")),
    v("SH101", "command prefix", script("command terraform destroy")),
    v("SH101", "time prefix", script("time terraform destroy")),
    v("SH101", "line continuation", script("terraform \\", "  destroy \\", "  -auto-approve")),
    v("SH101", "-chdir", script("terraform -chdir=infra/prod destroy")),
    v("SH101", "apply -destroy", script("terraform apply -destroy -auto-approve")),
    v("SH101", "quoted program", script('"terraform" destroy')),
    v("SH101", "program in a variable", script("TF=terraform", "$TF destroy")),
    v("SH101", "OpenTofu", script("tofu destroy")),
    v("SH101", "after &&", script("cd infra && terraform destroy -auto-approve")),
    v("SH101", "in a subshell", script("(cd infra; terraform destroy)")),
    v("SH101", "in a CI run block", workflow("terraform destroy -auto-approve")),
    v(
        "SH101",
        "in a Makefile",
        (
            {"Makefile": "all:\n\techo ok\n"},
            {"Makefile": "all:\n\techo ok\n\nreset:\n\tterraform destroy -auto-approve\n"},
        ),
    ),
    # SH103: kubectl delete namespace
    v("SH103", "namespace", script("kubectl delete namespace payments")),
    v("SH103", "ns short", script("kubectl delete ns payments")),
    v("SH103", "ns/name", script("kubectl delete ns/payments")),
    v("SH103", "global flag first", script("kubectl --context prod delete namespace payments")),
    v("SH103", "plural", script("kubectl delete namespaces payments")),
    # SH104: cloud deletes
    v(
        "SH104",
        "aws rds",
        script("aws rds delete-db-instance --db-instance-identifier orders --skip-final-snapshot"),
    ),
    v(
        "SH104",
        "aws global flag first",
        script("aws --region eu-west-1 rds delete-db-instance --db-instance-identifier orders"),
    ),
    v("SH104", "gcloud sql", script("gcloud sql instances delete orders --quiet")),
    # SH106 / SH107 / SH108
    v("SH106", "dropdb", script("dropdb orders")),
    v("SH106", "psql -c DROP", script('psql "$DATABASE_URL" -c "DROP DATABASE orders"')),
    v("SH106", "psql heredoc", script("psql <<SQL", "DROP TABLE users;", "SQL")),
    v("SH107", "rm -rf /", script("rm -rf /")),
    v("SH107", "rm long flags", script("rm --recursive --force /")),
    v("SH107", "empty variable", script('rm -rf "$BUILD_DIR/"')),
    v("SH108", "force push main", script("git push --force origin main")),
    v("SH108", "short flag", script("git push -f origin main")),
    v("SH108", "refspec +", script("git push origin +HEAD:main")),
    # SH201: delete then recreate
    v(
        "SH201",
        "destroy then apply",
        script("terraform destroy -auto-approve", "terraform apply -auto-approve"),
    ),
    v(
        "SH201",
        "one line",
        script("terraform destroy -auto-approve && terraform apply -auto-approve"),
    ),
    # SQL
    v("SQL101", "DROP TABLE", sql("DROP TABLE users;")),
    v("SQL101", "lower case", sql("drop table users;")),
    v("SQL101", "comment inside", sql("DROP /* old */ TABLE users;")),
    v("SQL101", "split over lines", sql('DROP\n  TABLE\n  IF EXISTS\n  "users";')),
    v("SQL101", "schema-qualified, CASCADE", sql("DROP TABLE public.users CASCADE;")),
    v("SQL102", "DROP COLUMN", sql("ALTER TABLE users DROP COLUMN email;")),
    v("SQL102", "without COLUMN", sql("alter table users drop email;")),
    v("SQL102", "quoted", sql('ALTER TABLE "users" DROP COLUMN "email";')),
    v("SQL103", "TRUNCATE", sql("TRUNCATE users;")),
    v("SQL103", "truncate table", sql("truncate table users;")),
    v("SQL103", "DELETE without WHERE", sql("DELETE FROM users;")),
    v("SQL103", "delete, comment", sql("delete /* all */ from users;")),
    # MIG
    v(
        "MIG101",
        "Alembic drop_table",
        (
            {"alembic/versions/1_init.py": "def upgrade():\n    pass\n"},
            {
                "alembic/versions/1_init.py": "def upgrade():\n    pass\n",
                "alembic/versions/2_drop.py": "from alembic import op\n\n\ndef upgrade():\n    op.drop_table('users')\n\n\ndef downgrade():\n    pass\n",
            },
        ),
    ),
    v(
        "MIG101",
        "Rails drop_table",
        (
            {"db/schema.rb": ""},
            {
                "db/schema.rb": "",
                "db/migrate/20240101000000_drop_users.rb": "class DropUsers < ActiveRecord::Migration[7.1]\n  def change\n    drop_table :users\n  end\nend\n",
            },
        ),
    ),
    v(
        "MIG102",
        "Django RemoveField keywords",
        (
            {"app/migrations/0001_initial.py": ""},
            {
                "app/migrations/0001_initial.py": "",
                "app/migrations/0002_remove.py": "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [('app', '0001_initial')]\n    operations = [\n        migrations.RemoveField(model_name='user', name='email'),\n    ]\n",
            },
        ),
    ),
    # K8S
    v("K8S101", "namespace deleted", ({"k8s/ns.yaml": NS}, {})),
    v(
        "K8S101",
        "flow style",
        ({"k8s/ns.yaml": "{apiVersion: v1, kind: Namespace, metadata: {name: payments}}\n"}, {}),
    ),
    v(
        "K8S101",
        "quoted keys",
        (
            {
                "k8s/ns.yaml": '"apiVersion": v1\n"kind": "Namespace"\n"metadata":\n  "name": payments\n'
            },
            {},
        ),
    ),
    v(
        "K8S101",
        "JSON manifest",
        (
            {
                "k8s/ns.json": '{"apiVersion": "v1", "kind": "Namespace", '
                '"metadata": {"name": "payments"}}\n'
            },
            {},
        ),
    ),
    v(
        "K8S101",
        "one document of several",
        (
            {"k8s/all.yaml": NS + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"},
            {"k8s/all.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"},
        ),
    ),
    v(
        "K8S201",
        "selector changed",
        (
            {"k8s/api.yaml": SELECTOR_OLD},
            {
                "k8s/api.yaml": SELECTOR_OLD.replace(
                    "app: api\n  template", "app: api-v2\n  template"
                )
            },
        ),
    ),
    # IAM
    v(
        "IAM101",
        "policy file",
        ({"iam/deploy.json": POLICY_LIST}, {"iam/deploy.json": POLICY_STAR}),
    ),
    v(
        "IAM101",
        "Action as a list",
        (
            {"iam/deploy.json": POLICY_LIST},
            {"iam/deploy.json": POLICY_STAR.replace('"Action": "*"', '"Action": ["*"]')},
        ),
    ),
    v(
        "IAM101",
        "jsonencode",
        (
            {
                "infra/iam.tf": 'resource "aws_iam_policy" "p" {\n  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" }]\n  })\n}\n'
            },
            {
                "infra/iam.tf": 'resource "aws_iam_policy" "p" {\n  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]\n  })\n}\n'
            },
        ),
    ),
    v(
        "IAM101",
        "heredoc JSON",
        (
            {
                "infra/iam.tf": 'resource "aws_iam_policy" "p" {\n  policy = <<EOF\n'
                + POLICY_LIST
                + "\nEOF\n}\n"
            },
            {
                "infra/iam.tf": 'resource "aws_iam_policy" "p" {\n  policy = <<EOF\n'
                + POLICY_STAR
                + "\nEOF\n}\n"
            },
        ),
    ),
    v(
        "IAM101",
        "policy document data source",
        (
            {
                "infra/iam.tf": 'data "aws_iam_policy_document" "p" {\n  statement {\n    actions   = ["s3:GetObject"]\n    resources = ["*"]\n  }\n}\n'
            },
            {
                "infra/iam.tf": 'data "aws_iam_policy_document" "p" {\n  statement {\n    actions   = ["*"]\n    resources = ["*"]\n  }\n}\n'
            },
        ),
    ),
    v(
        "IAM101",
        "NotAction",
        (
            {"iam/deploy.json": POLICY_LIST},
            {
                "iam/deploy.json": POLICY_LIST.replace(
                    '"Action": ["s3:GetObject"]', '"NotAction": ["iam:*"]'
                )
            },
        ),
    ),
    # CFN
    v(
        "CFN101",
        "JSON template",
        (
            {
                "cfn/db.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres"}}, "Q": {"Type": "AWS::SQS::Queue"}}}\n'
            },
            {
                "cfn/db.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}\n'
            },
        ),
    ),
    v(
        "CFN101",
        "YAML with short tags",
        (
            {
                "cfn/db.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      DBName: !Ref Name\n  Q:\n    Type: AWS::SQS::Queue\n"
            },
            {
                "cfn/db.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"
            },
        ),
    ),
]

# Variants no rule catches yet, each with the reason (none today); a strict xfail each.
LIMITS: dict[tuple[str, str], str] = {}


def _id(variant: Variant) -> str:
    return f"{variant.code}:{variant.name}"


PARAMS = [
    pytest.param(
        variant,
        id=_id(variant),
        marks=[pytest.mark.xfail(strict=True, reason=LIMITS[variant.code, variant.name])]
        if (variant.code, variant.name) in LIMITS
        else [],
    )
    for variant in VARIANTS
]


@pytest.mark.parametrize("variant", PARAMS)
def test_variant_is_caught(git_repo: GitRepo, run_cli, variant: Variant) -> None:
    git_repo.commit("before", {"README.md": "x\n", **variant.before})
    for name in variant.before:
        if name not in variant.after:
            git_repo.remove(name)
    for name, text in variant.after.items():
        git_repo.write(name, text)
    result = run_cli("check", "--format", "json", "--fail-on", "none")
    assert result.code == 0, result.err
    codes = {code for code, _, _ in result.found()}
    assert variant.code in codes, f"{_id(variant)} missed; found {sorted(codes)}"
