"""What firewall rules let in from the internet: security groups and their rules, network ACLs,
GCP firewalls, Azure network security rules, CloudFormation security groups and the
terraform-aws-modules/security-group module, read into one shape (`Opening`): a protocol, port
ranges, the public sources, and the lines that define them.

Terraform is read with `changerisk.parsers.tfvalues`, CloudFormation with `rules/cfn_template.py`;
a value that is not a literal (a variable, a reference) is never read as public. The ports
table and the module's named rules are in `changerisk/data/network_exposure.json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from changerisk.datafiles import read_text
from changerisk.parsers.tfvalues import TfBlock, Value, blocks_of, get, nested, scalar
from changerisk.parsers.yamldoc import YNode
from changerisk.regex import lazy_compile
from changerisk.rule import FileChange

if TYPE_CHECKING:
    from .cfn_template import Resource


AWS_PUBLIC = frozenset({"0.0.0.0/0", "::/0"})
_AZURE_PUBLIC = frozenset({"0.0.0.0/0", "::/0", "*", "internet", "any"})
_ALL_PROTOCOLS = frozenset({"-1", "all", "*"})
_NO_PORTS = frozenset({"icmp", "icmpv6", "1", "58", "esp", "ah", "gre", "50", "51", "47"})
_RANGE = lazy_compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


@cache
def table() -> dict[str, Any]:
    """The ports table (changerisk/data/network_exposure.json), read once."""
    text = read_text("network_exposure.json")
    data: dict[str, Any] = json.loads(text)
    return data


class Opening(NamedTuple):
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
    text = text_of(node)
    if text is None or not re.fullmatch(r"-?\d+", text.strip()):
        return None
    return int(text)


def text_of(node: Value | YNode | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, YNode):
        return node.value if node.kind == "scalar" and not node.tag and not node.null else None
    return scalar(node)


def lines_of(*nodes: Value | YNode | None) -> frozenset[int]:
    return frozenset(line for n in nodes if n is not None for line in range(n.line, n.end_line + 1))


def _publics(nodes: list[Value | YNode], public: frozenset[str]) -> list[tuple[str, int]]:
    found = []
    for node in nodes:
        text = text_of(node)
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
    protocol = _protocol(text_of(get(body, protocol_key)))
    sources = [found for key in cidr_keys for found in _publics(_items(get(body, key)), AWS_PUBLIC)]
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
        lines_of(*nodes),
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
    elif kind == "aws_security_group_rule" and text_of(get(body, "type")) == "ingress":
        opening = _aws_rule(owner, body, "protocol", cidrs)
        if opening:
            yield opening
    elif kind == "aws_vpc_security_group_ingress_rule":
        opening = _aws_rule(owner, body, "ip_protocol", ("cidr_ipv4", "cidr_ipv6"))
        if opening:
            yield opening
    elif kind == "aws_network_acl_rule":
        if text_of(get(body, "egress")) != "true" and text_of(get(body, "rule_action")) == "allow":
            nacl = _aws_rule(owner, body, "protocol", ("cidr_block", "ipv6_cidr_block"), True)
            if nacl:
                yield nacl
    elif kind in ("aws_network_acl", "aws_default_network_acl"):
        for rule in nested(body, "ingress"):
            if text_of(get(rule, "action")) == "allow":
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


_SG_MODULE = lazy_compile(r"security-group(?:/aws)?(?://?modules/([\w-]+))?(?:\?.*)?$")


def _sg_module(owner: str, body: Value) -> Iterator[Opening]:
    """Ingress of the terraform-aws-modules/security-group module and its per-service
    submodules: named rules (`ingress_rules = ["ssh-tcp"]`) or `ingress_with_cidr_blocks`
    objects, from `ingress_cidr_blocks` (or an object's own comma-separated `cidr_blocks`)."""
    source = text_of(get(body, "source")) or ""
    match = _SG_MODULE.search(source)
    if match is None:
        return
    named: dict[str, list[Any]] = table()["sg_module_rules"]
    cidr_nodes = [get(body, "ingress_cidr_blocks"), get(body, "ingress_ipv6_cidr_blocks")]
    sources = [s for n in cidr_nodes for s in _publics(_items(n), AWS_PUBLIC)]
    rules = [text_of(n) for n in _items(get(body, "ingress_rules"))]
    if match.group(1) and get(body, "auto_ingress_rules") is None:
        rules += table()["sg_submodules"].get(match.group(1), [])
    for name in rules:
        spec = named.get(name or "")
        if spec is None or not sources or _protocol(str(spec[2])) in _NO_PORTS:
            continue
        lines = lines_of(*cidr_nodes, get(body, "ingress_rules"))
        yield _module_opening(owner, spec, sources, lines)
    for item in _items(get(body, "ingress_with_cidr_blocks")):
        if not isinstance(item, Value) or item.kind != "dict":
            continue
        own = get(item, "cidr_blocks")
        found = sources
        if own is not None:
            text = text_of(own) or ""
            found = [(c.strip(), own.line) for c in text.split(",") if c.strip() in AWS_PUBLIC]
        spec = named.get(text_of(get(item, "rule")) or "")
        if spec is None:
            low, high = _port(get(item, "from_port")), _port(get(item, "to_port"))
            protocol = text_of(get(item, "protocol"))
            if low is None or high is None or protocol is None:
                continue
            spec = [low, high, protocol]
        if found and _protocol(str(spec[2])) not in _NO_PORTS:
            yield _module_opening(owner, spec, found, lines_of(item, *cidr_nodes))


def _module_opening(
    owner: str, spec: list[Any], sources: list[tuple[str, int]], lines: frozenset[int]
) -> Opening:
    protocol = _protocol(str(spec[2])) or "all"
    ports = () if protocol == "all" else ((int(spec[0]), int(spec[1])),)
    return Opening(owner, protocol, ports, tuple(s for s, _ in sources), sources[0][1], lines)


def _gcp_firewall(owner: str, body: Value) -> Iterator[Opening]:
    direction = (text_of(get(body, "direction")) or "INGRESS").upper()
    if direction != "INGRESS" or text_of(get(body, "disabled")) == "true":
        return
    sources = _publics(_items(get(body, "source_ranges")), AWS_PUBLIC)
    if not sources:
        return
    for allow in nested(body, "allow"):
        protocol = _protocol(text_of(get(allow, "protocol")))
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
            lines_of(get(body, "source_ranges"), allow),
        )


def _ranges(nodes: list[Value | YNode]) -> tuple[tuple[int, int], ...] | None:
    ranges = []
    for node in nodes:
        text = text_of(node)
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
    if (text_of(get(body, "direction")) or "").lower() != "inbound":
        return None
    if (text_of(get(body, "access")) or "").lower() != "allow":
        return None
    sources = _publics(
        _items(get(body, "source_address_prefix")) + _items(get(body, "source_address_prefixes")),
        _AZURE_PUBLIC,
    )
    protocol = _protocol(text_of(get(body, "protocol")))
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
        lines_of(*(get(body, k) for k in ("source_address_prefix", "source_address_prefixes")))
        | lines_of(*port_nodes, get(body, "access"), get(body, "direction"), get(body, "protocol")),
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
        protocol = _protocol(text_of(body.get("IpProtocol")))
        sources = _publics(
            [n for n in (body.get("CidrIp"), body.get("CidrIpv6")) if n is not None], AWS_PUBLIC
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
            lines_of(body),
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
            from .cfn_template import template_of

            for resource in template_of(change, side).resources.values():
                for opening in _cfn(resource):
                    found.setdefault(opening.owner, []).append(opening)
        return found

    return change.cached(f"openings:{side}", build)
