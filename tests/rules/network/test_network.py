"""NET101 ingress-open-to-internet and NET102 database-publicly-accessible."""

import difflib

import pytest
from changerisk.rules.network import DatabasePublic, IngressOpenToInternet

from changerisk.model import Severity
from changerisk.testing import run_diff

RULES = [IngressOpenToInternet, DatabasePublic]


def diff(path: str, old: str | None, new: str | None, context: int = 50) -> str:
    """A `git diff`-shaped unified diff of two texts (None: the file is absent)."""
    before = (old or "").splitlines(keepends=True)
    after = (new or "").splitlines(keepends=True)
    head = f"diff --git a/{path} b/{path}\n"
    if old is None:
        head += "new file mode 100644\n"
    source = f"a/{path}" if old is not None else "/dev/null"
    target = f"b/{path}" if new is not None else "/dev/null"
    return head + "".join(difflib.unified_diff(before, after, source, target, n=context))


def run(text: str) -> list[tuple[str, str, int, str, Severity]]:
    report = run_diff(text, rules=RULES)
    return [(f.code, f.path, f.line, f.message, f.severity) for f in report.findings]


SG = """resource "aws_security_group" "bastion" {
  name   = "bastion"
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.20.0.0/16"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


def test_ssh_opened_to_the_internet() -> None:
    new = SG.replace('["10.20.0.0/16"]', '["10.20.0.0/16", "0.0.0.0/0"]')
    assert run(diff("infra/bastion.tf", SG, new)) == [
        (
            "NET101",
            "infra/bastion.tf",
            9,
            "opens port 22 (SSH) to the whole internet (0.0.0.0/0) on aws_security_group.bastion",
            Severity.CRITICAL,
        )
    ]


@pytest.mark.parametrize(
    ("ports", "what", "severity"),
    [
        ((3389, 3389, "tcp"), "port 3389 (RDP)", Severity.CRITICAL),
        ((5432, 5432, "tcp"), "port 5432 (PostgreSQL)", Severity.CRITICAL),
        ((0, 0, "-1"), "every port", Severity.CRITICAL),
        ((0, 65535, "tcp"), "every tcp port", Severity.CRITICAL),
        (
            (1000, 7000, "tcp"),
            "ports 1000-7000, among them 1433 (SQL Server), 1521 (Oracle), "
            "2049 (NFS), 2375 (the Docker API) and 10 more",
            Severity.CRITICAL,
        ),
        ((8080, 8080, "tcp"), "port 8080", Severity.MEDIUM),
    ],
)
def test_ranked_by_port(ports: tuple[int, int, str], what: str, severity: Severity) -> None:
    low, high, protocol = ports
    new = f"""resource "aws_security_group_rule" "app_in" {{
  type              = "ingress"
  security_group_id = aws_security_group.app.id
  from_port         = {low}
  to_port           = {high}
  protocol          = "{protocol}"
  cidr_blocks       = ["0.0.0.0/0"]
}}
"""
    assert run(diff("infra/app.tf", None, new)) == [
        (
            "NET101",
            "infra/app.tf",
            7,
            f"opens {what} to the whole internet (0.0.0.0/0) on aws_security_group_rule.app_in",
            severity,
        )
    ]


def test_vpc_ingress_rule_ipv6() -> None:
    new = """resource "aws_vpc_security_group_ingress_rule" "redis" {
  security_group_id = aws_security_group.cache.id
  cidr_ipv6         = "::/0"
  from_port         = 6379
  to_port           = 6379
  ip_protocol       = "tcp"
}
"""
    ((code, _, line, message, severity),) = run(diff("cache.tf", None, new))
    assert (code, line, severity) == ("NET101", 3, Severity.CRITICAL)
    assert message == (
        "opens port 6379 (Redis) to the whole internet (::/0) on "
        "aws_vpc_security_group_ingress_rule.redis"
    )


def test_gcp_firewall_and_azure_rule() -> None:
    gcp = """resource "google_compute_firewall" "allow_db" {
  name    = "allow-db"
  network = google_compute_network.main.name
  allow {
    protocol = "tcp"
    ports    = ["3306", "8000-8100"]
  }
  source_ranges = ["0.0.0.0/0"]
}
"""
    azure = """resource "azurerm_network_security_rule" "rdp" {
  name                        = "rdp"
  priority                    = 100
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_range      = "3389"
  source_address_prefix       = "Internet"
  destination_address_prefix  = "*"
}
"""
    found = run(diff("gcp.tf", None, gcp)) + run(diff("azure.tf", None, azure))
    assert [(f[2], f[3], f[4]) for f in found] == [
        (
            8,
            "opens ports 3306, 8000-8100, among them 3306 (MySQL), 8020 (HDFS), 8086 "
            "(InfluxDB) to the whole "
            "internet (0.0.0.0/0) on google_compute_firewall.allow_db",
            Severity.CRITICAL,
        ),
        (
            9,
            "opens port 3389 (RDP) to the whole internet (Internet) on "
            "azurerm_network_security_rule.rdp",
            Severity.CRITICAL,
        ),
    ]


def test_cloudformation_security_group() -> None:
    old = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  DBSecGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: database
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 5432
          ToPort: 5432
          SourceSecurityGroupId: !Ref AppSecGroup
Outputs:
  GroupId:
    Value: !Ref DBSecGroup
"""
    new = old.replace("SourceSecurityGroupId: !Ref AppSecGroup", "CidrIp: 0.0.0.0/0")
    assert run(diff("templates/db.yaml", old, new)) == [
        (
            "NET101",
            "templates/db.yaml",
            11,
            "opens port 5432 (PostgreSQL) to the whole internet (0.0.0.0/0) on "
            "AWS::EC2::SecurityGroup DBSecGroup",
            Severity.CRITICAL,
        )
    ]


def test_security_group_module() -> None:
    old = """module "web_sg" {
  source = "terraform-aws-modules/security-group/aws"
  name   = "web"

  ingress_cidr_blocks = ["10.0.0.0/8"]
  ingress_rules       = ["https-443-tcp", "ssh-tcp"]
}
"""
    new = old.replace('["10.0.0.0/8"]', '["0.0.0.0/0"]')
    assert run(diff("main.tf", old, new)) == [
        (
            "NET101",
            "main.tf",
            5,
            "opens port 22 (SSH) to the whole internet (0.0.0.0/0) on module.web_sg",
            Severity.CRITICAL,
        )
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # narrowed to a private range
        (SG.replace("10.20.0.0/16", "0.0.0.0/0"), SG),
        # HTTPS to the world: what a load balancer is for
        (SG, SG.replace("= 22", "= 443").replace("10.20.0.0/16", "0.0.0.0/0")),
        # egress to the world is the default
        (SG.replace("0.0.0.0/0", "10.0.0.0/8"), SG),
        # a port narrowed within an already public rule
        (
            SG.replace("10.20.0.0/16", "0.0.0.0/0").replace("to_port     = 22", "to_port = 30"),
            SG.replace("10.20.0.0/16", "0.0.0.0/0"),
        ),
        # the source is a variable: not readable here
        (SG, SG.replace('["10.20.0.0/16"]', "var.admin_cidrs")),
        # a comment only
        (SG, SG.replace('["10.20.0.0/16"]', '["10.20.0.0/16"] # not 0.0.0.0/0')),
    ],
)
def test_near_misses(old: str, new: str) -> None:
    assert not run(diff("infra/bastion.tf", old, new))


def test_a_renamed_security_group_is_not_news() -> None:
    old = SG.replace("10.20.0.0/16", "0.0.0.0/0")
    new = old.replace('"bastion" {', '"jump_host" {')
    assert not run(diff("infra/bastion.tf", old, new))


def test_load_balancer_every_port_is_medium_and_nacl_default_is_quiet() -> None:
    lb = """resource "aws_security_group" "public_lb" {
  ingress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_network_acl_rule" "in_all" {
  network_acl_id = aws_network_acl.main.id
  rule_number    = 100
  egress         = false
  protocol       = "-1"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
}
"""
    assert [(f[2], f[4]) for f in run(diff("lb.tf", None, lb))] == [(6, Severity.MEDIUM)]


# NET102 ----------------------------------------------------------------------------------------

DB = """resource "aws_db_instance" "orders" {
  engine              = "postgres"
  instance_class      = "db.t3.medium"
  publicly_accessible = false
}
"""


def test_database_made_public() -> None:
    assert run(diff("db.tf", DB, DB.replace("= false", "= true"))) == [
        (
            "NET102",
            "db.tf",
            4,
            "gives aws_db_instance.orders a public IP address (publicly_accessible = true): it "
            "can be reached from the internet wherever its security group allows",
            Severity.HIGH,
        )
    ]


def test_cloud_sql_and_azure_firewall_open_to_all() -> None:
    new = """resource "google_sql_database_instance" "main" {
  settings {
    ip_configuration {
      authorized_networks {
        name  = "anyone"
        value = "0.0.0.0/0"
      }
    }
  }
}
resource "azurerm_postgresql_flexible_server_firewall_rule" "all" {
  server_id        = azurerm_postgresql_flexible_server.main.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "255.255.255.255"
}
resource "azurerm_postgresql_flexible_server_firewall_rule" "azure" {
  start_ip_address = "0.0.0.0"
  end_ip_address   = "0.0.0.0"
}
"""
    found = run(diff("db.tf", None, new))
    assert [(f[2], f[4]) for f in found] == [(6, Severity.CRITICAL), (14, Severity.CRITICAL)]
    assert found[0][3] == (
        "authorizes the whole internet (0.0.0.0/0) to connect to "
        "google_sql_database_instance.main: only the database password stands in the way"
    )


PUBLIC_DB = DB.replace("= false", "= true")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (DB, DB.replace("= false", "= var.public")),  # a variable: not readable here
        (PUBLIC_DB, PUBLIC_DB.replace("db.t3.medium", "db.t3.large")),  # already public
        (PUBLIC_DB, DB),  # made private
    ],
)
def test_database_near_misses(old: str, new: str) -> None:
    assert not run(diff("db.tf", old, new))


def test_a_renamed_public_database_is_not_news() -> None:
    public = DB.replace("= false", "= true")
    assert not run(diff("db.tf", public, public.replace('"orders"', '"orders_v2"')))
