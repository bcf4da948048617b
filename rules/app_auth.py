"""Application auth rules: a view, route or router that still exists loses its access check;
a change switches authentication, authorisation or CSRF protection off; JWT verification is
disabled. Python (Django, DRF, Flask, FastAPI), JavaScript and TypeScript (Express, NestJS),
Go (Gin, Echo, chi, net/http) and Java (Spring).

Old and new code are read with tree-sitter (`changerisk.parsers.guards`) and compared by the
function's qualified name or the route's router and path: a decorator moved within the file
is no removal, and a renamed function is a new one. Test code is not checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from changerisk.gates import auth_language
from changerisk.parsers.guard_words import LANGUAGES, may_guard, may_mark
from changerisk.parsers.guards import Guarded, Marker, Surface, surface
from changerisk.regex import lazy_compile
from changerisk.rule import Category, Confidence, FileChange, Finding, Rule, Severity

FORMATS = frozenset(LANGUAGES)
# Class names of endpoints meant to be public: sign-up, login, health checks.
_PUBLIC_NAME = lazy_compile(
    r"(?i)login|logout|signin|signup|register|token|password|reset|health|status|ping|public|"
    r"version|verify|activate|callback|webhook|schema|docs|swagger|openapi|anonymous|refresh"
)


def surfaces(change: FileChange) -> tuple[Surface, Surface] | None:
    """The auth surface of both sides of a source file, parsed once per run (a side that
    could give these rules nothing is left empty)."""
    language = auth_language(change)  # every rule here reads the new side: none if deleted
    if not language:
        return None

    def build() -> tuple[Surface, Surface]:
        # AUTH101 reads the old side's guards (and then the new side), AUTH102 and AUTH103
        # the new side's markers (and then the old side, to tell them from markers that were
        # there): a side is parsed only when one of those can be there (`may_guard`,
        # `may_mark`); a side left unparsed could give these rules nothing.
        old_text, new_text = change.old_text(), change.new_text()
        old = None
        if old_text and may_guard(old_text, language):
            old = surface(old_text, language, change.old_path or "")
        guarded = old is not None and any(g.guards for g in old.guarded.values())
        new = Surface()
        if new_text and (guarded or may_mark(new_text)):
            new = surface(new_text, language, change.path)
        if old is None:
            old = Surface()
            if old_text and new.markers:
                old = surface(old_text, language, change.old_path or "")
        return old, new

    return change.cached("auth-surface", build)


def _guard_text(name: str) -> str:
    return name


class GuardRemoved(Rule):
    """A view, route or router that still exists loses its authentication or permission check.

    ## Why it matters
    Removing `@login_required`, `@PreAuthorize`, a FastAPI `Depends(get_current_user)`, or
    an Express `auth` middleware from an endpoint that stays makes it callable by anyone who
    can reach it. Reported only when the same function (by qualified name) or route (by
    router and path) is there before and after and no other check replaces the one that went:
    a decorator moved, or a function renamed with its decorator, is not a removal.

    ## Bad
    ```diff
    diff --git a/shop/views.py b/shop/views.py
    --- a/shop/views.py
    +++ b/shop/views.py
    @@ -1,6 +1,5 @@
     from django.contrib.auth.decorators import login_required


    -@login_required
     def refund_order(request, order_id):
         return refund(order_id)
    ```

    ## Good
    ```diff
    diff --git a/shop/views.py b/shop/views.py
    --- a/shop/views.py
    +++ b/shop/views.py
    @@ -1,6 +1,6 @@
     from django.contrib.auth.decorators import login_required


    -@login_required
    +@permission_required("shop.refund_order")
     def refund_order(request, order_id):
         return refund(order_id)
    ```
    """

    code = "AUTH101"
    name = "auth-guard-removed"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = FORMATS

    def check(self, change: FileChange) -> Iterator[Finding]:
        pair = surfaces(change)
        if pair is None or change.new_path is None:
            return
        old, new = pair
        for key, before in old.guarded.items():
            if not before.guards:
                continue
            after = new.guarded.get(key)
            if after is None:
                if before.kind != "router" or key.rsplit(".", 1)[0] not in new.receivers:
                    continue
                after = Guarded(key, before.label, before.line, {}, before.kind)
            lost = [g for g in before.guards if g not in after.guards]
            gained = [g for g in after.guards if g not in before.guards]
            if not lost or gained:
                continue
            yield self._finding(change, before, after, lost)

    def _finding(
        self, change: FileChange, before: Guarded, after: Guarded, lost: list[str]
    ) -> Finding:
        guard_line = before.guards[lost[0]]
        what = ", ".join(_guard_text(g) for g in lost)
        everyone = not after.guards
        subject = f"removes {what} from {before.label}"
        consequence = (
            "anyone who reaches it can call it without logging in"
            if everyone
            else f"it keeps only {', '.join(_guard_text(g) for g in after.guards)}"
        )
        if guard_line in change.removed_line_numbers:
            line, side = guard_line, "old"
        else:
            line, side = after.line, "new"
        return self.finding(
            change,
            line,
            f"{subject}: {consequence}",
            hint="keep the check, or replace it with an equivalent one in the same change; "
            "if the endpoint must be public, say so explicitly (AllowAny, @Public) and why",
            severity=Severity.HIGH if everyone else Severity.MEDIUM,
            side=side,
        )


_SWITCH_OFF = {
    "allow-any": ("lets anyone call {where} (permission_classes = AllowAny)", Severity.HIGH),
    "no-authentication": (
        "turns authentication off for {where} (authentication_classes = []): every request "
        "is anonymous",
        Severity.MEDIUM,
    ),
    "default-allow-any": (
        "makes AllowAny the default permission of every DRF view: endpoints without their "
        "own permission_classes become public",
        Severity.HIGH,
    ),
    "csrf-exempt": (
        "exempts {where} from CSRF protection: another site can submit it with the user's cookies",
        Severity.MEDIUM,
    ),
    "public": ("marks {where} public ({detail}): the global auth guard skips it", Severity.HIGH),
    "permit-all": ("lets unauthenticated requests reach {detail} (permitAll)", Severity.MEDIUM),
    "csrf-disabled": (
        "disables CSRF protection for the whole application: another site can "
        "submit forms with the user's cookies",
        Severity.MEDIUM,
    ),
}


class AuthCheckSwitchedOff(Rule):
    """A change switches an access check off: `AllowAny` or `authentication_classes = []` on
    an existing view, `@csrf_exempt` or `@Public()` on an existing endpoint, a Spring
    `.permitAll()` on every request or a protected path, CSRF protection disabled.

    ## Why it matters
    These one-line edits turn a protected endpoint public. They are reported on endpoints
    that existed before the change; a new sign-up or health endpoint that is public by
    design is not (a new class with `AllowAny` is low). `permitAll()` on login, health,
    static and documentation paths is not reported.

    ## Bad
    ```diff
    diff --git a/api/views.py b/api/views.py
    --- a/api/views.py
    +++ b/api/views.py
    @@ -1,3 +1,4 @@
     class InvoiceViewSet(viewsets.ModelViewSet):
         queryset = Invoice.objects.all()
         serializer_class = InvoiceSerializer
    +    permission_classes = [AllowAny]
    ```

    ## Good
    ```diff
    diff --git a/api/views.py b/api/views.py
    --- a/api/views.py
    +++ b/api/views.py
    @@ -1,3 +1,4 @@
     class InvoiceViewSet(viewsets.ModelViewSet):
         queryset = Invoice.objects.all()
         serializer_class = InvoiceSerializer
    +    permission_classes = [IsAuthenticated]
    ```
    """

    code = "AUTH102"
    name = "auth-check-switched-off"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = FORMATS

    def check(self, change: FileChange) -> Iterator[Finding]:
        pair = surfaces(change)
        if pair is None or change.new_path is None:
            return
        old, new = pair
        had = {(m.kind, m.scope, m.detail) for m in old.markers}
        added = change.added_line_numbers
        for marker in new.markers:
            if marker.kind not in _SWITCH_OFF or marker.line not in added:
                continue
            if (marker.kind, marker.scope, marker.detail) in had:
                continue
            severity = self._severity(marker, old, change)
            if severity is None:
                continue
            template, _ = _SWITCH_OFF[marker.kind]
            where = (
                new.guarded[marker.scope].label
                if marker.scope in new.guarded
                else (marker.scope or "the module")
            )
            yield self.finding(
                change,
                marker.line,
                template.format(where=where, detail=marker.detail),
                hint="keep the endpoint protected; if it must be public, limit it to the "
                "paths that need it and say why in the change",
                severity=severity,
            )

    def _severity(self, marker: Marker, old: Surface, change: FileChange) -> Severity | None:
        base = _SWITCH_OFF[marker.kind][1]
        if marker.kind in ("default-allow-any", "csrf-disabled"):
            return base
        if marker.kind == "permit-all":
            return Severity.HIGH if marker.detail == "anyRequest()" else base
        existed = marker.scope in old.guarded
        name = marker.scope.rsplit(".", 1)[-1]
        if marker.kind in ("allow-any", "no-authentication"):
            before = old.guarded.get(marker.scope)
            if before is not None and any(
                g.startswith("permission_classes") for g in before.guards
            ):
                return None  # AUTH101 reports the permission classes that went
            if existed:
                return base
            return None if _PUBLIC_NAME.search(name) else Severity.LOW
        return base if existed else None


_JWT = {
    "jwt-unread": (
        "reads JWT claims without verifying the signature ({detail}): nothing in "
        "them can be trusted until the token is verified",
        Severity.MEDIUM,
    ),
    "jwt-unverified": (
        "decodes JWTs without checking the signature ({detail}): anyone can "
        "forge a token for any user",
        Severity.HIGH,
    ),
    "jwt-none": (
        'accepts JWTs signed with the "none" algorithm ({detail}): an unsigned '
        "token passes as valid",
        Severity.CRITICAL,
    ),
    "jwt-expiry": (
        "accepts expired JWTs ({detail}): a leaked token works for ever",
        Severity.MEDIUM,
    ),
}


class JwtVerificationDisabled(Rule):
    """JWT signature or expiry verification is switched off.

    ## Why it matters
    `jwt.decode(token, options={"verify_signature": False})`, `verify=False`,
    `algorithms=["none"]`, Go's `ParseUnverified` or `jwt.UnsafeAllowNoneSignatureType` make
    any token the caller writes valid: whoever sends `{"sub": "admin"}` is admin.
    `ignoreExpiration: true` keeps stolen tokens valid for ever. Reading a token's header
    without verification in test code is not reported.

    ## Bad
    ```diff
    diff --git a/app/auth.py b/app/auth.py
    --- a/app/auth.py
    +++ b/app/auth.py
    @@ -1,3 +1,3 @@
     def current_user(token):
    -    claims = jwt.decode(token, KEY, algorithms=["HS256"])
    +    claims = jwt.decode(token, KEY, options={"verify_signature": False})
         return claims["sub"]
    ```

    ## Good
    ```diff
    diff --git a/app/auth.py b/app/auth.py
    --- a/app/auth.py
    +++ b/app/auth.py
    @@ -1,3 +1,3 @@
     def current_user(token):
    -    claims = jwt.decode(token, KEY, algorithms=["HS256"])
    +    claims = jwt.decode(token, KEY, algorithms=["HS256"], leeway=30)
         return claims["sub"]
    ```
    """

    code = "AUTH103"
    name = "jwt-verification-disabled"
    category = Category.ACCESS
    severity = Severity.HIGH
    formats = FORMATS

    def check(self, change: FileChange) -> Iterator[Finding]:
        pair = surfaces(change)
        if pair is None or change.new_path is None:
            return
        old, new = pair
        had = {(m.kind, m.scope, m.detail) for m in old.markers}
        added = change.added_line_numbers
        for marker in new.markers:
            if marker.kind not in _JWT or marker.line not in added:
                continue
            if (marker.kind, marker.scope, marker.detail) in had:
                continue
            template, severity = _JWT[marker.kind]
            yield self.finding(
                change,
                marker.line,
                template.format(detail=marker.detail),
                hint="verify the signature with the expected algorithm and key; to read a "
                "claim before verifying, verify right after and trust nothing until then",
                severity=severity,
                confidence=Confidence.HIGH,
            )


RULES = (GuardRemoved, AuthCheckSwitchedOff, JwtVerificationDisabled)
