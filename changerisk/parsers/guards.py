"""Where application code checks who the caller is, read with tree-sitter (Python, JavaScript
and TypeScript, Go, Java).

`surface(text, language)` returns the guarded things of a file and the places that switch a
check off:

- functions, methods and classes with their guards: decorators and annotations
  (`@login_required`, `@jwt_required()`, `@UseGuards(AuthGuard())`, `@PreAuthorize(...)`),
  FastAPI dependencies (`Depends(get_current_user)`), Django mixins (`LoginRequiredMixin`),
  DRF `permission_classes`;
- route registrations with their middleware (`router.get("/orders", auth, handler)`,
  `admin := r.Group("/admin", AuthRequired())`, `r.Use(jwt)`);
- markers: `AllowAny`, `authentication_classes = []`, `@csrf_exempt`, `@Public()`,
  `.permitAll()`, CSRF protection disabled, JWT verification disabled.

Each thing has a stable key (the qualified function name, the router and path), so old and
new can be compared: a decorator moved within the file is no removal, a renamed function is a
new function. Comments and strings are never read as code. Accepts any text, never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from changerisk.parsers.guard_words import LANGUAGES, fold
from changerisk.parsers.treesitter import parse
from changerisk.regex import lazy_compile

_MAX_BYTES = 2_000_000

# Words of decorator, annotation, middleware and dependency names that check the caller:
# `login_required`, `requireAuth`, `passport.authenticate`, `UseGuards`, `auth.required`.
_STRONG = frozenset(
    {
        "auth",
        "authn",
        "authz",
        "authenticate",
        "authenticated",
        "authentication",
        "authorize",
        "authorized",
        "authorization",
        "jwt",
        "permission",
        "permissions",
        "rbac",
        "acl",
        "guard",
        "guards",
        "passport",
        "bearer",
        "oauth",
        "oauth2",
        "csrf",
    }
)
_WEAK = frozenset(
    {
        "login",
        "logged",
        "signed",
        "admin",
        "superuser",
        "staff",
        "session",
        "token",
        "roles",
        "role",
        "scopes",
        "scope",
        "user",
        "key",
        "member",
    }
)
_QUALIFIER = frozenset(
    {
        "required",
        "require",
        "requires",
        "ensure",
        "is",
        "check",
        "verify",
        "validate",
        "only",
        "must",
        "needs",
        "has",
        "protect",
        "protected",
        "restrict",
        "restricted",
        "accepted",
        "allowed",
        "passes",
        "current",
    }
)
_EXCLUDE = frozenset(
    {
        "author",
        "authors",
        "router",
        "routes",
        "route",
        "controller",
        "callback",
        "url",
        "urls",
        "limiter",
        "limit",
        "rate",
        "logger",
        "log",
        "provider",
        "client",
        "views",
        "view",
        "form",
        "optional",
        "page",
        "redirect",
        "logout",
        "exempt",
    }
)
_SPECIAL = frozenset(
    {
        "protect",
        "protected",
        "secured",
        "authenticated",
        "deny_all",
        "roles_allowed",
        "pre_authorize",
        "post_authorize",
        "user_passes_test",
        "login_required",
        "roles",
        "permissions",
        "scopes",
    }
)
_WORD = lazy_compile(r"[a-z0-9]+")
_CAMEL = lazy_compile(r"(?<=[a-z0-9])(?=[A-Z])")
_HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "del", "all", "options", "head", "any"}
)
_ROUTERS = frozenset({"use", "group", "with", "route", "handle", "handlefunc", "mount"})
_PUBLIC_DECORATORS = lazy_compile(
    r"^(Public|AllowAnonymous|SkipAuth|NoAuth|Anonymous|PermitAll|"
    r"IsPublic|SkipJwt|Unprotected|allow_anonymous|public)$"
)
_PUBLIC_PATH = lazy_compile(
    r"(?i)health|ready|live|ping|status|version|metrics|login|logout|signup|sign-up|register|"
    r"signin|sign-in|password|reset|forgot|verify|activate|callback|oauth|token|public|static|"
    r"assets|css|js|images?|img|fonts?|favicon|webjars|error|docs|swagger|api-docs|openapi|"
    r"robots|sitemap|well-known|^/$"
)


# What a JWT marker needs (`_jwt`), as written but for `algorithms`, matched ignoring case.
_JWT_WORDS = ("verify", "Unverified", "ignoreExpiration", "UnsafeAllowNoneSignatureType")
# The assignment targets the Python reader reads (`_python_assignment`).
_ASSIGNED = (
    "permission_classes",
    "authentication_classes",
    "DEFAULT_PERMISSION_CLASSES",
    "REST_FRAMEWORK",
    "VERIFY",
)


def _python_nodes(text: str) -> tuple[bool, bool]:
    """Whether the Python reader needs the calls (only JWT markers come from them) and the
    assignments of `text`: a file without the words they need is read for its definitions."""
    calls = any(word in text for word in _JWT_WORDS) or "algorithm" in fold(text)
    return calls, any(target in text for target in _ASSIGNED)


def normalize(name: str) -> str:
    """`requireAuth`, `RequireAuth` and `require_auth` read alike."""
    return _CAMEL.sub("_", name.rsplit(".", 1)[-1]).lower()


def _words(name: str) -> set[str]:
    return set(_WORD.findall(_CAMEL.sub("_", name).lower()))


def is_guard(name: str) -> bool:
    """Whether a decorator, middleware or dependency name reads as an access check."""
    name = name.strip().split("(")[0]
    receiver, _, base = name.rpartition(".")
    words = _words(base)
    if not words:
        return False
    if normalize(base) in _SPECIAL:
        return True
    if not words & _EXCLUDE:
        if words & _STRONG:
            return True
        if words & _WEAK and words & _QUALIFIER:
            return True
    # `auth.required`, `authController.protect`: a checking verb on an auth object
    return (
        bool(receiver)
        and bool(words & _QUALIFIER - {"current"})
        and bool(_words(receiver) & _STRONG)
        and not words & _EXCLUDE
    )


def is_auth_dependency(name: str) -> bool:
    """`Depends(get_current_user)`, `Security(oauth2_scheme)`; not `Depends(get_db)`."""
    words = _words(name.rsplit(".", 1)[-1])
    return (
        bool(
            words & _STRONG
            or {"current", "user"} <= words
            or (words & _WEAK and words & _QUALIFIER)
        )
        and not words & _EXCLUDE
    )


@dataclass(frozen=True)
class Guarded:
    """A function, class or route, and the guards on it (guard -> line)."""

    key: str
    label: str
    line: int
    guards: dict[str, int] = field(default_factory=dict)
    kind: str = "function"  # "function" | "class" | "route" | "router"


class Marker(NamedTuple):
    """A place that switches a check off: `kind` says which, `scope` is the key it sits in."""

    kind: str
    line: int
    scope: str
    detail: str = ""


@dataclass(frozen=True)
class Surface:
    guarded: dict[str, Guarded] = field(default_factory=dict)
    markers: tuple[Marker, ...] = ()
    receivers: frozenset[str] = frozenset()  # every router/app name that registers something


def surface(text: str, language: str, path: str = "") -> Surface:
    data = text.encode("utf-8", "replace")
    if len(data) > _MAX_BYTES or language not in LANGUAGES:
        return Surface()

    tree = parse(_language(language, path.endswith(".tsx")), data)
    if tree is None:
        return Surface()
    reader = _Reader(language, data)
    calls, assignments = _python_nodes(text) if language == "python" else (True, True)
    reader.read(tree.root_node, _query(language, path.endswith(".tsx"), calls, assignments))
    return Surface(reader.guarded, tuple(reader.markers), frozenset(reader.receivers))


@cache
def _language(language: str, tsx: bool = False) -> Any:
    import tree_sitter

    if language == "python":
        import tree_sitter_python

        return tree_sitter.Language(tree_sitter_python.language())
    if language == "go":
        import tree_sitter_go

        return tree_sitter.Language(tree_sitter_go.language())
    if language == "java":
        import tree_sitter_java

        return tree_sitter.Language(tree_sitter_java.language())
    import tree_sitter_typescript

    if tsx or language == "javascript":
        return tree_sitter.Language(tree_sitter_typescript.language_tsx())
    return tree_sitter.Language(tree_sitter_typescript.language_typescript())


_QUERY_CALLS = {
    "python": ("call", "assignment"),
    "javascript": ("call_expression",),
    "typescript": ("call_expression",),
    "go": ("call_expression",),
    "java": ("method_invocation",),
}


@cache
def _query(language: str, tsx: bool = False, calls: bool = True, assignments: bool = True) -> Any:
    """One query for every node the reader looks at: definitions, calls, Python assignments
    (without the calls or the assignments when the text cannot need them). Matching runs in
    tree-sitter; Python then sees those nodes only, not the whole tree."""
    import tree_sitter

    types = [*_DEF_TYPES[language]]
    for kind in _QUERY_CALLS[language]:
        wanted = assignments if kind == "assignment" else calls
        if wanted:
            types.append(kind)
    pattern = "[" + " ".join(f"({kind})" for kind in types) + "] @node"
    return tree_sitter.Query(_language(language, tsx), pattern)


def _text(node: Any) -> str:
    data: bytes = node.text or b""
    return data.decode("utf-8", "replace")


def _line(node: Any) -> int:
    return int(node.start_point.row) + 1


def _string_value(node: Any) -> str | None:
    if node.type in (
        "string",
        "interpreted_string_literal",
        "raw_string_literal",
        "string_literal",
        "template_string",
    ):
        raw = _text(node)
        if node.type == "template_string" and "${" in raw:
            return None
        return raw.strip("`'\"").removeprefix("r").strip("'\"") if raw else ""
    return None


_CALL_TYPES = frozenset({"call", "call_expression", "method_invocation"})
_DEF_TYPES = {
    "python": {"function_definition": "function", "class_definition": "class"},
    "javascript": {
        "method_definition": "function",
        "class_declaration": "class",
        "function_declaration": "function",
    },
    "typescript": {
        "method_definition": "function",
        "class_declaration": "class",
        "function_declaration": "function",
        "abstract_class_declaration": "class",
    },
    "go": {"function_declaration": "function", "method_declaration": "function"},
    "java": {
        "method_declaration": "function",
        "class_declaration": "class",
        "constructor_declaration": "function",
        "interface_declaration": "class",
    },
}


class _Reader:
    def __init__(self, language: str, source: bytes = b"") -> None:
        self.language = language
        # what the file's text rules out, so most nodes need not be read as text
        self.dependencies = b"Depends" in source or b"Security" in source
        self.unsafe_none = b"UnsafeAllowNoneSignatureType" in source
        self.guarded: dict[str, Guarded] = {}
        self.markers: list[Marker] = []
        self.receivers: set[str] = set()
        self.route_counts: dict[str, int] = {}

    def read(self, root: Any, query: Any) -> None:
        """The definitions, calls and assignments of the tree in document order (the order of
        a pre-order walk), each with the names of the definitions around it."""
        import tree_sitter

        captured = tree_sitter.QueryCursor(query).captures(root)
        nodes = sorted(
            (node for found in captured.values() for node in found),
            key=lambda node: (node.start_byte, -node.end_byte),
        )
        defs = _DEF_TYPES[self.language]
        around: list[tuple[int, tuple[str, ...]]] = []  # (end byte, scopes) of open definitions
        for node in nodes:
            while around and node.start_byte >= around[-1][0]:
                around.pop()
            scopes = around[-1][1] if around else ()
            kind = defs.get(node.type)
            if kind is not None:
                name_node = node.child_by_field_name("name")
                if name_node is not None:
                    name = _text(name_node)
                    if node.type == "method_declaration" and self.language == "go":
                        receiver = node.child_by_field_name("receiver")
                        name = (
                            f"{_receiver_type(receiver)}.{name}" if receiver is not None else name
                        )
                    scopes = (*scopes, name)
                    self._definition(node, kind, scopes)
                    around.append((node.end_byte, scopes))
            elif node.type in _CALL_TYPES:
                self._call(node, scopes)
            elif node.type == "assignment" and self.language == "python":
                self._python_assignment(node, scopes)

    # definitions -------------------------------------------------------------------------

    def _definition(self, node: Any, kind: str, scopes: tuple[str, ...]) -> None:
        key = ".".join(scopes)
        if self.language == "java" and kind == "function":
            params = node.child_by_field_name("parameters")
            count = len(params.named_children) if params is not None else 0
            key = f"{key}/{count}"
        guards: dict[str, int] = {}
        for decorator in self._decorators(node):
            self._decorator(decorator, key, guards)
        if kind == "class" and self.language == "python":
            self._python_class(node, key, guards)
        if kind == "function" and self.language == "python":
            self._python_dependencies(node, guards)
        label = f"class {'.'.join(scopes)}" if kind == "class" else f"{'.'.join(scopes)}()"
        self.guarded[key] = Guarded(key, label, _line(node), guards, kind)

    def _decorators(self, node: Any) -> list[Any]:
        # (a decorator or annotation is read only as written, with its "@": not one that
        # tree-sitter's error recovery completed; `may_guard` counts on it)
        if self.language == "python":
            parent = node.parent
            if parent is not None and parent.type == "decorated_definition":
                return [c for c in parent.named_children if c.type == "decorator" and _at(c)]
            return []
        if self.language == "java":
            modifiers = next((c for c in node.children if c.type == "modifiers"), None)
            if modifiers is None:
                return []
            return [c for c in modifiers.named_children if "annotation" in c.type and _at(c)]
        if self.language in ("javascript", "typescript"):
            found = [c for c in node.children if c.type == "decorator"]
            sibling = node.prev_named_sibling
            while sibling is not None and sibling.type == "decorator":
                found.append(sibling)
                sibling = sibling.prev_named_sibling
            parent = node.parent
            if parent is not None and parent.type == "export_statement":
                found.extend(c for c in parent.children if c.type == "decorator")
            return found
        return []

    def _decorator(self, decorator: Any, key: str, guards: dict[str, int]) -> None:
        expression = next(iter(decorator.named_children), None)
        if expression is None:
            return
        if self.language == "java":
            name_node = decorator.child_by_field_name("name")
            name = _text(name_node) if name_node is not None else ""
            args = decorator.child_by_field_name("arguments")
        else:
            callee = (
                expression.child_by_field_name("function")
                if expression.type in ("call", "call_expression")
                else expression
            )
            name = _text(callee) if callee is not None else ""
            args = (
                expression.child_by_field_name("arguments")
                if expression.type in ("call", "call_expression")
                else None
            )
        base = name.rsplit(".", 1)[-1]
        line = _line(decorator)
        if base in ("csrf_exempt",):
            self.markers.append(Marker("csrf-exempt", line, key))
            return
        if _PUBLIC_DECORATORS.match(base):
            self.markers.append(Marker("public", line, key, f"@{base}"))
            return
        if base in ("PermitAll",):
            self.markers.append(Marker("public", line, key, "@PermitAll"))
            return
        if base == "method_decorator" and args is not None:
            for arg in args.named_children:
                inner = _text(arg).split("(")[0]
                if is_guard(inner):
                    guards["@" + inner.rsplit(".", 1)[-1]] = line
                elif inner.rsplit(".", 1)[-1] == "csrf_exempt":
                    self.markers.append(Marker("csrf-exempt", line, key))
            return
        if base in ("permission_classes",) and args is not None:
            names = _names(_text(args))
            if names and not names <= {"AllowAny"}:
                guards[f"permission_classes({', '.join(sorted(names))})"] = line
            elif "AllowAny" in names:
                self.markers.append(Marker("allow-any", line, key))
            return
        if base in ("authentication_classes",):
            return
        if args is not None and self.language == "python":
            self._python_dependencies(args, guards)
        if is_guard(name):
            guards["@" + base] = line

    # Python specifics ----------------------------------------------------------------------

    def _python_class(self, node: Any, key: str, guards: dict[str, int]) -> None:
        bases = node.child_by_field_name("superclasses")
        if bases is not None:
            for base in bases.named_children:
                name = _text(base).rsplit(".", 1)[-1]
                if re.search(
                    r"(LoginRequired|PermissionRequired|UserPassesTest|StaffRequired|"
                    r"SuperuserRequired|Auth\w*Required|ObjectPermissionRequired)Mixin$",
                    name,
                ):
                    guards[name] = _line(base)

    def _python_assignment(self, node: Any, scopes: tuple[str, ...]) -> None:
        if node.type != "assignment":
            return
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            return
        target = _text(left)
        key = ".".join(scopes)
        line = _line(node)
        names = _names(_text(right))
        if target == "permission_classes":
            if names and not names <= {"AllowAny"}:
                guarded = self.guarded.get(key)
                if guarded is not None:
                    guarded.guards[f"permission_classes({', '.join(sorted(names))})"] = line
            elif "AllowAny" in names or _text(right).strip() in ("[]", "()"):
                self.markers.append(Marker("allow-any", line, key))
        elif target == "authentication_classes" and _text(right).strip() in ("[]", "()"):
            self.markers.append(Marker("no-authentication", line, key))
        elif target in ("DEFAULT_PERMISSION_CLASSES",) or (
            target.endswith("]") and "DEFAULT_PERMISSION_CLASSES" in target
        ):
            if "AllowAny" in _text(right):
                self.markers.append(Marker("default-allow-any", line, key))
        elif target == "REST_FRAMEWORK" and "AllowAny" in _text(right):
            for offset, text in enumerate(_text(right).splitlines()):
                if "AllowAny" in text:
                    self.markers.append(Marker("default-allow-any", line + offset, key))
        elif re.fullmatch(r"(JWT_)?VERIFY(_SIGNATURE)?|JWT_VERIFY_EXPIRATION", target) and (
            _text(right).strip() == "False"
        ):
            self.markers.append(Marker("jwt-unverified", line, key, f"{target} = False"))

    def _python_dependencies(self, node: Any, guards: dict[str, int]) -> None:
        if not self.dependencies:
            return
        for call in _descendants(node, "call"):
            function = call.child_by_field_name("function")
            if function is None or _text(function).rsplit(".", 1)[-1] not in (
                "Depends",
                "Security",
            ):
                continue
            args = call.child_by_field_name("arguments")
            first = next(iter(args.named_children), None) if args is not None else None
            if first is None:
                continue
            name = _text(first).split("(")[0]
            if is_auth_dependency(name):
                guards[f"Depends({name.rsplit('.', 1)[-1]})"] = _line(call)

    # calls ---------------------------------------------------------------------------------

    def _call(self, node: Any, scopes: tuple[str, ...]) -> None:
        if self.language == "java":
            self._java_call(node, scopes)
            return
        function = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if function is None or args is None:
            return
        name, receiver = _callee(function)
        self._jwt(node, name, receiver, args, scopes)
        if self.language == "python":
            return
        lowered = name.lower()
        if not receiver or (lowered not in _HTTP_METHODS and lowered not in _ROUTERS):
            return
        self.receivers.add(receiver)
        arguments = [a for a in args.named_children if a.type != "comment"]
        path = _string_value(arguments[0]) if arguments else None
        if lowered in _HTTP_METHODS and path is None:
            return  # `map.get(key)`, `axios.get(url)` with a variable: not a route
        if lowered in _HTTP_METHODS and len(arguments) < 2:
            return
        rest = arguments[1:] if path is not None else arguments
        handler = (
            rest[-1:] if lowered in _HTTP_METHODS or lowered in ("handle", "handlefunc") else []
        )
        middleware = rest[:-1] if handler else rest
        guards: dict[str, int] = {}
        for arg in middleware:
            for guard in _guard_names(arg):
                guards[guard] = _line(arg)
        for arg in handler:  # http.Handle("/admin", requireAuth(admin))
            if arg.type in _CALL_TYPES:
                inner = arg.child_by_field_name("function")
                if inner is not None and is_guard(_text(inner)):
                    guards[_text(inner).rsplit(".", 1)[-1]] = _line(arg)
        if lowered == "group" and self.language == "go":
            target = _assigned_name(node)
            if target:
                key = f"{target}.Use"
                entry = self.guarded.setdefault(
                    key,
                    Guarded(key, f"route group {target} ({path or ''})", _line(node), {}, "router"),
                )
                entry.guards.update(guards)
            return
        if lowered in ("use", "with") and path is None:
            key = f"{receiver}.{'Use' if lowered == 'use' else 'With'}"
            label = f"every route of {receiver}"
        else:
            verb = name.upper() if lowered in _HTTP_METHODS else name
            key = f"{receiver}.{verb} {path if path is not None else '?'}"
            label = (
                f"route {verb} {path} of {receiver}" if path is not None else (f"{receiver}.{name}")
            )
        entry = self.guarded.setdefault(
            key, Guarded(key, label, _line(node), {}, "router" if lowered == "use" else "route")
        )
        entry.guards.update(guards)

    def _jwt(self, node: Any, name: str, receiver: str, args: Any, scopes: tuple[str, ...]) -> None:
        jwt = name in ("decode", "verify", "jwtVerify", "Parse", "ParseWithClaims") or (
            "jwt" in receiver.lower()
        )
        if not (jwt or name == "ParseUnverified" or self.unsafe_none):
            return
        text = _text(args)
        key = ".".join(scopes)
        line = _line(node)
        if jwt:
            if re.search(r"""["']verify_signature["']\s*:\s*False\b""", text):
                self.markers.append(Marker("jwt-unverified", line, key, "verify_signature: False"))
            elif re.search(r"\bverify\s*=\s*False\b", text):
                self.markers.append(Marker("jwt-unverified", line, key, "verify=False"))
            if re.search(r"""algorithms?\s*[=:]\s*\[?\s*["']none["']""", text, re.I):
                self.markers.append(Marker("jwt-none", line, key, 'algorithm "none"'))
            if re.search(r"\bignoreExpiration\s*:\s*true\b", text):
                self.markers.append(Marker("jwt-expiry", line, key, "ignoreExpiration: true"))
            if re.search(r"""["']verify_exp["']\s*:\s*False\b""", text):
                self.markers.append(Marker("jwt-expiry", line, key, "verify_exp: False"))
        if name == "ParseUnverified":
            self.markers.append(Marker("jwt-unread", line, key, "ParseUnverified"))
        if "UnsafeAllowNoneSignatureType" in text:
            self.markers.append(Marker("jwt-none", line, key, "UnsafeAllowNoneSignatureType"))

    def _java_call(self, node: Any, scopes: tuple[str, ...]) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = _text(name_node)
        key = ".".join(scopes)
        obj = node.child_by_field_name("object")
        if name == "permitAll" and obj is not None:
            target = _text(obj)
            paths = re.findall(
                r'"([^"]*)"',
                target.rsplit("requestMatchers", 1)[-1]
                if "requestMatchers" in target
                else target.rsplit("(", 1)[-1],
            )
            if re.search(r"anyRequest\s*\(\s*\)\s*$", target):
                self.markers.append(Marker("permit-all", _line(name_node), key, "anyRequest()"))
            elif paths and not all(_PUBLIC_PATH.search(p) for p in paths):
                self.markers.append(Marker("permit-all", _line(name_node), key, ", ".join(paths)))
        elif name == "disable" and obj is not None and re.search(r"\bcsrf\s*\(\s*\)$", _text(obj)):
            self.markers.append(Marker("csrf-disabled", _line(name_node), key))
        elif name == "csrf":
            args = node.child_by_field_name("arguments")
            if args is not None and re.search(r"::disable|\.disable\(\)", _text(args)):
                self.markers.append(Marker("csrf-disabled", _line(node), key))


def _at(node: Any) -> bool:
    return bool((node.text or b"").startswith(b"@"))


def _descendants(node: Any, kind: str) -> list[Any]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            out.append(current)
        stack.extend(current.children)
    return out


def _names(text: str) -> set[str]:
    return {m.rsplit(".", 1)[-1] for m in re.findall(r"[A-Za-z_][\w.]*", text)}


def _callee(function: Any) -> tuple[str, str]:
    if function.type in ("member_expression", "attribute", "selector_expression"):
        prop = (
            function.child_by_field_name("property")
            or function.child_by_field_name("attribute")
            or function.child_by_field_name("field")
        )
        obj = function.child_by_field_name("object") or function.child_by_field_name("operand")
        return (_text(prop) if prop is not None else "", _text(obj) if obj is not None else "")
    return _text(function), ""


def _guard_names(node: Any) -> list[str]:
    """Guards among a middleware argument: `auth`, `auth.required`, `requireRole('admin')`,
    `passport.authenticate('jwt')`, `[auth, admin]`."""
    if node.type in ("array", "list", "composite_literal"):
        return [g for child in node.named_children for g in _guard_names(child)]
    if node.type in _CALL_TYPES:
        function = node.child_by_field_name("function")
        name = _text(function) if function is not None else ""
    elif node.type in ("identifier", "member_expression", "selector_expression", "attribute"):
        name = _text(node)
    else:
        return []
    return [name] if is_guard(name) else []


def _assigned_name(node: Any) -> str:
    parent = node.parent
    while parent is not None and parent.type in ("expression_list",):
        parent = parent.parent
    if parent is not None and parent.type in ("short_var_declaration", "assignment_statement"):
        left = parent.child_by_field_name("left")
        if left is not None:
            return _text(left).split(",")[0].strip()
    return ""


def _receiver_type(receiver: Any) -> str:
    text = _text(receiver).strip("()")
    return text.split()[-1].lstrip("*") if text.split() else ""
