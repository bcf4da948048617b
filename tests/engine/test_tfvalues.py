"""changerisk.parsers.tfvalues: literal values of Terraform blocks, nested blocks kept apart."""

from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.parsers.tfvalues import get, is_true, nested, parse_blocks, scalar, strings

TEXT = """resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 22
    cidr_blocks = ["0.0.0.0/0", var.extra]
  }
  ingress {
    from_port = 443
  }
  revoke_rules_on_delete = true
  tags = { Name = "web-${var.env}" }
}
"""


def test_blocks_values_and_lines() -> None:
    (block,) = parse_blocks(TEXT)
    assert (block.kind, block.type, block.address, block.line, block.end_line) == (
        "resource",
        "aws_security_group",
        "aws_security_group.web",
        1,
        12,
    )
    first, second = nested(block.body, "ingress")
    assert scalar(get(first, "from_port")) == "22" and scalar(get(second, "from_port")) == "443"
    cidrs = strings(get(first, "cidr_blocks"))
    assert [(scalar(c), c.line) for c in cidrs] == [("0.0.0.0/0", 5)]  # var.extra is opaque
    assert is_true(get(block.body, "revoke_rules_on_delete"))
    assert scalar(get(block.body, "name")) == "web"
    assert get(block.body, "missing") is None


def test_nested_blocks_inside_other_blocks_are_not_top_level() -> None:
    assert [b.kind for b in parse_blocks(TEXT + 'module "m" {\n  source = "./m"\n}\n')] == [
        "resource",
        "module",
    ]


_HCL_PIECES = st.sampled_from(
    [
        'resource "a" "b" {',
        "}",
        "{",
        "ingress {",
        'x = "0.0.0.0/0"',
        "y = [1, 2",
        "]",
        "<<EOF",
        "EOF",
        "${",
        '"',
        "z = jsonencode({",
        "})",
        "#",
        "/*",
        "*/",
        "a = b.c[0]",
        "\\",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_HCL_PIECES, st.text(max_size=20)), max_size=30))
def test_any_text_parses_without_raising(pieces: list[str]) -> None:
    for block in parse_blocks("\n".join(pieces)):
        assert block.line <= block.end_line
