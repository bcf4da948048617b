"""NET104 tls-verification-disabled and NET105 cors-any-origin-with-credentials."""

import difflib

import pytest
from changerisk.rules.transport import (
    CorsAnyOriginWithCredentials,
    TlsVerificationDisabled,
    is_test_path,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.model import Severity
from changerisk.testing import run_diff

RULES = [TlsVerificationDisabled, CorsAnyOriginWithCredentials]


def diff(path: str, old: str | None, new: str | None, context: int = 3) -> str:
    """A `git diff`-shaped unified diff of two texts (None: the file is absent)."""
    before = (old or "").splitlines(keepends=True)
    after = (new or "").splitlines(keepends=True)
    head = f"diff --git a/{path} b/{path}\n"
    if old is None:
        head += "new file mode 100644\n"
    source = f"a/{path}" if old is not None else "/dev/null"
    target = f"b/{path}" if new is not None else "/dev/null"
    return head + "".join(difflib.unified_diff(before, after, source, target, n=context))


def run(text: str) -> list[tuple[str, str, int, str, Severity]]:
    report = run_diff(text, rules=RULES)
    return [(f.code, f.path, f.line, f.message, f.severity) for f in report.findings]


TLS = (
    "turns off TLS certificate verification ({what}) for {scope}: anyone on the network "
    "path can read and change the traffic, credentials included"
)
CLIENT = """import requests


def fetch(url: str) -> dict:
    response = requests.get(url, timeout=10)
    return response.json()
"""


def test_requests_verify_false() -> None:
    new = CLIENT.replace("timeout=10)", "timeout=10, verify=False)")
    assert run(diff("app/client.py", CLIENT, new)) == [
        (
            "NET104",
            "app/client.py",
            5,
            TLS.format(what="get(verify=False)", scope="this connection"),
            Severity.HIGH,
        )
    ]


@pytest.mark.parametrize(
    ("path", "line", "what", "scope"),
    [
        (
            "src/agent.ts",
            "const agent = new https.Agent({ rejectUnauthorized: false });",
            "rejectUnauthorized: false",
            "this connection",
        ),
        (
            "cmd/sync/main.go",
            "tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}",
            "InsecureSkipVerify: true",
            "this connection",
        ),
        (
            "Dockerfile",
            "ENV NODE_TLS_REJECT_UNAUTHORIZED=0",
            "NODE_TLS_REJECT_UNAUTHORIZED=0",
            "every connection of the process",
        ),
        (
            "src/boot.js",
            "process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';",
            "NODE_TLS_REJECT_UNAUTHORIZED=0",
            "every connection of the process",
        ),
        (
            "app/ssl_util.py",
            "context = ssl._create_unverified_context()",
            "ssl._create_unverified_context()",
            "this connection",
        ),
    ],
)
def test_tls_off_in_each_language(path: str, line: str, what: str, scope: str) -> None:
    assert run(diff(path, "x = 1\n", f"x = 1\n{line}\n")) == [
        ("NET104", path, 2, TLS.format(what=what, scope=scope), Severity.HIGH)
    ]


def test_kubernetes_env_var() -> None:
    old = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          env:
            - name: PORT
              value: "8080"
"""
    new = old + '            - name: NODE_TLS_REJECT_UNAUTHORIZED\n              value: "0"\n'
    assert [(f[0], f[2]) for f in run(diff("deploy/web.yaml", old, new))] == [("NET104", 13)]


@pytest.mark.parametrize(
    ("path", "new"),
    [
        # tests, fixtures and mocks are not production code
        ("tests/test_client.py", CLIENT.replace("timeout=10)", "timeout=10, verify=False)")),
        ("src/__tests__/agent.test.ts", "x = 1\nnew Agent({ rejectUnauthorized: false })\n"),
        # a comment or a docstring that mentions it
        ("app/client.py", CLIENT.replace("timeout=10)", "timeout=10)  # never verify=False")),
        ("app/client.py", CLIENT + '\n\ndef doc():\n    """Do not pass verify=False."""\n'),
        ("src/a.ts", "x = 1\n// rejectUnauthorized: false breaks prod\n"),
        # verification pointed at a CA bundle
        ("app/client.py", CLIENT.replace("timeout=10)", "timeout=10, verify=CA_BUNDLE)")),
        # PyJWT 1.x decode(verify=False) is a signature, not TLS
        ("app/client.py", CLIENT + "\n\nclaims = jwt.decode(token, verify=False)\n"),
    ],
)
def test_tls_near_misses(path: str, new: str) -> None:
    old = CLIENT if path.endswith(".py") else "x = 1\n"
    assert not run(diff(path, old, new))


def test_a_moved_line_is_not_news() -> None:
    old = CLIENT.replace("timeout=10)", "timeout=10, verify=False)")
    new = "import os\n" + old
    assert not run(diff("app/client.py", old, new))


# NET105 ----------------------------------------------------------------------------------------

APP = """from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI()
app.add_middleware(
    CORSMiddleware,
    allow_origins=["https://app.acme.example"],
    allow_credentials=True,
    allow_methods=["*"],
)
"""
CORS = "lets every website send logged-in requests to this API and read the answers ({what})"


def test_fastapi_star_with_credentials() -> None:
    new = APP.replace('["https://app.acme.example"]', '["*"]')
    assert run(diff("api/main.py", APP, new)) == [
        (
            "NET105",
            "api/main.py",
            7,
            CORS.format(what="allow_origins=['*'] with allow_credentials=True"),
            Severity.HIGH,
        )
    ]


def test_express_reflected_origin_and_django_settings() -> None:
    express = "const app = express();\napp.use(cors({ origin: true, credentials: true }));\n"
    django = "DEBUG = False\nCORS_ALLOW_ALL_ORIGINS = True\nCORS_ALLOW_CREDENTIALS = True\n"
    found = run(diff("server/app.js", "const app = express();\n", express))
    found += run(diff("site/settings.py", "DEBUG = False\n", django))
    assert [(f[1], f[2], f[4]) for f in found] == [
        ("server/app.js", 2, Severity.HIGH),
        ("site/settings.py", 2, Severity.HIGH),
    ]
    assert found[0][3] == CORS.format(what="origin: true with credentials: true")


@pytest.mark.parametrize(
    ("path", "old", "new", "line"),
    [
        # the other half of the pair on an unchanged line (each rule reads the words of both
        # the added lines and the file before matching)
        (
            "server/app.js",
            "app.use(cors({\n  origin: ['https://a.example'],\n  credentials: true,\n}));\n",
            "app.use(cors({\n  origin: true,\n  credentials: true,\n}));\n",
            2,
        ),
        (
            "cmd/api/main.go",
            "c := cors.New(cors.Options{\n\tAllowCredentials: true,\n})\n",
            'c := cors.New(cors.Options{\n\tAllowedOrigins: []string{"*"},\n'
            "\tAllowCredentials: true,\n})\n",
            2,
        ),
        (
            "server/app.ts",
            "const tls = { /* pinned */ };\n",
            "const tls = { /* pinned */ };\nconst agent = new Agent({ rejectUnauthorized: false });\n",
            2,
        ),
    ],
)
def test_pairs_across_unchanged_lines(path: str, old: str, new: str, line: int) -> None:
    assert [f[2] for f in run(diff(path, old, new))] == [line]


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        # a list of origins with credentials
        (
            "api/main.py",
            APP,
            APP.replace('"https://app', '"https://admin.acme.example", "https://app'),
        ),
        # every origin without credentials: a public API
        (
            "api/main.py",
            APP,
            APP.replace('["https://app.acme.example"]', '["*"]').replace(
                "allow_credentials=True", "allow_credentials=False"
            ),
        ),
        # already open before: a reformat is not news
        (
            "api/main.py",
            APP.replace('["https://app.acme.example"]', '["*"]'),
            APP.replace('["https://app.acme.example"]', '["*"]').replace(
                "    allow_methods", "  allow_methods"
            ),
        ),
        # an express origin list
        (
            "server/app.js",
            "x\n",
            "x\napp.use(cors({ origin: ['https://a.example'], credentials: true }));\n",
        ),
    ],
)
def test_cors_near_misses(path: str, old: str, new: str) -> None:
    assert not run(diff(path, old, new))


def test_test_paths() -> None:
    assert is_test_path("tests/unit/test_api.py")
    assert is_test_path("pkg/client_test.go")
    assert is_test_path("web/src/api.spec.ts")
    assert not is_test_path("app/testimonials.py")
    assert not is_test_path("contest/main.go")


_LINE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"
    ),
    max_size=80,
)
_SEEDS = ["verify=False", "rejectUnauthorized: false", "origin: true", "credentials: true", "'*'"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_LINE, st.sampled_from(_SEEDS)), max_size=10))
def test_arbitrary_added_lines_never_crash(lines: list[str]) -> None:
    text = "\n".join(lines)
    for path in ("a.py", "a.ts", "a.go", "a.yaml", "Dockerfile"):
        run_diff(diff(path, "x = 1\n", "x = 1\n" + text + "\n"), rules=RULES)


def test_one_finding_for_one_ssl_context() -> None:
    new = (
        "import ssl\n\nctx = ssl.create_default_context()\nctx.check_hostname = False\n"
        "ctx.verify_mode = ssl.CERT_NONE\n"
    )
    assert [(f[0], f[2]) for f in run(diff("mq/producer.py", "import ssl\n", new))] == [
        ("NET104", 4)
    ]


def test_process_wide_unverified_context() -> None:
    new = "import ssl\nssl._create_default_https_context = ssl._create_unverified_context\n"
    assert run(diff("app/boot.py", "import ssl\n", new)) == [
        (
            "NET104",
            "app/boot.py",
            2,
            TLS.format(
                what="ssl._create_default_https_context = ssl._create_unverified_context",
                scope="every connection of the process",
            ),
            Severity.HIGH,
        )
    ]


# --- prefilters: a file is read line by line only when its added lines (or its text) hold a
# word a pattern needs; these findings sit on the edge of that


def test_kubernetes_env_var_whose_value_line_stays() -> None:
    """The name is on the added line, its value on a line the change keeps."""
    old = '        env:\n            - name: PORT\n              value: "0"\n'
    new = old.replace("PORT", "NODE_TLS_REJECT_UNAUTHORIZED")
    assert run(diff("deploy/web.yaml", old, new)) == [
        (
            "NET104",
            "deploy/web.yaml",
            2,
            TLS.format(
                what="NODE_TLS_REJECT_UNAUTHORIZED=0", scope="every connection of the process"
            ),
            Severity.HIGH,
        )
    ]


def test_a_pattern_word_in_another_case_on_an_added_line() -> None:
    """Words are compared lowercased: `InsecureSkipVerify` passes as `insecureskipverify`."""
    new = "package c\n\nvar cfg = &tls.Config{InsecureSkipVerify: true}\n"
    assert [(f[0], f[2]) for f in run(diff("client/tls.go", "package c\n", new))] == [("NET104", 3)]


def test_django_cors_credentials_on_a_line_that_stays() -> None:
    old = "DEBUG = False\nCORS_ALLOW_CREDENTIALS = True\n"
    new = "DEBUG = False\nCORS_ORIGIN_ALLOW_ALL = True\nCORS_ALLOW_CREDENTIALS = True\n"
    assert run(diff("site/settings.py", old, new)) == [
        (
            "NET105",
            "site/settings.py",
            2,
            CORS.format(what="CORS_ALLOW_ALL_ORIGINS with CORS_ALLOW_CREDENTIALS"),
            Severity.HIGH,
        )
    ]


def test_process_wide_unverified_context_in_a_file_without_ssl_calls() -> None:
    """The assignment alone (no `verify` or `ssl(` call in the file) still fires."""
    new = "import ssl as s\ns._create_default_https_context = ssl._create_unverified_context\n"
    assert [(f[0], f[2]) for f in run(diff("app/boot.py", "import ssl as s\n", new))] == [
        ("NET104", 2)
    ]


def test_environment_names_are_pattern_words() -> None:
    """A YAML `- name:` environment setting is read only where a pattern's word is on an added
    line: each name the setting reader knows is such a word."""
    from changerisk.rules import transport

    names = transport._ENV_NAME.pattern.split("(")[-1].rstrip(")").split("|")
    words = {w for p in transport._TLS if "yaml" in p.languages for w in p.words}
    assert names and all(name.lower() in words for name in names)
