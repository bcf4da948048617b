"""Network exposure: firewall rules opened to the whole internet, databases given a public
address.

Security groups and their rules (`aws_security_group`, `aws_security_group_rule`,
`aws_vpc_security_group_ingress_rule`, CloudFormation `AWS::EC2::SecurityGroup(Ingress)`),
network ACLs, GCP firewalls and Azure network security rules are read into one shape: a
protocol, a port range and the sources. Only a widening is reported: a source the old side of
the same rule already let in on the same ports is not news, and narrowing never fires. Which
ports matter comes from `changerisk/data/network_exposure.json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from changerisk.parsers.tfvalues import TfBlock, Value, blocks_of, get, key_line, nested, scalar
from changerisk.parsers.yamldoc import YNode
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

from .cfn_template import Resource, template_of

_AWS_PUBLIC = frozenset({"0.0.0.0/0", "::/0"})
_AZURE_PUBLIC = frozenset({"0.0.0.0/0", "::/0", "*", "internet", "any"})
_ALL_PROTOCOLS = frozenset({"-1", "all", "*"})
_NO_PORTS = frozenset({"icmp", "icmpv6", "1", "58", "esp", "ah", "gre", "50", "51", "47"})
_LOAD_BALANCER = re.compile(
    r"(^|[^a-z])(alb|elb|nlb|lb|load_?balancer|load-balancer)([^a-z]|$)|loadbalancer",
    re.IGNORECASE,
)
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


@cache
def table() -> dict[str, Any]:
    """The ports table (changerisk/data/network_exposure.json), read once."""
    text = resources.files("changerisk").joinpath("data/network_exposure.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class Opening:
    """One ingress rule that lets public sources in: on what ports, from where, and the lines
    that define it (one of them must be added for it to be this change's doing)."""

    owner: str  # aws_security_group.bastion, or AWS::EC2::SecurityGroup Bastion
    protocol: str  # lower case; "all" for every protocol
    ports: tuple[tuple[int, int], ...]  # inclusive ranges; empty with protocol "all"
    sources: tuple[str, ...]
    line: int  # where the finding points: the public source
    lines: frozenset[int]
    nacl: bool = False

    @property
    def every_port(self) -> bool:
        return self.protocol == "all" or any(lo <= 0 and hi >= 65535 for lo, hi in self.ports)

    def covered_by(self, old: Opening) -> bool:
        if not set(self.sources) <= set(old.sources):
            return False
        if old.every_port:
            return True
        if self.protocol != old.protocol or self.every_port:
            return False
        return all(any(o[0] <= lo and hi <= o[1] for o in old.ports) for lo, hi in self.ports)


def _protocol(text: str | None) -> str | None:
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered in _ALL_PROTOCOLS:
        return "all"
    return {"6": "tcp", "17": "udp"}.get(lowered, lowered)


def _port(node: Value | YNode | None) -> int | None:
    text = _text(node)
    if text is None or not re.fullmatch(r"-?\d+", text.strip()):
        return None
    return int(text)


def _text(node: Value | YNode | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, YNode):
        return node.value if node.kind == "scalar" and not node.tag and not node.null else None
    return scalar(node)


def _lines(*nodes: Value | YNode | None) -> frozenset[int]:
    return frozenset(line for n in nodes if n is not None for line in range(n.line, n.end_line + 1))


def _publics(nodes: list[Value | YNode], public: frozenset[str]) -> list[tuple[str, int]]:
    found = []
    for node in nodes:
        text = _text(node)
        if text is not None and text.strip().lower() in public:
            found.append((text.strip(), node.line))
    return found


def _items(node: Value | YNode | None) -> list[Value | YNode]:
    if node is None:
        return []
    if isinstance(node, YNode):
        return list(node.items) if node.kind == "seq" else [node]
    return list(node.items) if node.kind == "list" else [node]


def _aws_rule(
    owner: str,
    body: Value,
    protocol_key: str,
    cidr_keys: tuple[str, ...],
    nacl: bool = False,
) -> Opening | None:
    protocol = _protocol(_text(get(body, protocol_key)))
    sources = [
        found for key in cidr_keys for found in _publics(_items(get(body, key)), _AWS_PUBLIC)
    ]
    if protocol is None or not sources or protocol in _NO_PORTS:
        return None
    low, high = _port(get(body, "from_port")), _port(get(body, "to_port"))
    ports: tuple[tuple[int, int], ...] = ()
    if protocol != "all":
        if low is None or high is None:
            return None
        ports = ((low, high),)
    nodes = [get(body, key) for key in (protocol_key, "from_port", "to_port", *cidr_keys)]
    return Opening(
        owner,
        protocol,
        ports,
        tuple(s for s, _ in sources),
        sources[0][1],
        _lines(*nodes),
        nacl,
    )


def _terraform(block: TfBlock) -> Iterator[Opening]:
    body, owner, kind = block.body, block.address, block.type
    if block.kind not in ("resource", "module"):
        return
    cidrs = ("cidr_blocks", "ipv6_cidr_blocks")
    if kind == "aws_security_group":
        for rule in nested(body, "ingress"):
            opening = _aws_rule(owner, rule, "protocol", cidrs)
            if opening:
                yield opening
    elif kind == "aws_security_group_rule" and _text(get(body, "type")) == "ingress":
        opening = _aws_rule(owner, body, "protocol", cidrs)
        if opening:
            yield opening
    elif kind == "aws_vpc_security_group_ingress_rule":
        opening = _aws_rule(owner, body, "ip_protocol", ("cidr_ipv4", "cidr_ipv6"))
        if opening:
            yield opening
    elif kind == "aws_network_acl_rule":
        if _text(get(body, "egress")) != "true" and _text(get(body, "rule_action")) == "allow":
            nacl = _aws_rule(owner, body, "protocol", ("cidr_block", "ipv6_cidr_block"), True)
            if nacl:
                yield nacl
    elif kind in ("aws_network_acl", "aws_default_network_acl"):
        for rule in nested(body, "ingress"):
            if _text(get(rule, "action")) == "allow":
                nacl = _aws_rule(owner, rule, "protocol", ("cidr_block", "ipv6_cidr_block"), True)
                if nacl:
                    yield nacl
    elif block.kind == "module":
        yield from _sg_module(owner, body)
    elif kind == "google_compute_firewall":
        yield from _gcp_firewall(owner, body)
    elif kind == "azurerm_network_security_rule":
        opening = _azure_rule(owner, body)
        if opening:
            yield opening
    elif kind == "azurerm_network_security_group":
        for rule in nested(body, "security_rule"):
            opening = _azure_rule(owner, rule)
            if opening:
                yield opening


_SG_MODULE = re.compile(r"security-group(?:/aws)?(?://?modules/([\w-]+))?(?:\?.*)?$")


def _sg_module(owner: str, body: Value) -> Iterator[Opening]:
    """Ingress of the terraform-aws-modules/security-group module and its per-service
    submodules: named rules (`ingress_rules = ["ssh-tcp"]`) or `ingress_with_cidr_blocks`
    objects, from `ingress_cidr_blocks` (or an object's own comma-separated `cidr_blocks`)."""
    source = _text(get(body, "source")) or ""
    match = _SG_MODULE.search(source)
    if match is None:
        return
    named: dict[str, list[Any]] = table()["sg_module_rules"]
    cidr_nodes = [get(body, "ingress_cidr_blocks"), get(body, "ingress_ipv6_cidr_blocks")]
    sources = [s for n in cidr_nodes for s in _publics(_items(n), _AWS_PUBLIC)]
    rules = [_text(n) for n in _items(get(body, "ingress_rules"))]
    if match.group(1) and get(body, "auto_ingress_rules") is None:
        rules += table()["sg_submodules"].get(match.group(1), [])
    for name in rules:
        spec = named.get(name or "")
        if spec is None or not sources or _protocol(str(spec[2])) in _NO_PORTS:
            continue
        lines = _lines(*cidr_nodes, get(body, "ingress_rules"))
        yield _module_opening(owner, spec, sources, lines)
    for item in _items(get(body, "ingress_with_cidr_blocks")):
        if not isinstance(item, Value) or item.kind != "dict":
            continue
        own = get(item, "cidr_blocks")
        found = sources
        if own is not None:
            text = _text(own) or ""
            found = [(c.strip(), own.line) for c in text.split(",") if c.strip() in _AWS_PUBLIC]
        spec = named.get(_text(get(item, "rule")) or "")
        if spec is None:
            low, high = _port(get(item, "from_port")), _port(get(item, "to_port"))
            protocol = _text(get(item, "protocol"))
            if low is None or high is None or protocol is None:
                continue
            spec = [low, high, protocol]
        if found and _protocol(str(spec[2])) not in _NO_PORTS:
            yield _module_opening(owner, spec, found, _lines(item, *cidr_nodes))


def _module_opening(
    owner: str, spec: list[Any], sources: list[tuple[str, int]], lines: frozenset[int]
) -> Opening:
    protocol = _protocol(str(spec[2])) or "all"
    ports = () if protocol == "all" else ((int(spec[0]), int(spec[1])),)
    return Opening(owner, protocol, ports, tuple(s for s, _ in sources), sources[0][1], lines)


def _gcp_firewall(owner: str, body: Value) -> Iterator[Opening]:
    direction = (_text(get(body, "direction")) or "INGRESS").upper()
    if direction != "INGRESS" or _text(get(body, "disabled")) == "true":
        return
    sources = _publics(_items(get(body, "source_ranges")), _AWS_PUBLIC)
    if not sources:
        return
    for allow in nested(body, "allow"):
        protocol = _protocol(_text(get(allow, "protocol")))
        if protocol is None or protocol in _NO_PORTS:
            continue
        port_nodes = get(allow, "ports")
        ports = _ranges(_items(port_nodes)) if port_nodes is not None else ((0, 65535),)
        if ports is None:
            continue
        yield Opening(
            owner,
            protocol,
            ports if protocol != "all" else (),
            tuple(s for s, _ in sources),
            sources[0][1],
            _lines(get(body, "source_ranges"), allow),
        )


def _ranges(nodes: list[Value | YNode]) -> tuple[tuple[int, int], ...] | None:
    ranges = []
    for node in nodes:
        text = _text(node)
        if text is None:
            return None
        if text.strip() == "*":
            ranges.append((0, 65535))
            continue
        match = _RANGE.match(text)
        if match is None:
            return None
        low = int(match.group(1))
        ranges.append((low, int(match.group(2) or low)))
    return tuple(ranges)


def _azure_rule(owner: str, body: Value) -> Opening | None:
    if (_text(get(body, "direction")) or "").lower() != "inbound":
        return None
    if (_text(get(body, "access")) or "").lower() != "allow":
        return None
    sources = _publics(
        _items(get(body, "source_address_prefix")) + _items(get(body, "source_address_prefixes")),
        _AZURE_PUBLIC,
    )
    protocol = _protocol(_text(get(body, "protocol")))
    if not sources or protocol is None or protocol in _NO_PORTS:
        return None
    port_nodes = _items(get(body, "destination_port_range")) + _items(
        get(body, "destination_port_ranges")
    )
    ports = _ranges(port_nodes) if port_nodes else None
    if ports is None:
        return None
    if protocol == "all" and ports != ((0, 65535),):
        protocol = "tcp"  # "*" protocol on named ports: read as those ports
    return Opening(
        owner,
        protocol,
        ports if protocol != "all" else (),
        tuple(s for s, _ in sources),
        sources[0][1],
        _lines(*(get(body, k) for k in ("source_address_prefix", "source_address_prefixes")))
        | _lines(*port_nodes, get(body, "access"), get(body, "direction"), get(body, "protocol")),
    )


def _cfn(resource: Resource) -> Iterator[Opening]:
    if resource.type == "AWS::EC2::SecurityGroup":
        rules = resource.prop("SecurityGroupIngress")
        bodies = (
            [r for r in rules.items if r.kind == "map"] if rules and rules.kind == "seq" else []
        )
    elif resource.type == "AWS::EC2::SecurityGroupIngress":
        props = resource.properties
        bodies = [props] if props is not None and props.kind == "map" else []
    else:
        return
    for body in bodies:
        if not resource.knows(body):
            continue
        protocol = _protocol(_text(body.get("IpProtocol")))
        sources = _publics(
            [n for n in (body.get("CidrIp"), body.get("CidrIpv6")) if n is not None], _AWS_PUBLIC
        )
        if protocol is None or not sources or protocol in _NO_PORTS:
            continue
        ports: tuple[tuple[int, int], ...] = ()
        if protocol != "all":
            low, high = _port(body.get("FromPort")), _port(body.get("ToPort"))
            if low is None or high is None:
                continue
            ports = ((low, high),)
        yield Opening(
            f"{resource.type} {resource.logical_id}",
            protocol,
            ports,
            tuple(s for s, _ in sources),
            sources[0][1],
            _lines(body),
        )


def openings(change: FileChange, side: str) -> dict[str, list[Opening]]:
    """The public ingress rules of one side of a file, by the block that holds them."""

    def build() -> dict[str, list[Opening]]:
        found: dict[str, list[Opening]] = {}
        exists = change.old_path if side == "old" else change.new_path
        if not exists:
            return found
        if "terraform" in change.formats:
            for block in blocks_of(change, side):
                for opening in _terraform(block):
                    found.setdefault(opening.owner, []).append(opening)
        if "cloudformation" in change.formats:
            for resource in template_of(change, side).resources.values():
                for opening in _cfn(resource):
                    found.setdefault(opening.owner, []).append(opening)
        return found

    return change.cached(f"openings:{side}", build)


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
_AZURE_DB_FIREWALL = re.compile(
    r"^azurerm_(postgresql|mysql|mariadb|mssql|sql|postgresql_flexible|mysql_flexible)"
    r"_(server_)?firewall_rule$"
)


@dataclass(frozen=True)
class _Public:
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
        for resource in template_of(change, side).resources.values():
            flag = _CFN_PUBLIC_FLAG.get(resource.type)
            node = resource.prop(flag) if flag else None
            if node is not None and resource.knows(node) and _text(node) in ("true", "True"):
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
    if flag and _text(get(body, flag)) == "true":
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
                    if _text(value) in _AWS_PUBLIC and value is not None:
                        yield (
                            "authorized",
                            _Public(
                                owner,
                                value.line,
                                f"authorizes the whole internet ({_text(value)}) to connect to "
                                f"{owner}: only the database password stands in the way",
                                Severity.CRITICAL,
                            ),
                        )
    if _AZURE_DB_FIREWALL.match(block.type):
        start, end = get(body, "start_ip_address"), get(body, "end_ip_address")
        if _text(start) == "0.0.0.0" and _text(end) == "255.255.255.255" and end is not None:
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
        for key, public in new.items():
            if key in old or public.line not in change.added_line_numbers:
                continue
            yield self.finding(
                change,
                public.line,
                public.message,
                hint="keep the database in private subnets without a public address; reach "
                "it through a VPN, a bastion or a private endpoint",
                severity=public.severity,
            )


RULES = (IngressOpenToInternet, DatabasePublic)
