"""AUTH101-103 in Python (Django, DRF, Flask, FastAPI), JS/TS (Express, Nest), Go and Java."""

import difflib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from changerisk.testing import run_diff


def diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1000)
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        + "\n".join(list(lines)[2:])
        + "\n"
    )


def check(path: str, old: str, new: str, select: str = "AUTH") -> set[Any]:
    report = run_diff(diff(path, old, new), select=[select])
    return {(f.code, f.line, f.side, f.severity.label, f.message) for f in report.findings}


DJANGO = """\
from django.contrib.auth.decorators import login_required, permission_required


@login_required
@permission_required("orders.refund")
def refund(request, pk):
    return do_refund(pk)


@login_required
def history(request):
    return render(request, "history.html")
"""


def test_django_decorator_removed_from_a_view_that_stays() -> None:
    new = DJANGO.replace('@login_required\n@permission_required("orders.refund")\n', "")
    assert check("shop/views.py", DJANGO, new) == {
        (
            "AUTH101",
            4,
            "old",
            "high",
            "removes @login_required, @permission_required from "
            "refund(): anyone who reaches it can call it without logging in",
        ),
    }


def test_one_of_two_guards_removed_is_medium() -> None:
    new = DJANGO.replace('@permission_required("orders.refund")\n', "")
    assert check("shop/views.py", DJANGO, new) == {
        (
            "AUTH101",
            5,
            "old",
            "medium",
            "removes @permission_required from refund(): it keeps only @login_required",
        ),
    }


def test_moved_decorator_renamed_function_and_tests_are_quiet() -> None:
    # the views swap places, each keeping its decorators
    swapped = DJANGO.split("\n\n\n")
    reordered = "\n\n\n".join([swapped[0], swapped[2].rstrip("\n"), swapped[1]]) + "\n"
    assert check("shop/views.py", DJANGO, reordered) == set()
    assert (
        check("shop/views.py", DJANGO, DJANGO.replace("def history(", "def order_history("))
        == set()
    )
    new = DJANGO.replace("@login_required\ndef history", "def history")
    assert check("shop/tests/test_views.py", DJANGO, new) == set()
    # a view deleted with its decorator is not a guard removal
    assert (
        check("shop/views.py", DJANGO, DJANGO.split("\n\n\n@login_required\ndef history")[0] + "\n")
        == set()
    )


DRF = """\
class InvoiceViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAuthenticated]
    queryset = Invoice.objects.all()


class StatusView(APIView):
    def get(self, request):
        return Response({"ok": True})
"""


def test_drf_permission_classes_switched_to_allow_any() -> None:
    new = DRF.replace("[IsAuthenticated]", "[AllowAny]")
    assert check("api/views.py", DRF, new) == {
        (
            "AUTH101",
            2,
            "old",
            "high",
            "removes permission_classes(IsAuthenticated) from class "
            "InvoiceViewSet: anyone who reaches it can call it without logging in",
        ),
    }


def test_drf_authentication_off_and_csrf_exempt_on_existing_views() -> None:
    new = DRF.replace(
        "    def get(self, request):",
        "    authentication_classes = []\n\n    @csrf_exempt\n    def get(self, request):",
    )
    found = check("api/views.py", DRF, new)
    assert {(code, line, sev) for code, line, _, sev, _ in found} == {
        ("AUTH102", 7, "medium"),
        ("AUTH102", 9, "medium"),
    }


def test_new_public_endpoint_is_quiet_and_new_allow_any_is_low() -> None:
    new = DRF + "\n\nclass SignupView(APIView):\n    permission_classes = [AllowAny]\n"
    assert check("api/views.py", DRF, new) == set()
    new = DRF + "\n\nclass ExportView(APIView):\n    permission_classes = [AllowAny]\n"
    assert {(c, sev) for c, _, _, sev, _ in check("api/views.py", DRF, new)} == {("AUTH102", "low")}


FASTAPI = """\
@router.delete("/users/{user_id}")
def delete_user(user_id: int, user: User = Depends(get_current_user), db=Depends(get_db)):
    return crud.delete(db, user_id)
"""


def test_fastapi_dependency_removed() -> None:
    new = FASTAPI.replace("user: User = Depends(get_current_user), ", "")
    assert check("app/api/users.py", FASTAPI, new) == {
        (
            "AUTH101",
            2,
            "old",
            "high",
            "removes Depends(get_current_user) from delete_user(): "
            "anyone who reaches it can call it without logging in",
        ),
    }
    assert check("app/api/users.py", FASTAPI, FASTAPI.replace("get_db", "get_session")) == set()


EXPRESS = """\
const router = require("express").Router();
const auth = require("../auth");

router.get("/articles", auth.optional, list);
router.delete("/articles/:slug", auth.required, remove);
router.use(requireLogin);

module.exports = router;
"""


def test_express_middleware_removed_from_a_route_and_a_router() -> None:
    new = EXPRESS.replace("auth.required, remove", "remove").replace(
        "router.use(requireLogin);\n", ""
    )
    assert check("src/routes/articles.js", EXPRESS, new) == {
        (
            "AUTH101",
            5,
            "old",
            "high",
            "removes auth.required from route DELETE /articles/:slug "
            "of router: anyone who reaches it can call it without logging in",
        ),
        (
            "AUTH101",
            6,
            "old",
            "high",
            "removes requireLogin from every route of router: anyone "
            "who reaches it can call it without logging in",
        ),
    }


def test_express_optional_auth_and_renamed_middleware_are_quiet() -> None:
    assert check("src/routes/articles.js", EXPRESS, EXPRESS.replace("auth.optional, ", "")) == set()
    new = EXPRESS.replace("auth.required", "authenticateJwt")
    assert check("src/routes/articles.js", EXPRESS, new) == set()


NEST = """\
@Controller("orders")
export class OrdersController {
  @UseGuards(JwtAuthGuard)
  @Delete(":id")
  remove(@Param("id") id: string) {
    return this.orders.remove(id);
  }
}
"""


def test_nest_guard_removed_and_public_added() -> None:
    new = NEST.replace("  @UseGuards(JwtAuthGuard)\n", "")
    assert check("src/orders/orders.controller.ts", NEST, new) == {
        (
            "AUTH101",
            3,
            "old",
            "high",
            "removes @UseGuards from OrdersController.remove(): "
            "anyone who reaches it can call it without logging in",
        ),
    }
    public = NEST.replace('  @Delete(":id")', '  @Public()\n  @Delete(":id")')
    assert {
        (c, line, sev)
        for c, line, _, sev, _ in check("src/orders/orders.controller.ts", NEST, public)
    } == {("AUTH102", 4, "high")}


GO = """\
package api

func Routes(r *gin.Engine) {
	admin := r.Group("/admin", AuthRequired())
	admin.GET("/users", listUsers)
	r.GET("/health", health)
}
"""


def test_go_middleware_removed_from_a_route_group() -> None:
    new = GO.replace(", AuthRequired())", ")")
    assert check("internal/api/routes.go", GO, new) == {
        (
            "AUTH101",
            4,
            "old",
            "high",
            "removes AuthRequired from route group admin (/admin): "
            "anyone who reaches it can call it without logging in",
        ),
    }


SPRING = """\
@RestController
class AdminController {
    @PreAuthorize("hasRole('ADMIN')")
    @DeleteMapping("/users/{id}")
    public void delete(@PathVariable long id) { users.delete(id); }
}
"""
SECURITY = """\
class SecurityConfig {
    SecurityFilterChain chain(HttpSecurity http) throws Exception {
        http.authorizeHttpRequests(auth -> auth
            .requestMatchers("/actuator/health").permitAll()
            .anyRequest().authenticated());
        return http.build();
    }
}
"""


def test_spring_annotation_removed_and_permit_all_on_every_request() -> None:
    new = SPRING.replace("    @PreAuthorize(\"hasRole('ADMIN')\")\n", "")
    assert check("src/main/java/AdminController.java", SPRING, new) == {
        (
            "AUTH101",
            3,
            "old",
            "high",
            "removes @PreAuthorize from AdminController.delete(): "
            "anyone who reaches it can call it without logging in",
        ),
    }
    wide = SECURITY.replace(".anyRequest().authenticated()", ".anyRequest().permitAll()")
    assert {
        (c, line, sev)
        for c, line, _, sev, _ in check("src/main/java/SecurityConfig.java", SECURITY, wide)
    } == {("AUTH102", 5, "high")}
    health = SECURITY.replace('"/actuator/health"', '"/actuator/health", "/login"')
    assert check("src/main/java/SecurityConfig.java", SECURITY, health) == set()


JWT_CASES = [
    (
        "app/auth.py",
        "claims = jwt.decode(token, KEY, algorithms=['HS256'])\n",
        "claims = jwt.decode(token, KEY, algorithms=['none'])\n",
        "critical",
    ),
    (
        "app/auth.py",
        "claims = jwt.decode(token, KEY, algorithms=['HS256'])\n",
        "claims = jwt.decode(token, verify=False)\n",
        "high",
    ),
    (
        "src/auth.js",
        "const c = jwt.verify(token, key);\n",
        "const c = jwt.verify(token, key, { ignoreExpiration: true });\n",
        "medium",
    ),
    (
        "auth/jwt.go",
        "package auth\nfunc f() { jwt.Parse(s, keyFunc) }\n",
        "package auth\nfunc f() { parser.ParseUnverified(s, claims) }\n",
        "medium",
    ),
]


@pytest.mark.parametrize(
    ("path", "old", "new", "severity"), JWT_CASES, ids=[c[0] + c[3] for c in JWT_CASES]
)
def test_jwt_verification_disabled(path: str, old: str, new: str, severity: str) -> None:
    found = check(path, old, new, "AUTH103")
    assert {(c, sev) for c, _, _, sev, _ in found} == {("AUTH103", severity)}


def test_jwt_unverified_in_tests_or_already_there_is_quiet() -> None:
    old = "claims = jwt.decode(token, options={'verify_signature': False})\n"
    assert check("app/auth.py", old, old + "x = 1\n", "AUTH103") == set()
    assert check("tests/test_auth.py", "", old, "AUTH103") == set()


@settings(max_examples=40, deadline=None)
@given(
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=300),
    st.sampled_from(["a.py", "a.ts", "a.js", "a.go", "A.java"]),
)
def test_arbitrary_source_never_crashes(text: str, path: str) -> None:
    report = run_diff(diff(path, "x = 1\n", text + "\n"), select=["AUTH"])
    assert all(f.code.startswith("AUTH") for f in report.findings)
