"""Property tests of the Terraform readers (HCL through tree-sitter, `.tf.json` through json):
any text, and real HCL cut and garbled, reads without an exception, and what is read is
consistent (blocks inside the text, in order, with their labels)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from changerisk.parsers.hcl import parse_hcl, parse_tf_json

HCL = """\
terraform {
  backend "s3" {
    bucket = "state"
  }
}

resource "aws_db_instance" "orders" {
  engine         = "postgres"
  identifier     = "orders-${var.env}"
  tags           = { team = "payments" }
  lifecycle {
    prevent_destroy = true
    ignore_changes  = [tags]
  }
}

module "vpc" {
  source   = "./vpc"
  for_each = toset(["a", "b"])
}

moved {
  from = aws_s3_bucket.old
  to   = aws_s3_bucket.new
}

locals {
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*" }] })
  doc    = <<-EOT
    heredoc ${upper("x")}
  EOT
}
"""


@st.composite
def garbled(draw: st.DrawFn) -> str:
    lines = HCL.split("\n")
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "cut", "dup", "insert", "brace"]))
        if op == "drop":
            del lines[at]
        elif op == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif op == "dup":
            lines.insert(at, lines[at])
        elif op == "insert":
            lines.insert(at, draw(st.text(max_size=30)).replace("\n", " "))
        else:
            lines.insert(at, draw(st.sampled_from(["{", "}", '"', "<<EOT", "/*", "*/", "${"])))
        if not lines:
            break
    return "\n".join(lines)


def _consistent(text: str) -> None:
    parsed = parse_hcl(text)
    count = text.count("\n") + 1
    previous = 0
    for block in parsed.blocks:
        assert 1 <= block.line <= block.end_line <= count + 1
        assert block.line >= previous
        previous = block.line
        assert all(isinstance(label, str) for label in block.labels)
        for line in block.lines.values():
            assert block.line <= line <= block.end_line


@settings(max_examples=300, deadline=None)
@given(garbled())
@example(HCL)
def test_garbled_hcl_reads(text: str) -> None:
    _consistent(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
@example("resource " * 2000)
@example("{" * 3000)
@example('resource "a" "b" {\n' * 500)
@example("\x00\ufeff\u202e")
def test_any_text_reads(text: str) -> None:
    _consistent(text)


def test_the_sample_reads_whole() -> None:
    kinds = [(b.kind, b.labels) for b in parse_hcl(HCL).blocks]
    assert kinds == [
        ("terraform", ()),
        ("resource", ("aws_db_instance", "orders")),
        ("module", ("vpc",)),
        ("moved", ()),
        ("locals", ()),
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_tf_json_reads_any_json(value: object) -> None:
    import json

    for document in (value, {"resource": value}, {"resource": {"aws_s3_bucket": value}}):
        parse_tf_json(json.dumps(document))
