from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.parsers.yamldoc import mask_templates, parse_stream, walk

MANIFESTS = """\
# leading comment
apiVersion: v1
kind: Namespace
metadata:
  name: prod
---
apiVersion: apps/v1
kind: StatefulSet
metadata: &meta
  name: db
spec:
  replicas: 0
  selector: {matchLabels: {app: db}}
---
: broken: [
---
base: &base {a: 1, b: 2}
child:
  <<: *base
  b: 3
"""


def test_documents_keep_file_lines_and_survive_a_broken_one() -> None:
    stream = parse_stream(MANIFESTS)
    assert [d.start for d in stream.documents] == [1, 6, 14, 16]
    ns, sts, broken, merged = stream.documents
    assert ns.root is not None and ns.root.text("metadata", "name") == "prod"
    assert ns.root.key_line("kind") == 3
    assert sts.root is not None and sts.root.text("spec", "replicas") == "0"
    assert sts.root.at("spec", "selector", "matchLabels", "app").line == 13  # type: ignore[union-attr]
    assert not broken.parsed and "line 15" in broken.error
    assert not stream.complete
    assert merged.root is not None and merged.root.at("child").plain() == {"a": "1", "b": "3"}  # type: ignore[union-attr]


def test_cloudformation_tags_are_kept_not_constructed() -> None:
    text = "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      DBName: !Ref Name\n      Tags: !If [c, [a], []]\n"
    root = parse_stream(text).roots[0]
    props = root.at("Resources", "Db", "Properties")
    assert props is not None
    assert props.get("DBName").plain() == {"!Ref": "Name"}  # type: ignore[union-attr]
    assert props.get("Tags").tag == "!If"  # type: ignore[union-attr]
    assert root.text("Resources", "Db", "Type") == "AWS::RDS::DBInstance"


def test_helm_templates_mask_line_for_line() -> None:
    text = (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        '  name: {{ include "app.fullname" . }}\n'
        "spec:\n"
        "  {{- if .Values.replicas }}\n"
        "  replicas: {{ .Values.replicas }}\n"
        "  {{- end }}\n"
        "  selector:\n"
        "    matchLabels:\n"
        '      {{- include "app.selectorLabels" . | nindent 6 }}\n'
    )
    masked = mask_templates(text)
    assert masked.count("\n") == text.count("\n")
    root = parse_stream(text).roots[0]
    assert root.text("kind") == "Deployment"
    assert root.key_line("spec") == 5
    assert root.at("spec").key_line("replicas") == 7  # type: ignore[union-attr]


def test_alias_bomb_and_null() -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\ne: ~\n"
    root = parse_stream(bomb).roots[0]
    assert sum(1 for _ in walk(root)) < 100
    assert root.text("e") is None and root.get("e") is not None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-{}[]&*!|> \n#'\"\t%")), max_size=200))
def test_never_raises(text: str) -> None:
    stream = parse_stream(text)
    for root in stream.roots:
        for node in walk(root):
            assert node.line >= 1
        root.plain()


def test_billion_laughs_stays_small() -> None:
    levels = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        levels.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    root = parse_stream("\n".join(levels) + "\n").roots[0]
    assert isinstance(root.plain(), dict)
