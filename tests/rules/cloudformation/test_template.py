"""The template reader: JSON with line numbers, short-form tags, hostile input."""

import contextlib
import difflib
import json
from typing import Any

from changerisk.rules.cfn_template import canonical, parse_json
from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk.errors import InputError
from changerisk.parsers.yamldoc import parse_stream
from changerisk.testing import run_diff

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


def plain(value: Any) -> Any:
    """What `canonical` makes of a JSON value: scalars as their text, booleans lower-case."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    return value if isinstance(value, str) else json.dumps(value)


@given(JSON_VALUES, st.sampled_from([None, 1, 2, 4]))
@settings(max_examples=200, deadline=None)
def test_json_reads_what_json_writes(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    node = parse_json(text)
    assert node is not None
    assert canonical(node) == plain(value)
    assert node.end_line == text.count("\n") + 1


def test_json_keys_keep_their_lines() -> None:
    text = '{\n  "Resources": {\n    "Bucket": {\n      "Type": "AWS::S3::Bucket"\n    }\n  }\n}\n'
    node = parse_json(text)
    assert node is not None
    resources = node.get("Resources")
    assert resources is not None
    key, value = resources.entries[0]
    assert (key.value, key.line, value.line, value.end_line) == ("Bucket", 3, 3, 5)


@given(st.text(max_size=200))
@example("[" * 10_000)
@example('{"a": "\\ud800"}')
@example('{"a": 1} trailing')
@settings(max_examples=300, deadline=None)
def test_json_reader_never_crashes(text: str) -> None:
    node = parse_json(text)
    if node is not None:
        canonical(node)


def test_short_and_long_forms_read_alike() -> None:
    short = parse_stream(
        "A:\n  Name: !Ref Env\n  Arn: !GetAtt Table.Arn\n  Url: !Sub 'https://${Host}'\n"
        "  Pick: !Select [0, !GetAZs '']\n"
    ).roots[0]
    long = parse_json(
        '{"A": {"Name": {"Ref": "Env"}, "Arn": {"Fn::GetAtt": ["Table", "Arn"]},'
        ' "Url": {"Fn::Sub": "https://${Host}"},'
        ' "Pick": {"Fn::Select": ["0", {"Fn::GetAZs": ""}]}}}'
    )
    assert canonical(short) == canonical(long)


TEMPLATE = """\
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${Env}-orders"
      StreamSpecification:
        StreamViewType: !If [IsProd, NEW_IMAGE, KEYS_ONLY]
      KeySchema:
        - AttributeName: id
          KeyType: HASH
"""
LONG = """\
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName:
        Fn::Sub: "${Env}-orders"
      StreamSpecification:
        StreamViewType:
          Fn::If: [IsProd, NEW_IMAGE, KEYS_ONLY]
      KeySchema:
        - AttributeName: id
          KeyType: HASH
"""


def unified(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        [line + "\n" for line in old.split("\n")[:-1]],
        [line + "\n" for line in new.split("\n")[:-1]],
        f"a/{path}",
        f"b/{path}",
        n=3,
    )
    return f"diff --git a/{path} b/{path}\n" + "".join(lines)


def test_rewriting_short_tags_in_long_form_is_quiet() -> None:
    report = run_diff(unified("template.yaml", TEMPLATE, LONG), select=["CFN"])
    assert report.findings == ()


TOKENS = st.sampled_from(
    [
        "Resources:",
        "  Table:",
        "  Bucket:",
        "    Type: AWS::DynamoDB::Table",
        "    Type: AWS::S3::Bucket",
        "    DeletionPolicy: Retain",
        "    DeletionPolicy: !If [IsProd, Retain, Delete]",
        "    Condition: IsProd",
        "    Properties:",
        "      TableName: orders",
        "      BucketName: !Ref Name",
        "      KeySchema:",
        "        - AttributeName: id",
        "      Tags: [",
        '  "Table": {',
        '    "Type": "AWS::DynamoDB::Table",',
        '    "Properties": {"TableName": "x"}',
        "  },",
        "}",
        "{",
        "",
        "# Resources:",
        "  - !Sub '${AWS::StackName}'",
        "\t",
        "&a *a",
    ]
)


@given(
    st.lists(TOKENS, min_size=1, max_size=25),
    st.lists(TOKENS, min_size=1, max_size=25),
    st.sampled_from(["template.yaml", "stack.template.json"]),
)
@settings(max_examples=150, deadline=None)
def test_random_templates_never_crash_the_rules(old: list[str], new: list[str], path: str) -> None:
    diff = unified(path, "\n".join(["Resources:", *old]) + "\n", "\n".join(new) + "\n")
    if diff.count("\n") > 3:
        run_diff(diff, select=["CFN"])


@given(st.text(max_size=300), st.text(max_size=300))
@settings(max_examples=100, deadline=None)
def test_arbitrary_text_never_crashes_the_rules(old: str, new: str) -> None:
    old_text = "AWSTemplateFormatVersion: x\n" + old.replace("\r", "") + "\n"
    new_text = "Resources:\n" + new.replace("\r", "") + "\n"
    diff = unified("template.yaml", old_text, new_text)
    # Text the diff reader refuses (NUL bytes, invalid UTF-8) is not a rule's concern.
    with contextlib.suppress(InputError):
        run_diff(diff.encode("utf-8", "surrogatepass"), select=["CFN"])
