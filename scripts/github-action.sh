#!/bin/sh
# The GitHub Action's step (action.yml): install changerisk, find the base, run the check with
# annotations, a job summary and a SARIF file, and set the step's outputs.
#
# Runs outside GitHub too, given the variables a runner sets: GITHUB_ACTION_PATH (this
# repository), RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_BASE_REF (pull
# requests), and the INPUT_* variables action.yml passes.
set -u

note() { printf 'changerisk action: %s\n' "$*" >&2; }
fail() {
    note "$*"
    printf '::error title=changerisk::%s\n' "$*"
    [ -n "${GITHUB_OUTPUT:-}" ] && printf 'exit-code=2\n' >>"$GITHUB_OUTPUT"
    exit 2
}

fail_on=${INPUT_FAIL_ON:-high}
sarif=${INPUT_SARIF_FILE:-changerisk.sarif}
python=${INPUT_PYTHON:-python3}
tmp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}

# --- changerisk -----------------------------------------------------------------------------
if [ "${INPUT_INSTALL:-true}" = "false" ]; then
    changerisk=$(command -v changerisk) || fail "install is false, but there is no changerisk on PATH"
else
    version=${INPUT_VERSION:-}
    case $version in
        "") spec=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set} ;;
        [0-9]*) spec="changerisk==$version" ;;
        [\<\>=~!]*) spec="changerisk$version" ;;
        *) spec=$version ;;
    esac
    venv="$tmp/changerisk-venv"
    "$python" -m venv "$venv" || fail "cannot create a virtualenv with $python"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec" \
        || fail "pip install $spec failed"
    changerisk="$venv/bin/changerisk"
fi

# --- the base: what the change is compared with ---------------------------------------------
has_commit() { git rev-parse --quiet --verify "$1^{commit}" >/dev/null 2>&1; }

base=${INPUT_BASE:-}
if [ -z "$base" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then
    base="origin/$GITHUB_BASE_REF"
    if ! has_commit "$base"; then
        note "fetching $GITHUB_BASE_REF"
        git fetch --no-tags --quiet origin \
            "+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF" \
            || fail "cannot fetch the base branch $GITHUB_BASE_REF"
    fi
fi
before=${CHANGERISK_EVENT_BEFORE:-}
if [ -z "$base" ] && [ -n "$before" ] && [ "$before" != "0000000000000000000000000000000000000000" ]; then
    base=$before
fi
if [ -z "$base" ]; then
    has_commit HEAD^ || fail "no base to compare with: set the base input"
    base="HEAD^"
fi
if ! git merge-base "$base" HEAD >/dev/null 2>&1 \
    && [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = "true" ]; then
    note "shallow clone: fetching the history the merge base needs (checkout with fetch-depth: 0 to skip this)"
    git fetch --no-tags --quiet --unshallow origin || note "could not unshallow the clone"
fi

# --- the check --------------------------------------------------------------------------------
json="$tmp/changerisk-report.json"
rm -f "$json"
set -- check --base "$base" --fail-on "$fail_on" --format github \
    --output "sarif:$sarif" --output "json:$json"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    set -- "$@" --output "markdown:$GITHUB_STEP_SUMMARY"
fi
if [ -n "${INPUT_MARKDOWN_FILE:-}" ]; then
    set -- "$@" --output "markdown:$INPUT_MARKDOWN_FILE"
fi
if [ -n "${INPUT_CONFIG:-}" ]; then
    set -- "$@" --config "$INPUT_CONFIG"
fi
# Sign-off mode: the reviews come as a file; changerisk itself never goes to the network.
case ${INPUT_APPROVALS:-} in
    "") ;;
    github)
        pr=${CHANGERISK_PR_NUMBER:-}
        [ -n "$pr" ] || fail "approvals: github needs a pull_request or pull_request_review event"
        reviews="$tmp/changerisk-reviews.json"
        gh api "repos/${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}/pulls/$pr/reviews" \
            --paginate >"$reviews" || fail "cannot fetch the reviews of pull request $pr"
        set -- "$@" --approvals "$reviews"
        ;;
    *) set -- "$@" --approvals "$INPUT_APPROVALS" ;;
esac
# The extra arguments are split on blanks on purpose (and never evaluated).
set -f
# shellcheck disable=SC2086
set -- "$@" ${INPUT_ARGS:-}
set +f
"$changerisk" "$@"
rc=$?

# --- outputs ----------------------------------------------------------------------------------
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        printf 'exit-code=%s\n' "$rc"
        printf 'sarif-file=%s\n' "$sarif"
        if [ -f "$json" ]; then
            "$python" -c '
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
for key in ("level", "score", "tier"):
    print(f"{key}={report[key]}")
print("blocking=" + ("true" if report["blocking"] else "false"))
' "$json"
        fi
    } >>"$GITHUB_OUTPUT"
fi
exit "$rc"
