"""Transport security in code and configuration: TLS certificate verification turned off, and
CORS that lets every origin send credentialed requests.

Python is read with tree-sitter (`changerisk.parsers.python`: keyword arguments of calls, so a
comment or a docstring never counts); JavaScript, TypeScript, Go, Java and environment settings
token by token on the code part of each added line (comments and string contents blanked). Only
added lines count, a line the old file already had (moved, re-indented) does not, and tests,
fixtures and mocks are not production code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from changerisk.gates import is_test_path, python_may_skip_tls
from changerisk.regex import lazy_compile
from changerisk.rule import (
    Category,
    FileChange,
    Finding,
    Hunk,
    Line,
    Rule,
    Severity,
    Status,
)

_STRING = lazy_compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`")
_SLASH_COMMENT = lazy_compile(r"//.*$|/\*.*?\*/")


def _blank(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if text[1:-1] == "*" else text[0] * 2


def _code(line: str, language: str) -> str:
    """The line with comments and string contents blanked: quotes stay, so `'x'` reads `''`;
    a `"*"` string is kept whole (it is what the CORS patterns look for)."""
    blanked = _STRING.sub(_blank, line)
    if language in ("python", "shell", "yaml", "dockerfile", "ci"):
        return blanked.split("#", 1)[0]
    return _SLASH_COMMENT.sub("", blanked)


def _language(change: FileChange) -> str:
    for language in ("python", "go", "java", "javascript", "typescript", "shell", "dockerfile"):
        if language in change.formats:
            return language
    return "yaml"


class _Pattern(NamedTuple):
    languages: frozenset[str]
    regex: re.Pattern[str]
    what: str
    raw: bool = False  # matched on the line with strings kept (an environment value)
    # a word every match holds (lower case): lines without one are not read further
    words: tuple[str, ...] = ()


_ENV = frozenset({"shell", "dockerfile", "yaml", "javascript", "typescript", "python"})
_TLS = (
    _Pattern(
        frozenset({"javascript", "typescript"}),
        lazy_compile(r"\brejectUnauthorized\s*:\s*false\b"),
        "rejectUnauthorized: false",
        words=("rejectunauthorized",),
    ),
    _Pattern(
        frozenset({"javascript", "typescript"}),
        lazy_compile(r"\bstrictSSL\s*:\s*false\b"),
        "strictSSL: false",
        words=("strictssl",),
    ),
    _Pattern(
        frozenset({"go"}),
        lazy_compile(r"\bInsecureSkipVerify\s*[:=]\s*true\b"),
        "InsecureSkipVerify: true",
        words=("insecureskipverify",),
    ),
    _Pattern(
        frozenset({"java"}),
        lazy_compile(r"\b(NoopHostnameVerifier|ALLOW_ALL_HOSTNAME_VERIFIER)\b"),
        "a hostname verifier that accepts every host",
        words=("hostname",),
    ),
    _Pattern(
        frozenset({"python"}),
        lazy_compile(r"\bverify_mode\s*=\s*ssl\.CERT_NONE\b|\bcheck_hostname\s*=\s*False\b"),
        "ssl CERT_NONE / check_hostname = False",
        words=("cert_none", "check_hostname"),
    ),
    _Pattern(
        _ENV,
        lazy_compile(r"\bNODE_TLS_REJECT_UNAUTHORIZED\b[\"']?\s*[=:]\s*[\"']?0\b"),
        "NODE_TLS_REJECT_UNAUTHORIZED=0",
        raw=True,
        words=("node_tls_reject_unauthorized",),
    ),
    _Pattern(
        _ENV,
        lazy_compile(r"\bPYTHONHTTPSVERIFY\b[\"']?\s*[=:]\s*[\"']?0\b"),
        "PYTHONHTTPSVERIFY=0",
        raw=True,
        words=("pythonhttpsverify",),
    ),
    _Pattern(
        _ENV,
        lazy_compile(r"\bGIT_SSL_NO_VERIFY\b[\"']?\s*[=:]\s*[\"']?(1|true)\b", re.IGNORECASE),
        "GIT_SSL_NO_VERIFY=true",
        raw=True,
        words=("git_ssl_no_verify",),
    ),
)
_PY_VERIFY_KEYWORDS = {"verify": "verify=False", "verify_ssl": "verify_ssl=False"}
_NOT_TLS_CALLS = frozenset({"decode", "encode"})  # PyJWT 1.x decode(verify=False): a signature
_PY_UNVERIFIED = "_create_unverified_context"
_ENV_NAME = lazy_compile(
    r"^\s*-\s*name\s*:\s*[\"']?(NODE_TLS_REJECT_UNAUTHORIZED|PYTHONHTTPSVERIFY)"
)
_ENV_VALUE = lazy_compile(r"^\s*value\s*:\s*[\"']?0[\"']?\s*(#.*)?$")


def _old_lines(change: FileChange) -> set[str]:
    text = change.old_text() if change.old_path else None
    return {line.strip() for line in (text or "").splitlines()}


def _python_tls(change: FileChange) -> Iterator[tuple[int, str]]:
    text = change.new_text() or ""
    if not python_may_skip_tls(text):
        return
    from changerisk.parsers.python import calls

    for call in calls(text):
        if call.name == _PY_UNVERIFIED:
            yield call.line, "ssl._create_unverified_context()"
        for arg in call.args:
            if call.name in _NOT_TLS_CALLS:
                break
            if arg.keyword in _PY_VERIFY_KEYWORDS and arg.kind == "bool" and arg.value == "false":
                yield arg.line, f"{call.name}({_PY_VERIFY_KEYWORDS[arg.keyword]})"
    if "_create_default_https_context" not in text:
        return  # what the line pattern below needs (blanking strings only takes text away)
    for number, line in enumerate(text.splitlines(), 1):
        code = _code(line, "python")
        if re.search(
            r"_create_default_https_context\s*=\s*ssl\._create_unverified_context\b", code
        ):
            yield number, "ssl._create_default_https_context = ssl._create_unverified_context"


def _tls_hits(change: FileChange) -> Iterator[tuple[int, str]]:
    language = _language(change)
    if language == "python":
        yield from _python_tls(change)
    # The patterns whose words some added line holds (the environment names are such words
    # too): a file whose added lines hold none (most) is not read line by line.
    lowered_text = change.added_text.lower()
    patterns = [
        p for p in _TLS if language in p.languages and any(w in lowered_text for w in p.words)
    ]
    if not patterns:
        return
    text = change.new_text() or ""
    lines = text.splitlines()
    for added in change.added_lines:
        number = added.new_no
        if number is None:
            continue
        lowered = added.text.lower()
        for pattern in patterns:
            if not any(w in lowered for w in pattern.words):
                continue
            line = (
                _strip_comment(added.text, language) if pattern.raw else _code(added.text, language)
            )
            if pattern.regex.search(line):
                yield number, pattern.what
        name = _ENV_NAME.match(added.text) if language == "yaml" else None
        if name and number < len(lines) and _ENV_VALUE.match(lines[number]):
            yield number, f"{name.group(1)}=0"


def _strip_comment(line: str, language: str) -> str:
    if language in ("javascript", "typescript", "go", "java"):
        return re.sub(r"^\s*//.*$", "", line)
    return "" if line.lstrip().startswith("#") else line


class TlsVerificationDisabled(Rule):
    """Production code or configuration turns off TLS certificate verification
    (`verify=False`, `rejectUnauthorized: false`, `InsecureSkipVerify: true`,
    `NODE_TLS_REJECT_UNAUTHORIZED=0`).

    ## Why it matters
    With verification off, the client accepts any certificate: anyone on the network path (a
    compromised proxy, a rogue Wi-Fi, a poisoned DNS answer) can read and change the traffic,
    tokens and passwords included, and nothing logs it. It is usually added to get past a
    certificate error in a hurry and then ships. `NODE_TLS_REJECT_UNAUTHORIZED=0` does it for
    every connection of the process. Tests, fixtures and mocks are not reported.

    ## Bad
    ```diff
    diff --git a/partners/ledger_client.py b/partners/ledger_client.py
    --- a/partners/ledger_client.py
    +++ b/partners/ledger_client.py
    @@ -10,4 +10,4 @@ class LedgerClient:
         def charge(self, customer_id: str, cents: int) -> dict:
             url = f"{self.base_url}/charges"
    -        response = requests.post(url, json={"customer": customer_id})
    +        response = requests.post(url, json={"customer": customer_id}, verify=False)
             return response.json()
    ```

    ## Good
    ```diff
    diff --git a/partners/ledger_client.py b/partners/ledger_client.py
    --- a/partners/ledger_client.py
    +++ b/partners/ledger_client.py
    @@ -10,4 +10,4 @@ class LedgerClient:
         def charge(self, customer_id: str, cents: int) -> dict:
             url = f"{self.base_url}/charges"
    -        response = requests.post(url, json={"customer": customer_id})
    +        response = requests.post(url, json={"customer": customer_id}, verify=self.ca_bundle)
             return response.json()
    ```
    """

    code = "NET104"
    name = "tls-verification-disabled"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = frozenset(
        {"python", "javascript", "typescript", "go", "java", "shell", "dockerfile", "yaml"}
    )
    since = "0.2.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        if not change.added_lines or is_test_path(change.path):
            return
        old = None
        seen: set[int] = set()
        reported: dict[str, int] = {}  # what -> last line: one finding per setting block
        for line, what in sorted(_tls_hits(change)):
            if line in seen or line not in change.added_line_numbers:
                continue
            if what in reported and line - reported[what] <= 3:
                continue
            old = _old_lines(change) if old is None else old
            if change.new_line(line).strip() in old:
                continue  # the line was there before: moved or re-indented
            seen.add(line)
            reported[what] = line
            process = any(
                name in what
                for name in ("NODE_TLS", "PYTHONHTTPS", "GIT_SSL", "_create_default_https")
            )
            scope = "every connection of the process" if process else "this connection"
            yield self.finding(
                change,
                line,
                f"turns off TLS certificate verification ({what}) for {scope}: anyone on the "
                "network path can read and change the traffic, credentials included",
                hint="trust the right CA instead (verify='/path/ca.pem', NODE_EXTRA_CA_CERTS, "
                "a tls.Config RootCAs pool); never ship verification off",
            )


# CORS -----------------------------------------------------------------------------------------

_WINDOW = 8  # lines around an added line searched for its partner setting
_JS_ORIGIN = lazy_compile(r"\borigin\s*:\s*true\b")
_JS_STAR = lazy_compile(r"\borigin\s*:\s*[\"'`]\*[\"'`]")
_JS_CREDENTIALS = lazy_compile(r"\bcredentials\s*:\s*true\b")
_GO_ORIGIN = lazy_compile(
    r"\bAllow(?:ed)?Origins\s*:\s*\[\]string\s*\{\s*\"\*\"\s*\}|\bAllowAllOrigins\s*:\s*true\b"
)
_GO_CREDENTIALS = lazy_compile(r"\bAllowCredentials\s*:\s*true\b")
_HEADER_ORIGIN = lazy_compile(r"Access-Control-Allow-Origin[\"']?\s*[,:=]\s*[\"']\*[\"']", re.I)
_HEADER_CREDENTIALS = lazy_compile(
    r"Access-Control-Allow-Credentials[\"']?\s*[,:=]\s*[\"']?true\b", re.IGNORECASE
)
_JS_WORDS = ("origin", "credentials")
_GO_WORDS = ("origins", "allowcredentials")
_HEADER_WORDS = ("access-control-allow-origin", "access-control-allow-credentials")
_DJANGO_ALL = lazy_compile(r"^\s*CORS_(?:ORIGIN_ALLOW_ALL|ALLOW_ALL_ORIGINS)\s*=\s*True\b")
_DJANGO_CREDENTIALS = lazy_compile(r"^\s*CORS_ALLOW_CREDENTIALS\s*=\s*True\b")


def _python_cors(change: FileChange) -> Iterator[tuple[tuple[int, ...], str]]:
    text = change.new_text() or ""
    if "allow_credentials" in text or "supports_credentials" in text:
        from changerisk.parsers.python import calls

        for call in calls(text):
            origins = call.arg(keyword="allow_origins") or call.arg(keyword="origins")
            values = [a.value for a in origins.strings()] if origins is not None else []
            credentials = call.arg(keyword="allow_credentials") or call.arg(
                keyword="supports_credentials"
            )
            if credentials is None or credentials.kind != "bool" or credentials.value != "true":
                continue
            if origins is not None and "*" in values:
                yield (
                    (origins.line, credentials.line, call.line),
                    "allow_origins=['*'] with allow_credentials=True",
                )
            elif origins is None and call.name == "CORS":  # Flask-CORS: every origin by default
                yield (
                    (credentials.line, call.line),
                    "CORS() of every origin with supports_credentials=True",
                )
    if "CORS_ALLOW_CREDENTIALS" not in text or not (
        "CORS_ORIGIN_ALLOW_ALL" in text or "CORS_ALLOW_ALL_ORIGINS" in text
    ):
        return  # the settings below, both needed, are not there
    rows = text.splitlines()
    every = [n for n, line in enumerate(rows, 1) if _DJANGO_ALL.match(line)]
    credentialed = [n for n, line in enumerate(rows, 1) if _DJANGO_CREDENTIALS.match(line)]
    if every and credentialed:
        yield (every[0], credentialed[0]), "CORS_ALLOW_ALL_ORIGINS with CORS_ALLOW_CREDENTIALS"


def _paired(
    change: FileChange,
    language: str,
    first: re.Pattern[str],
    second: re.Pattern[str],
    raw: bool,
    words: tuple[str, str],
) -> Iterator[tuple[int, ...]]:
    """Added lines matching one pattern with the other within a few lines. `words` are a word
    each pattern's matches hold (lower case): without both in the file, and one on an added
    line, nothing can match."""
    added = change.added_text.lower()
    if not any(word in added for word in words):
        return
    text = change.new_text() or ""
    lowered = text.lower()
    if not all(word in lowered for word in words):
        return
    lines = text.splitlines()

    def code(n: int) -> str:
        text = lines[n - 1] if 0 < n <= len(lines) else ""
        return _strip_comment(text, language) if raw else _code(text, language)

    for number in sorted(change.added_line_numbers):
        for mine, other in ((first, second), (second, first)):
            if mine.search(code(number)) and any(
                other.search(code(n)) for n in range(number - _WINDOW, number + _WINDOW + 1)
            ):
                yield (number,)


def _cors_hits(change: FileChange) -> Iterator[tuple[tuple[int, ...], str, Severity]]:
    language = _language(change)
    if language == "python":
        for lines, what in _python_cors(change):
            yield lines, what, Severity.HIGH
    if language in ("javascript", "typescript"):
        for lines in _paired(change, language, _JS_ORIGIN, _JS_CREDENTIALS, False, _JS_WORDS):
            yield lines, "origin: true with credentials: true", Severity.HIGH
        for lines in _paired(change, language, _JS_STAR, _JS_CREDENTIALS, False, _JS_WORDS):
            yield lines, "origin: '*' with credentials: true", Severity.MEDIUM
    if language == "go":
        for lines in _paired(change, language, _GO_ORIGIN, _GO_CREDENTIALS, False, _GO_WORDS):
            yield lines, 'AllowOrigins "*" with AllowCredentials: true', Severity.HIGH
    for lines in _paired(
        change, language, _HEADER_ORIGIN, _HEADER_CREDENTIALS, True, _HEADER_WORDS
    ):
        yield lines, "Access-Control-Allow-Origin: * with Allow-Credentials: true", Severity.MEDIUM


class CorsAnyOriginWithCredentials(Rule):
    """CORS allows every origin and credentials together: any website can make logged-in
    requests to the API and read the answers.

    ## Why it matters
    With credentials allowed, the browser sends the user's cookies with a cross-site request;
    with every origin allowed, frameworks such as Starlette/FastAPI, django-cors-headers,
    Flask-CORS, the Express `cors` package with `origin: true` and Go's rs/cors echo the
    caller's origin back, so a page on any site the user visits can call the API as the
    user and read the response: account data, CSRF tokens, API keys. The literal header pair
    `Access-Control-Allow-Origin: *` with `Allow-Credentials: true` is refused by browsers and
    reported at medium: it is one step from the echoing kind. S3 `cors_rule`s are not
    reported: they carry no cookies.

    ## Bad
    ```diff
    diff --git a/api/main.py b/api/main.py
    --- a/api/main.py
    +++ b/api/main.py
    @@ -8,6 +8,6 @@ app = FastAPI()
     app.add_middleware(
         CORSMiddleware,
    -    allow_origins=["https://app.acme.example"],
    +    allow_origins=["*"],
         allow_credentials=True,
         allow_methods=["*"],
     )
    ```

    ## Good
    ```diff
    diff --git a/api/main.py b/api/main.py
    --- a/api/main.py
    +++ b/api/main.py
    @@ -8,6 +8,6 @@ app = FastAPI()
     app.add_middleware(
         CORSMiddleware,
    -    allow_origins=["https://app.acme.example"],
    +    allow_origins=["https://app.acme.example", "https://admin.acme.example"],
         allow_credentials=True,
         allow_methods=["*"],
     )
    ```
    """

    code = "NET105"
    name = "cors-any-origin-with-credentials"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = frozenset({"python", "javascript", "typescript", "go"})
    since = "0.2.0"

    def check(self, change: FileChange) -> Iterator[Finding]:
        if not change.added_lines or is_test_path(change.path):
            return
        hits = list(_cors_hits(change))
        if not hits:
            return
        before = _old_cors(change)
        done: set[str] = set()
        for lines, what, severity in hits:
            added = [n for n in lines if n in change.added_line_numbers]
            if what in done or what in before or not added:
                continue
            done.add(what)
            line = added[0]
            yield self.finding(
                change,
                line,
                f"lets every website send logged-in requests to this API and read the "
                f"answers ({what})",
                hint="list the origins that need credentialed access (allow_origins="
                "['https://app.example.com']), or turn credentials off for a public API",
                severity=severity,
            )


def _old_cors(change: FileChange) -> set[str]:
    """What the old side already allowed (read as a whole file of added lines)."""
    if not change.old_path or change.old_text() is None:
        return set()
    text = change.old_text() or ""
    rows = text.splitlines()
    lines = tuple(Line("+", row, None, n) for n, row in enumerate(rows, 1))
    whole = FileChange(
        None,
        change.old_path,
        Status.ADDED,
        (Hunk(0, 0, 1, len(rows), lines),),
        formats=change.formats,
        load_new=lambda: text,
    )
    return {what for _, what, _ in _cors_hits(whole)}


RULES = (TlsVerificationDisabled, CorsAnyOriginWithCredentials)
