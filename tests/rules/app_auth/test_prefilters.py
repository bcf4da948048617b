"""The auth rules parse a side of a file only when its text holds a word a guard or a marker
needs (`may_guard`, `may_mark`): these tests show the words cover every guard and marker the
reader finds, and that findings on the edge of the filters still fire."""

from __future__ import annotations

import difflib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.parsers import guards
from changerisk.parsers.guard_words import may_guard, may_mark
from changerisk.parsers.guards import surface
from changerisk.testing import run_diff


def diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), f"a/{path}", f"b/{path}", lineterm="", n=3
    )
    return f"diff --git a/{path} b/{path}\n" + "\n".join(lines) + "\n"


def findings(path: str, old: str, new: str) -> set[tuple[str, str, int, str, str, str]]:
    report = run_diff(diff(path, old, new), select=["AUTH"])
    return {(f.code, f.path, f.line, f.side, f.severity.label, f.message) for f in report.findings}


# --- the words cover the reader's vocabularies --------------------------------------------------


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_every_guard_word_and_special_name_passes() -> None:
    for word in sorted(guards._STRONG | guards._WEAK | guards._SPECIAL):
        for form in (word, word.upper(), camel(word), camel(word).title()):
            assert may_guard(f"x = {form}"), form
    for mixin in ("LoginRequired", "PermissionRequired", "UserPassesTest", "StaffRequired"):
        assert may_guard(f"class V({mixin}Mixin): pass")
    assert may_guard("class V(AuthTokenRequiredMixin): pass")
    assert may_guard("class V(SuperuserRequiredMixin, ObjectPermissionRequiredMixin): pass")


def test_every_marker_name_passes() -> None:
    decorators = guards._PUBLIC_DECORATORS.pattern.strip("^()$").split("|")
    names = [*decorators, "csrf_exempt", "permission_classes", "authentication_classes"]
    names += ["AllowAny", "VERIFY", "JWT_VERIFY_EXPIRATION", "verify_signature", "verify_exp"]
    names += ["ParseUnverified", "UnsafeAllowNoneSignatureType", "ignoreExpiration"]
    names += ["algorithms", "permitAll", "csrf"]
    for name in names:
        assert may_mark(f"x = {name}"), name


def test_texts_without_the_words_are_skipped() -> None:
    assert not may_guard("def total(items):\n    return sum(i.price for i in items)\n")
    assert not may_mark("@property\ndef name(self):\n    return self._name\n")


# --- what the reader finds in generated code, the filters let through -----------------------

WORDS = sorted(guards._STRONG | guards._WEAK | guards._QUALIFIER | guards._EXCLUDE)
WORDS += [*sorted(guards._SPECIAL), "get", "db", "handler", "view", "x", "Depends", "Security"]
WORD = st.sampled_from(WORDS)


@st.composite
def identifier(draw: st.DrawFn) -> str:
    parts = draw(st.lists(WORD, min_size=1, max_size=3))
    style = draw(st.sampled_from(["snake", "camel", "pascal", "dotted"]))
    if style == "snake":
        return "_".join(parts)
    if style == "dotted":
        return ".".join(parts)
    name = camel("_".join(parts))
    return name[:1].upper() + name[1:] if style == "pascal" else name


PY = [
    "@{a}\ndef view(request):\n    return 1\n",
    "@{a}({b})\n@{c}\ndef view(request):\n    return 1\n",
    "@method_decorator({a}, name='dispatch')\nclass V(View):\n    pass\n",
    "class V({a}Mixin, View):\n    permission_classes = [{b}]\n    authentication_classes = []\n",
    "def f(u=Depends({a}), s=Security({b})):\n    pass\n",
    "{a} = [{b}]\nREST_FRAMEWORK = {{'DEFAULT_PERMISSION_CLASSES': ['{c}']}}\n",
    "claims = {a}.decode(t, options={{'verify_signature': False}}, algorithms=['none'])\n",
    "REST_FRAMEWORK = {{\n    '{a}': [\n        'rest_framework.permissions.AllowAny',\n    ]\n}}\n",
    "JWT_VERIFY = False\nx = {a}\n",
    "class V(APIView):\n    authentication_classes = []\n    x = {a}\n",
    "DEFAULT_PERMISSION_CLASSES = ['{a}.AllowAny']\n",
    "class V:\n    permission_classes = []\n    {a} = {b}.verify(x)\n",
    "@{a}\nclass V(APIView):\n    @{b}\n    def get(self, request):\n        return 1\n",
]
JS = [
    "router.get('/orders', {a}, handler);\napp.use({b});\n",
    "app.post('/x', [{a}, {b}], h);\nhttp.handle('/y', {c}(h));\n",
    "@Controller()\nexport class C {{\n  @{a}()\n  @UseGuards({b})\n  list() {{ return 1; }}\n}}\n",
    "const c = {a}.verify(token, key, {{ ignoreExpiration: true }});\n",
]
GO = [
    'func r() {{\n  admin := r.Group("/admin", {a}())\n  admin.GET("/x", {b}, h)\n}}\n',
    'func r() {{\n  e.Use({a})\n  jwt.ParseUnverified(s, c)\n  http.Handle("/x", {b}(h))\n}}\n',
]
JAVA = [
    'class C {{\n  @{A}\n  public void f() {{}}\n  @{B}("x")\n  void g(int a) {{}}\n}}\n',
    "class S {{\n  void c(H h) {{ h.csrf().disable(); h.{a}().anyRequest().permitAll(); }}\n}}\n",
]
PROGRAMS = st.one_of(
    st.tuples(st.just("python"), st.sampled_from(PY)),
    st.tuples(st.sampled_from(["javascript", "typescript"]), st.sampled_from(JS)),
    st.tuples(st.just("go"), st.sampled_from(GO)),
    st.tuples(st.just("java"), st.sampled_from(JAVA)),
)


@settings(max_examples=300, deadline=None)
@given(PROGRAMS, identifier(), identifier(), identifier())
def test_generated_guards_and_markers_pass_the_filters(
    program: tuple[str, str], a: str, b: str, c: str
) -> None:
    language, template = program
    text = template.format(a=a, b=b, c=c, A=a[:1].upper() + a[1:], B=b[:1].upper() + b[1:])
    found = surface(text, language)
    if any(g.guards for g in found.guarded.values()):
        assert may_guard(text, language)
    if found.markers:
        assert may_mark(text)
    assert found == read_whole(text, language)


@pytest.mark.parametrize(
    "names", [("login_required", "IsAuthenticated", "x"), ("jwt", "db", "get")]
)
def test_every_template_reads_alike(names: tuple[str, str, str]) -> None:
    a, b, c = names
    for language, templates in (
        ("python", PY),
        ("typescript", JS),
        ("go", GO),
        ("java", JAVA),
    ):
        for template in templates:
            text = template.format(a=a, b=b, c=c, A=a.title(), B=b.title())
            found = surface(text, language)
            assert found == read_whole(text, language), text
            if any(g.guards for g in found.guarded.values()):
                assert may_guard(text, language), text
            if found.markers:
                assert may_mark(text), text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*"@()[]{}.,:=\n '\"_", *WORDS]), max_size=40).map("".join))
def test_word_soup_guards_and_markers_pass_the_filters(text: str) -> None:
    for language in ("python", "javascript", "go", "java"):
        found = surface(text, language)
        if any(g.guards for g in found.guarded.values()):
            assert may_guard(text, language)
        if found.markers:
            assert may_mark(text)
        assert found == read_whole(text, language)


def read_whole(text: str, language: str) -> guards.Surface:
    """The surface read from every definition, call and assignment, whatever the text."""
    narrow = guards._python_nodes
    guards._python_nodes = lambda text: (True, True)
    try:
        return surface(text, language)
    finally:
        guards._python_nodes = narrow


def test_python_guards_need_their_syntax() -> None:
    """A Python text whose words could name a guard, without a decorator, a mixin base,
    `permission_classes` or a dependency, holds none."""
    text = "def current_user(request):\n    return request.user.is_authenticated\n"
    assert not may_guard(text, "python")
    assert may_guard(text, "javascript")
    assert may_guard("@login_required\ndef f(request):\n    pass\n", "python")


def test_case_folded_jwt_algorithm_names_pass() -> None:
    """`algorithms=["none"]` is matched ignoring case, which reads a dotless or dotted capital
    `i` as `i`: the marker filter folds them alike."""
    for spelling in ("algorithms", "ALGORITHMS", "algor\u0131thms", "algor\u0130thms"):
        text = f"claims = jwt.decode(token, KEY, {spelling}=['none'])\n"
        assert surface(text, "python").markers, spelling
        assert may_mark(text), spelling
        assert read_whole(text, "python") == surface(text, "python")


# --- findings on the edge of the filters still fire -------------------------------------------

VIEWS = """\
@login_required
def refund(request, pk):
    return do_refund(pk)
"""


def test_a_guard_lost_by_lines_that_name_no_guard_still_fires() -> None:
    """The changed lines hold no guard word: a function slipped in between the decorator and
    the view takes the decorator. The old text holds it, so both sides are read."""
    new = VIEWS.replace("@login_required\n", "@login_required\ndef helper():\n    pass\n\n\n")
    assert not any(re.search(r"login|auth|user", line) for line in new.splitlines()[1:5])
    assert findings("shop/views.py", VIEWS, new) == {
        (
            "AUTH101",
            "shop/views.py",
            6,
            "new",
            "high",
            "removes @login_required from refund(): anyone who reaches it can call it "
            "without logging in",
        )
    }


def test_a_guard_removed_with_its_word_only_in_the_removed_lines_still_fires() -> None:
    new = VIEWS.replace("@login_required\n", "")
    assert not may_guard(new)
    assert findings("shop/views.py", VIEWS, new) == {
        (
            "AUTH101",
            "shop/views.py",
            1,
            "old",
            "high",
            "removes @login_required from refund(): anyone who reaches it can call it "
            "without logging in",
        )
    }


def test_a_marker_whose_word_is_on_a_context_line_still_fires() -> None:
    """The call starts on the added line; the word the marker needs is on a line that stays."""
    old = "def load(token):\n    claims = parse(\n        token, options={'verify_signature': False}\n    )\n"
    new = old.replace("claims = parse(", "claims = jwt.decode(")
    assert findings("app/auth.py", old, new) == {
        (
            "AUTH103",
            "app/auth.py",
            2,
            "new",
            "high",
            "decodes JWTs without checking the signature (verify_signature: False): anyone "
            "can forge a token for any user",
        )
    }


def test_a_marker_on_an_old_text_without_guard_words_reads_the_old_side() -> None:
    """No guard word in the old text, so AUTH101 has nothing to read there; the new marker
    still needs the old side to tell that the view existed (high, not low)."""
    old = "class InvoiceViewSet(viewsets.ModelViewSet):\n    queryset = Invoice.objects.all()\n"
    new = old + "    permission_classes = [AllowAny]\n"
    assert not may_guard(old)
    assert findings("api/views.py", old, new) == {
        (
            "AUTH102",
            "api/views.py",
            3,
            "new",
            "high",
            "lets anyone call class InvoiceViewSet (permission_classes = AllowAny)",
        )
    }
