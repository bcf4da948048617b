"""AWS CDK app source (TypeScript, JavaScript, Python) read with tree-sitter for the CDK rules:
construct instantiations (`new s3.Bucket(this, "Id", {...})`, `s3.Bucket(self, "Id", ...)`),
`RemovalPolicy.DESTROY` and where it is applied, and data-emptying flags.

Grammars load only when a CDK file is in the change. Text in comments and strings is never
code; a side rebuilt from the hunks of a bare diff parses with errors where lines are unseen,
and what those errors hide is simply not found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, NamedTuple

from changerisk.gates import may_be_cdk
from changerisk.regex import lazy_compile
from changerisk.rule import FileChange

# L2 and L1 constructs that hold data: class name -> (CloudFormation type, CDK default
# removal policy, or "" when the construct sets none).
STATEFUL: dict[str, tuple[str, str]] = {
    "Bucket": ("AWS::S3::Bucket", "RETAIN"),
    "CfnBucket": ("AWS::S3::Bucket", "DESTROY"),
    "Table": ("AWS::DynamoDB::Table", "RETAIN"),
    "TableV2": ("AWS::DynamoDB::GlobalTable", "RETAIN"),
    "CfnTable": ("AWS::DynamoDB::Table", "DESTROY"),
    "CfnGlobalTable": ("AWS::DynamoDB::GlobalTable", "DESTROY"),
    "DatabaseInstance": ("AWS::RDS::DBInstance", "SNAPSHOT"),
    "DatabaseInstanceFromSnapshot": ("AWS::RDS::DBInstance", "SNAPSHOT"),
    "DatabaseCluster": ("AWS::RDS::DBCluster", "SNAPSHOT"),
    "DatabaseClusterFromSnapshot": ("AWS::RDS::DBCluster", "SNAPSHOT"),
    "ServerlessCluster": ("AWS::RDS::DBCluster", "SNAPSHOT"),
    "CfnDBInstance": ("AWS::RDS::DBInstance", "SNAPSHOT"),
    "CfnDBCluster": ("AWS::RDS::DBCluster", "SNAPSHOT"),
    "FileSystem": ("AWS::EFS::FileSystem", "RETAIN"),
    "CfnFileSystem": ("AWS::EFS::FileSystem", "DESTROY"),
    "Volume": ("AWS::EC2::Volume", "RETAIN"),
    "Queue": ("AWS::SQS::Queue", "DESTROY"),
    "Stream": ("AWS::Kinesis::Stream", "RETAIN"),
    "HostedZone": ("AWS::Route53::HostedZone", "DESTROY"),
    "PublicHostedZone": ("AWS::Route53::HostedZone", "DESTROY"),
    "PrivateHostedZone": ("AWS::Route53::HostedZone", "DESTROY"),
    "Key": ("AWS::KMS::Key", "RETAIN"),
    "Secret": ("AWS::SecretsManager::Secret", ""),
    "LogGroup": ("AWS::Logs::LogGroup", "RETAIN"),
    "Repository": ("AWS::ECR::Repository", "RETAIN"),
    "UserPool": ("AWS::Cognito::UserPool", "RETAIN"),
    "Domain": ("AWS::OpenSearchService::Domain", "RETAIN"),
    "BackupVault": ("AWS::Backup::BackupVault", "RETAIN"),
}
# Module aliases of other services that reuse these class names (glue.Table, …).
_OTHER_SERVICES = {
    "Table": ("glue", "timestream", "athena", "s3tables", "cassandra", "keyspaces"),
    "CfnTable": ("glue", "timestream", "athena", "cassandra", "s3tables", "lakeformation"),
    "Domain": ("cognito", "apigateway", "codeartifact", "sagemaker", "appsync", "amplify"),
    "Repository": ("codecommit", "codeartifact"),
    "Key": ("apigateway", "cloudfront", "appsync", "ivs", "payment"),
    "Volume": ("ecs", "batch", "eks", "k8s"),
    "Stream": ("firehose", "ivs", "qldb", "dynamodb"),
    "FileSystem": ("fsx", "lustre"),
    "Secret": ("k8s", "ecs"),
    "Queue": ("mediaconvert", "connect", "batch"),
    "LogGroup": (),
}
# Classes whose service the module alias decides: (service hint, class) -> entry.
_BY_SERVICE = {
    ("docdb", "DatabaseCluster"): ("AWS::DocDB::DBCluster", ""),
    ("neptune", "DatabaseCluster"): ("AWS::Neptune::DBCluster", ""),
    ("fsx", "LustreFileSystem"): ("AWS::FSx::FileSystem", ""),
}
_CDK_HINT = lazy_compile(r"aws-cdk-lib|@aws-cdk/|\baws_cdk\b|RemovalPolicy|removal_?[pP]olicy")
_CAMEL = lazy_compile(r"_([a-z])")
_POLICIES_OF = lazy_compile(r"(?:[\w.]+\.)?(?:Missing)?RemovalPolicies\.of\((.*)\)$", re.DOTALL)


# Every `_CDK_HINT` match holds one of these: plain substring tests run far faster than the
# regular expression over a large change's source files, most of which hold none of them.
_CDK_WORDS = (
    *("aws-cdk-lib", "@aws-cdk/", "aws_cdk", "RemovalPolicy", "removalPolicy"),
    *("removal_policy", "removalpolicy", "removal_Policy"),
)


@lru_cache(maxsize=1024)
def is_cdk(text: str) -> bool:
    """Whether a source file is (likely) CDK app code (asked by several rules of each file's
    same text: answered once)."""
    if not may_be_cdk(text):
        return False  # what every word below holds: two scans of most texts instead of nine
    return any(word in text for word in _CDK_WORDS) and bool(_CDK_HINT.search(text))


def stateful(construct: Construct) -> tuple[str, str] | None:
    """(CloudFormation type, default removal policy) of a data-holding construct."""
    qualifier = construct.qualifier.lower().rsplit(".", 1)[-1].replace("aws_", "")
    for (service, cls), by_service in _BY_SERVICE.items():
        if cls == construct.cls and service in qualifier:
            return by_service
    entry = STATEFUL.get(construct.cls)
    if entry is None:
        return None
    others = _OTHER_SERVICES.get(construct.cls, ())
    if qualifier and any(other in qualifier for other in others):
        return None  # e.g. glue.Table, codecommit.Repository
    return entry


class Prop(NamedTuple):
    text: str
    line: int
    end_line: int


@dataclass(frozen=True)
class Construct:
    """One construct instantiation: `new q.Cls(scope, "id", {props})` / `q.Cls(self, "id", k=v)`."""

    cls: str
    qualifier: str
    construct_id: str | None
    line: int  # the line of the id argument (of the call when there is none)
    start: int
    end: int
    props: dict[str, Prop] = field(default_factory=dict)
    variable: str = ""
    owner: str = ""  # the class it is written in

    @property
    def identity(self) -> tuple[str, str | None]:
        return (self.cls, self.construct_id)

    @property
    def label(self) -> str:
        name = f"{self.qualifier}.{self.cls}" if self.qualifier else self.cls
        return f"{name} {self.construct_id}" if self.construct_id else name


class Destroy(NamedTuple):
    """A `RemovalPolicy.DESTROY` in code, and what it is applied to."""

    line: int
    how: str  # "prop" | "apply" | "scope" | "other"
    construct: Construct | None
    target: str  # the receiver or scope text, for "apply" and "scope"
    conditional: bool
    owner: str
    text: str  # the statement line, stripped


class Flag(NamedTuple):
    """`autoDeleteObjects: true` or `emptyOnDelete: true` on a construct."""

    name: str
    line: int
    construct: Construct | None


class Source(NamedTuple):
    constructs: tuple[Construct, ...] = ()
    destroys: tuple[Destroy, ...] = ()
    flags: tuple[Flag, ...] = ()
    overrides_logical_ids: bool = False


def source_of(change: FileChange, side: str) -> Source:
    """The CDK facts of one side of a file, parsed once per run. A side rebuilt from the
    hunks of a bare diff is parsed hunk by hunk, each closed where it stops mid-call."""

    def build() -> Source:
        text = change.old_text() if side == "old" else change.new_text()
        path = (change.old_path if side == "old" else change.new_path) or ""
        if not text:
            return Source()
        language = "python" if path.endswith(".py") else "typescript"
        if not change.is_partial(side):
            return parse_source(text, language, path)
        lines = text.split("\n")
        parts = []
        for hunk in change.hunks:
            start, length = (
                (hunk.old_start, hunk.old_len) if side == "old" else (hunk.new_start, hunk.new_len)
            )
            if length <= 0:
                continue
            run = lines[start - 1 : start - 1 + length]
            closed = "\n" * (start - 1) + "\n".join(run) + "\n" + _closers(run, language)
            parts.append(parse_source(closed, language, path))
        return Source(
            constructs=tuple(c for p in parts for c in p.constructs),
            destroys=tuple(d for p in parts for d in p.destroys),
            flags=tuple(f for p in parts for f in p.flags),
            overrides_logical_ids=any(p.overrides_logical_ids for p in parts),
        )

    return change.cached(f"cdk:{side}", build)


_PAIRS = {"(": ")", "[": "]", "{": "}"}


def _closers(lines: list[str], language: str) -> str:
    """The brackets that close what `lines` leave open (strings and comments skipped)."""
    stack: list[str] = []
    comment = "#" if language == "python" else "//"
    for line in lines:
        quote = ""
        index = 0
        while index < len(line):
            char = line[index]
            if quote:
                if char == "\\":
                    index += 1
                elif char == quote:
                    quote = ""
            elif line.startswith(comment, index):
                break
            elif char in "'\"`":
                quote = char
            elif char in _PAIRS:
                stack.append(_PAIRS[char])
            elif char in ")]}" and stack and stack[-1] == char:
                stack.pop()
            index += 1
    return "".join(reversed(stack))


@cache
def _language(name: str) -> Any:
    import tree_sitter

    if name == "python":
        import tree_sitter_python

        return tree_sitter.Language(tree_sitter_python.language())
    import tree_sitter_typescript

    if name == "tsx":
        return tree_sitter.Language(tree_sitter_typescript.language_tsx())
    return tree_sitter.Language(tree_sitter_typescript.language_typescript())


_QUERIES = {
    "typescript": """
        (new_expression constructor: (_) @class arguments: (arguments) @args) @construct
        (member_expression property: (property_identifier) @name) @member
        (pair key: (_) @key value: (true)) @flag
        (call_expression
            function: (member_expression object: (call_expression) @of
                                         property: (property_identifier) @method)) @scoped
    """,
    "python": """
        (call function: [(identifier) (attribute)] @class arguments: (argument_list) @args)
            @construct
        (attribute attribute: (identifier) @name) @member
        (keyword_argument name: (identifier) @key value: (true)) @flag
        (call function: (attribute object: (call) @of attribute: (identifier) @method)) @scoped
    """,
}


@cache
def _query(language: str) -> Any:
    import tree_sitter

    source = _QUERIES["python" if language == "python" else "typescript"]
    return tree_sitter.Query(_language(language), source)


def parse_source(text: str, language: str, path: str = "") -> Source:
    """Constructs, DESTROY policies and emptying flags of a TypeScript/JavaScript or Python
    CDK source (never raises on bad syntax: tree-sitter recovers)."""
    import tree_sitter

    if language != "python" and path.endswith((".tsx", ".jsx")):
        language = "tsx"
    tree = tree_sitter.Parser(_language(language)).parse(text.encode("utf-8", "replace"))
    python = language == "python"
    lines = text.split("\n")
    constructs: dict[int, Construct] = {}
    members: list[Any] = []
    flags: list[tuple[str, Any]] = []
    scoped: list[Destroy] = []
    for _, captures in tree_sitter.QueryCursor(_query(language)).matches(tree.root_node):
        if "scoped" in captures:
            of = _text(captures["of"][0])
            match = _POLICIES_OF.match(of)
            if _text(captures["method"][0]) == "destroy" and match:
                node = captures["scoped"][0]
                line = node.start_point[0] + 1
                scoped.append(
                    Destroy(
                        line,
                        "scope",
                        None,
                        match.group(1).strip(),
                        False,
                        _owner(node),
                        lines[line - 1].strip(),
                    )
                )
        elif "construct" in captures:
            found = _construct(captures["construct"][0], captures["class"][0], python)
            if found is not None:
                constructs[captures["construct"][0].id] = found
        elif "member" in captures:
            if _text(captures["name"][0]) == "DESTROY":
                members.append(captures["member"][0])
        elif "flag" in captures:
            key = _camel(_text(captures["key"][0]).strip("\"'"))
            if key in ("autoDeleteObjects", "emptyOnDelete", "autoDeleteImages"):
                flags.append((key, captures["flag"][0]))
    destroys = tuple(
        d for m in members if (d := _destroy(m, constructs, lines, python)) is not None
    )
    destroys += tuple(scoped)
    return Source(
        constructs=tuple(sorted(constructs.values(), key=lambda c: c.start)),
        destroys=destroys,
        flags=tuple(
            Flag(name, node.start_point[0] + 1, _enclosing_construct(node, constructs))
            for name, node in flags
        ),
        overrides_logical_ids="overrideLogicalId" in text or "override_logical_id" in text,
    )


def _text(node: Any) -> str:
    return bytes(node.text or b"").decode("utf-8", "replace")


def _camel(name: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def _string(node: Any) -> str | None:
    """The value of a plain string literal (no interpolation), else None."""
    if node.type != "string":
        return None
    parts = [c for c in node.named_children if c.type not in ("string_start", "string_end")]
    if any(c.type not in ("string_fragment", "string_content") for c in parts):
        return None
    return "".join(_text(c) for c in parts)


def _construct(call: Any, cls_node: Any, python: bool) -> Construct | None:
    name = _text(cls_node)
    qualifier, _, cls = name.rpartition(".")
    if not cls[:1].isupper():
        return None
    args = call.child_by_field_name("arguments")
    if args is None:
        return None
    positional = [c for c in args.named_children if c.type not in ("keyword_argument", "comment")]
    if len(positional) < 2:
        return None
    construct_id = _string(positional[1])
    props: dict[str, Prop] = {}
    pairs: list[tuple[Any, Any]] = []
    if python:
        pairs = [
            (c.child_by_field_name("name"), c.child_by_field_name("value"))
            for c in args.named_children
            if c.type == "keyword_argument"
        ]
    elif len(positional) > 2 and positional[2].type == "object":
        pairs = [
            (c.child_by_field_name("key"), c.child_by_field_name("value"))
            for c in positional[2].named_children
            if c.type == "pair"
        ]
    for key, value in pairs:
        if key is not None and value is not None:
            props[_camel(_text(key).strip("\"'"))] = Prop(
                _text(value), value.start_point[0] + 1, value.end_point[0] + 1
            )
    return Construct(
        cls=cls,
        qualifier=qualifier,
        construct_id=construct_id,
        line=positional[1].start_point[0] + 1,
        start=call.start_point[0] + 1,
        end=call.end_point[0] + 1,
        props=props,
        variable=_assigned_to(call),
        owner=_owner(call),
    )


def _assigned_to(node: Any) -> str:
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "as_expression"):
        parent = parent.parent
    if parent is None:
        return ""
    if parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
    elif parent.type in ("assignment_expression", "assignment"):
        target = parent.child_by_field_name("left")
    else:
        return ""
    return _bare(_text(target)) if target is not None else ""


def _bare(name: str) -> str:
    return re.sub(r"^(this|self)\.", "", name.strip())


def _owner(node: Any) -> str:
    parent = node.parent
    while parent is not None:
        if parent.type in ("class_declaration", "class_definition", "class"):
            name = parent.child_by_field_name("name")
            return _text(name) if name is not None else ""
        parent = parent.parent
    return ""


_WRAPPERS = frozenset(
    {"parenthesized_expression", "ternary_expression", "conditional_expression", "as_expression"}
)


def _destroy(
    member: Any, constructs: dict[int, Construct], lines: list[str], python: bool
) -> Destroy | None:
    obj = member.child_by_field_name("object")
    if obj is None or not _text(obj).endswith("RemovalPolicy"):
        return None
    line = member.start_point[0] + 1
    node = member
    conditional = False
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
        if node.type in ("ternary_expression", "conditional_expression") and re.search(
            r"RemovalPolicy\.(RETAIN|SNAPSHOT|RETAIN_ON_UPDATE_OR_DELETE)", _text(node)
        ):
            conditional = True
    parent = node.parent
    how, construct, target = "other", None, ""
    if parent is not None and parent.type in ("pair", "keyword_argument"):
        key = parent.child_by_field_name("key" if parent.type == "pair" else "name")
        holder = _call_of(parent)
        if key is not None and _camel(_text(key).strip("\"'")) == "removalPolicy" and holder:
            construct = constructs.get(holder.id)
            how = "prop" if construct is not None else "other"
    elif parent is not None and parent.type in ("arguments", "argument_list"):
        call = parent.parent
        function = call.child_by_field_name("function") if call is not None else None
        if function is not None and function.type in ("member_expression", "attribute"):
            name = function.child_by_field_name("attribute" if python else "property")
            method = _text(name) if name is not None else ""
            receiver = function.child_by_field_name("object")
            if method in ("applyRemovalPolicy", "apply_removal_policy") and receiver is not None:
                how, target = "apply", _text(receiver)
                construct = _resolve(target, constructs)
            elif method == "apply" and receiver is not None:
                match = _POLICIES_OF.match(_text(receiver))
                if match:
                    how, target = "scope", match.group(1).strip()
    owner = _owner(member)
    return Destroy(line, how, construct, target, conditional, owner, lines[line - 1].strip())


def _call_of(pair: Any) -> Any:
    """The construct call whose props hold this pair / keyword argument."""
    node = pair.parent
    if node is not None and node.type == "object":
        node = node.parent
    if node is not None and node.type in ("arguments", "argument_list"):
        node = node.parent
    return node if node is not None and node.type in ("new_expression", "call") else None


def _resolve(receiver: str, constructs: dict[int, Construct]) -> Construct | None:
    """The construct a receiver names: `bucket`, `this.bucket`, `bucket.node.defaultChild`."""
    name = _bare(re.sub(r"\s+as\s+\w+$", "", receiver.strip("() ")))
    name = re.sub(r"\.node\.(defaultChild|default_child)$", "", name)
    found = [c for c in constructs.values() if c.variable and c.variable == name]
    return found[0] if len(found) == 1 else None


def _enclosing_construct(node: Any, constructs: dict[int, Construct]) -> Construct | None:
    holder = _call_of(node)
    return constructs.get(holder.id) if holder is not None else None
