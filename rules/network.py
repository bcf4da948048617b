"""Network exposure: firewall rules opened to the whole internet, databases given a public
address.

Security groups and their rules (`aws_security_group`, `aws_security_group_rule`,
`aws_vpc_security_group_ingress_rule`, CloudFormation `AWS::EC2::SecurityGroup(Ingress)`),
network ACLs, GCP firewalls and Azure network security rules are read by `rules/ingress.py`
into one shape: a protocol, port ranges and the sources. Only a widening is reported: a source
the old side of the same rule already let in on the same ports is not news, and narrowing
never fires. Which ports matter comes from `changerisk/data/network_exposure.json`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from changerisk.parsers.tfvalues import TfBlock, blocks_of, get, key_line, nested
from changerisk.regex import lazy_compile
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .ingress import AWS_PUBLIC, Opening, openings, table, text_of

_LOAD_BALANCER = lazy_compile(
    r"(^|[^a-z])(alb|elb|nlb|lb|load_?balancer|load-balancer)([^a-z]|$)|loadbalancer",
    re.IGNORECASE,
)


def _describe(opening: Opening) -> tuple[str, Severity] | None:
    """What the opening exposes, and how bad that is; None for web ports only."""
    named: dict[str, str] = table()["ports"]
    if opening.every_port:
        what = "every port" if opening.protocol == "all" else f"every {opening.protocol} port"
        return what, Severity.CRITICAL
    sensitive = sorted(
        {int(port) for port in named for lo, hi in opening.ports if lo <= int(port) <= hi}
    )
    if sensitive:
        shown = [f"{port} ({named[str(port)]})" for port in sensitive[:4]]
        more = f" and {len(sensitive) - 4} more" if len(sensitive) > 4 else ""
        if any(hi > lo for lo, hi in opening.ports):
            ranges = ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in opening.ports)
            return f"ports {ranges}, among them {', '.join(shown)}{more}", Severity.CRITICAL
        noun = "port" if len(sensitive) == 1 else "ports"
        return f"{noun} {', '.join(shown)}{more}", Severity.CRITICAL
    web = set(table()["web_ports"])
    if all(lo == hi and lo in web for lo, hi in opening.ports):
        return None
    spans = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in opening.ports]
    noun = "port" if len(spans) == 1 and "-" not in spans[0] else "ports"
    return f"{noun} {', '.join(spans)}", Severity.MEDIUM


class IngressOpenToInternet(Rule):
    """A security group, firewall or network ACL rule lets the whole internet in
    (`0.0.0.0/0`, `::/0`), ranked by port.

    ## Why it matters
    An ingress rule from `0.0.0.0/0` puts the port in front of every scanner on the internet
    within minutes. SSH and RDP invite credential stuffing and exploits; a database, cache or
    search port (3306, 5432, 6379, 27017, 9200, …) is how data leaks; all ports or all
    protocols opens everything the instance listens on. These are critical; other ports are
    medium, and HTTP/HTTPS (80, 443), which load balancers serve to the internet by design,
    are not reported. Network ACL rules are one step lower (security groups still apply) and
    an all-traffic ACL rule, AWS's own default, is not reported. Only a widening fires: a
    source the rule already let in on those ports, or a change to `10.0.0.0/8`, does not.

    ## Bad
    ```diff
    diff --git a/infra/bastion.tf b/infra/bastion.tf
    --- a/infra/bastion.tf
    +++ b/infra/bastion.tf
    @@ -1,9 +1,9 @@
     resource "aws_security_group" "bastion" {
       vpc_id = aws_vpc.main.id
       ingress {
         from_port   = 22
         to_port     = 22
         protocol    = "tcp"
    -    cidr_blocks = ["10.20.0.0/16"]
    +    cidr_blocks = ["0.0.0.0/0"]
       }
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/bastion.tf b/infra/bastion.tf
    --- a/infra/bastion.tf
    +++ b/infra/bastion.tf
    @@ -1,9 +1,9 @@
     resource "aws_security_group" "bastion" {
       vpc_id = aws_vpc.main.id
       ingress {
         from_port   = 22
         to_port     = 22
         protocol    = "tcp"
    -    cidr_blocks = ["0.0.0.0/0"]
    +    cidr_blocks = ["10.20.0.0/16"]
       }
     }
    ```
    """

    code = "NET101"
    name = "ingress-open-to-internet"
    category = Category.ACCESS
    severity = Severity.CRITICAL
    formats = frozenset({"terraform", "cloudformation"})
    since = "0.2.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        new = openings(change, "new")
        if not new:
            return
        old = openings(change, "old")
        renamed = [o for owner, group in old.items() if owner not in new for o in group]
        for owner, group in new.items():
            before = old.get(owner, renamed)
            for opening in group:
                if not opening.lines & change.added_line_numbers:
                    continue
                if any(opening.covered_by(b) for b in before):
                    continue
                described = _describe(opening)
                if described is None or (opening.nacl and opening.every_port):
                    continue
                what, severity = described
                if opening.nacl:
                    severity = severity.shifted(-1)
                elif opening.every_port and _LOAD_BALANCER.search(owner):
                    severity = Severity.MEDIUM  # it answers on its listeners' ports only
                line = opening.line
                if line not in change.added_line_numbers:
                    line = min(opening.lines & change.added_line_numbers)
                sources = ", ".join(dict.fromkeys(opening.sources))
                yield self.finding(
                    change,
                    line,
                    f"opens {what} to the whole internet ({sources}) on {owner}",
                    hint="allow the addresses that need it (an office or VPN range, a load "
                    "balancer's security group), or reach the host through SSM Session "
                    "Manager or a bastion instead of a public port",
                    severity=severity,
                    confidence=Confidence.HIGH,
                )


# Databases with a public address ----------------------------------------------------------------

_PUBLIC_FLAG = {
    "aws_db_instance": "publicly_accessible",
    "aws_rds_cluster_instance": "publicly_accessible",
    "aws_redshift_cluster": "publicly_accessible",
    "aws_dms_replication_instance": "publicly_accessible",
}
_CFN_PUBLIC_FLAG = {
    "AWS::RDS::DBInstance": "PubliclyAccessible",
    "AWS::Redshift::Cluster": "PubliclyAccessible",
    "AWS::DMS::ReplicationInstance": "PubliclyAccessible",
}
_AZURE_DB_FIREWALL = lazy_compile(
    r"^azurerm_(postgresql|mysql|mariadb|mssql|sql|postgresql_flexible|mysql_flexible)"
    r"_(server_)?firewall_rule$"
)


class _Public(NamedTuple):
    owner: str
    line: int
    message: str
    severity: Severity


def _public_databases(change: FileChange, side: str) -> dict[tuple[str, str], _Public]:
    found: dict[tuple[str, str], _Public] = {}
    exists = change.old_path if side == "old" else change.new_path
    if not exists:
        return found
    if "terraform" in change.formats:
        for block in blocks_of(change, side):
            if block.kind != "resource":
                continue
            for key, public in _tf_public(block):
                found[(block.address, key)] = public
    if "cloudformation" in change.formats:
        from .cfn_template import template_of

        for resource in template_of(change, side).resources.values():
            flag = _CFN_PUBLIC_FLAG.get(resource.type)
            node = resource.prop(flag) if flag else None
            if node is not None and resource.knows(node) and text_of(node) in ("true", "True"):
                owner = f"{resource.type} {resource.logical_id}"
                found[(owner, "public")] = _Public(
                    owner,
                    node.line,
                    f"gives {owner} a public IP address ({flag}: true): it can be reached "
                    "from the internet wherever its security group allows",
                    Severity.HIGH,
                )
    return found


def _tf_public(block: TfBlock) -> Iterator[tuple[str, _Public]]:
    body, owner = block.body, block.address
    flag = _PUBLIC_FLAG.get(block.type)
    if flag and text_of(get(body, flag)) == "true":
        yield (
            "public",
            _Public(
                owner,
                key_line(body, flag),
                f"gives {owner} a public IP address ({flag} = true): it can be reached from the "
                "internet wherever its security group allows",
                Severity.HIGH,
            ),
        )
    if block.type == "google_sql_database_instance":
        for settings in nested(body, "settings"):
            for ip in nested(settings, "ip_configuration"):
                for network in nested(ip, "authorized_networks"):
                    value = get(network, "value")
                    if text_of(value) in AWS_PUBLIC and value is not None:
                        yield (
                            "authorized",
                            _Public(
                                owner,
                                value.line,
                                f"authorizes the whole internet ({text_of(value)}) to connect to "
                                f"{owner}: only the database password stands in the way",
                                Severity.CRITICAL,
                            ),
                        )
    if _AZURE_DB_FIREWALL.match(block.type):
        start, end = get(body, "start_ip_address"), get(body, "end_ip_address")
        if text_of(start) == "0.0.0.0" and text_of(end) == "255.255.255.255" and end is not None:
            yield (
                "firewall",
                _Public(
                    owner,
                    end.line,
                    f"opens the database server firewall to every address (0.0.0.0-"
                    f"255.255.255.255) in {owner}",
                    Severity.CRITICAL,
                ),
            )


class DatabasePublic(Rule):
    """A database is made reachable from the internet: `publicly_accessible = true`, a
    Cloud SQL authorized network of `0.0.0.0/0`, an Azure database firewall rule for every
    address.

    ## Why it matters
    `publicly_accessible = true` gives an RDS instance, Redshift cluster or DMS instance a
    public IP address; from then on only its security group and the database password keep
    the internet out, and one widened rule or one weak password leaks the data. A Cloud SQL
    authorized network of `0.0.0.0/0`, or an Azure firewall rule from `0.0.0.0` to
    `255.255.255.255`, opens the database to every address outright. Turning public access
    off, and an Azure rule of `0.0.0.0`-`0.0.0.0` (Azure services only), are not reported.

    ## Bad
    ```diff
    diff --git a/infra/db.tf b/infra/db.tf
    --- a/infra/db.tf
    +++ b/infra/db.tf
    @@ -1,6 +1,6 @@
     resource "aws_db_instance" "orders" {
       engine              = "postgres"
       instance_class      = "db.t3.medium"
    -  publicly_accessible = false
    +  publicly_accessible = true
       deletion_protection = true
     }
    ```

    ## Good
    ```diff
    diff --git a/infra/db.tf b/infra/db.tf
    --- a/infra/db.tf
    +++ b/infra/db.tf
    @@ -1,6 +1,6 @@
     resource "aws_db_instance" "orders" {
       engine              = "postgres"
       instance_class      = "db.t3.medium"
    -  publicly_accessible = true
    +  publicly_accessible = false
       deletion_protection = true
     }
    ```
    """

    code = "NET102"
    name = "database-publicly-accessible"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = frozenset({"terraform", "cloudformation"})
    since = "0.2.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        new = _public_databases(change, "new")
        if not new:
            return
        old = _public_databases(change, "old")
        renamed = {kind for owner, kind in old if owner not in {o for o, _ in new}}
        for key, public in new.items():
            if key in old or public.line not in change.added_line_numbers:
                continue
            if key[1] in renamed and key[0] not in {o for o, _ in old}:
                continue  # the same public database under a new name
            yield self.finding(
                change,
                public.line,
                public.message,
                hint="keep the database in private subnets without a public address; reach "
                "it through a VPN, a bastion or a private endpoint",
                severity=public.severity,
            )


RULES = (IngressOpenToInternet, DatabasePublic)
