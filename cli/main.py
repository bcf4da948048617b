"""`changerisk` command line: parse options, call the engine, print, map the level to an exit code.

Exit codes: 0 below --fail-on, 1 at or above it, 2 when changerisk could not do its job.
"""

from __future__ import annotations

import gc
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import click

from changerisk import __version__
from changerisk.errors import ChangeriskError, InputError
from changerisk.model import LEVEL_NAMES, ChangeSet
from changerisk.report import Report

if TYPE_CHECKING:
    from changerisk.config import Config


EXIT_OK, EXIT_BLOCKED, EXIT_ERROR = 0, 1, 2
FORMATS = ("text", "json", "sarif", "markdown", "github")


class OutputSpec(click.ParamType):  # type: ignore[type-arg]
    """`FORMAT:PATH`: also write the report in FORMAT to PATH."""

    name = "FORMAT:PATH"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value
        fmt, sep, path = str(value).partition(":")
        fmt = fmt.strip().lower()
        if not sep or fmt not in FORMATS:
            self.fail(
                f"{value!r} is not FORMAT:PATH with FORMAT one of {', '.join(FORMATS)}",
                param,
                ctx,
            )
        if not path.strip():
            self.fail(f"{value!r} names no file after {fmt}:", param, ctx)
        return fmt, path


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        code.strip().upper() for value in values for code in value.split(",") if code.strip()
    )


def _stdin_is_piped() -> bool:
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


class _LazyGroup(click.Group):
    """Commands that live in modules of their own are imported only when they run (or when
    help lists them): `check` in a pre-commit hook pays for nothing else."""

    lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "history": ("history", "history"),
        "install-hook": ("hooks", "install_hook_command"),
        "guard": ("guard", "guard_command"),
        "install-agent-hook": ("guard", "install_agent_hook_command"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, attribute = self.lazy[cmd_name]
            command = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="changerisk")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Find the blast radius of a change and name the review it needs."""


@cli.command()
@click.argument("diff", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--staged", is_flag=True, help="Check the staged changes (git diff --cached).")
@click.option("--base", metavar="REF", help="Check HEAD against its merge base with REF.")
@click.option(
    "--head",
    metavar="REF",
    help="With --base: check REF instead of HEAD (e.g. the commit a CI job was given).",
)
@click.option(
    "--pre-push",
    "pre_push",
    is_flag=True,
    help="Check what is being pushed: from pre-commit's PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF, "
    "or the refs git gives a pre-push hook on stdin, else HEAD against its upstream.",
)
@click.option(
    "--plan",
    "plans",
    multiple=True,
    metavar="PLAN.json",
    help="A Terraform plan as JSON (terraform show -json PLANFILE); alone, or with a diff.",
)
@click.option(
    "--fail-on",
    type=click.Choice(LEVEL_NAMES, case_sensitive=False),
    help="Exit 1 at or above this level (default: from config, else high; none never fails).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Report format on standard output.",
)
@click.option(
    "--output",
    "outputs",
    type=OutputSpec(),
    multiple=True,
    help="Also write the report in FORMAT to PATH (repeatable), e.g. sarif:changerisk.sarif.",
)
@click.option(
    "--ai-assisted",
    is_flag=True,
    help="Treat the change as AI-assisted (also CHANGERISK_AI_ASSISTED=1).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file to use instead of the nearest one.",
)
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Only these rule codes or prefixes (comma-separated, repeatable).",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="CODES",
    help="Skip these rule codes or prefixes (comma-separated, repeatable).",
)
@click.option(
    "--author",
    "authors",
    multiple=True,
    metavar="IDENTITY",
    help="The change's author (an email or @handle; repeatable) instead of the commits' and "
    "the CI event's.",
)
@click.option(
    "--description-file",
    type=click.Path(dir_okay=False),
    help="The change description to check for required sections (default: the pull request "
    "body from the CI event, GitLab's CI_MERGE_REQUEST_DESCRIPTION, or the commit messages).",
)
@click.option(
    "--approvals",
    "approvals_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Reviews as JSON (gh api repos/OWNER/REPO/pulls/N/reviews --paginate): exit 0 when "
    "the required tier has signed off, 1 naming who must still approve.",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Force or disable colour (default: auto; NO_COLOR is respected).",
)
def check(
    diff: str | None,
    staged: bool,
    base: str | None,
    head: str | None,
    pre_push: bool,
    plans: tuple[str, ...],
    fail_on: str | None,
    fmt: str,
    outputs: tuple[tuple[str, str], ...],
    ai_assisted: bool,
    config_path: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    authors: tuple[str, ...],
    description_file: str | None,
    approvals_file: str | None,
    color: bool | None,
) -> int:
    """Check a change: DIFF file, '-' for stdin, piped stdin, or by default `git diff HEAD`."""
    with _collector_paused():
        report, _ = _report(
            diff,
            staged,
            base,
            head,
            pre_push,
            plans,
            fail_on,
            ai_assisted,
            config_path,
            select,
            ignore,
            authors,
            description_file,
            approvals_file,
        )
    for out_fmt, path in outputs:
        _write_report(report, out_fmt, path)
    if fmt == "text":
        from changerisk.report import text

        text.render(report, sys.stdout, color=color)
    else:
        sys.stdout.write(render_report(report, fmt))
    return EXIT_BLOCKED if report.blocks else EXIT_OK


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector waits while a change is read and checked: a large diff is
    hundreds of thousands of small objects without cycles (its lines), which the collector
    would walk again and again (a tenth of the time of a large check) to free nothing that
    reference counting does not free already."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _report(
    diff: str | None,
    staged: bool,
    base: str | None,
    head: str | None,
    pre_push: bool,
    plans: tuple[str, ...],
    fail_on: str | None,
    ai_assisted: bool,
    config_path: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    authors: tuple[str, ...],
    description_file: str | None,
    approvals_file: str | None,
) -> tuple[Report, Config]:
    from changerisk import api
    from changerisk.config import load_config

    # An unset CI variable ("--base $BASE_REF") must not quietly check something else.
    if base is not None and not base.strip():
        raise click.UsageError("--base needs a ref, got an empty value")
    if diff is not None and not diff.strip():
        raise click.UsageError("DIFF is an empty path: give a diff file or '-' for stdin")
    if head is not None and (not head.strip() or head.startswith("-")):
        raise click.UsageError(f"--head needs a revision, got {head!r}")
    if sum(bool(x) for x in (diff, staged, base, pre_push)) > 1:
        raise click.UsageError("give only one of DIFF, --staged, --base and --pre-push")
    if head and not base:
        raise click.UsageError("--head goes with --base")
    changeset = _pushed_change(plans) if pre_push else _read_change(diff, staged, base, head, plans)
    start = Path(changeset.repo_root or os.getcwd())
    config = load_config(config_path, start=start)
    if fail_on:
        config = config.with_overrides(fail_on=fail_on.lower())
    ai_sources = api.ai_provenance(changeset, config, flag=ai_assisted)
    config, note = api.signoff_config(config, changeset)
    signoff = api.signoff_inputs(
        changeset,
        authors=authors,
        description_file=description_file,
        approvals_file=approvals_file,
        notes=(note,),
    )
    report = api.check(
        changeset,
        config,
        ai_assisted=bool(ai_sources),
        ai_sources=ai_sources,
        select=_codes(select),
        ignore=_codes(ignore),
        signoff=signoff,
    )
    return report, config


@cli.command()
@click.argument("diff", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--staged", is_flag=True, help="Describe the staged changes.")
@click.option("--base", metavar="REF", help="Describe HEAD against its merge base with REF.")
@click.option("--head", metavar="REF", help="With --base: describe REF instead of HEAD.")
@click.option("--plan", "plans", multiple=True, metavar="PLAN.json", help="A Terraform plan.")
@click.option("--ai-assisted", is_flag=True, help="Treat the change as AI-assisted.")
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="Config."
)
@click.option("--author", "authors", multiple=True, metavar="IDENTITY", help="The author.")
def describe(
    diff: str | None,
    staged: bool,
    base: str | None,
    head: str | None,
    plans: tuple[str, ...],
    ai_assisted: bool,
    config_path: Path | None,
    authors: tuple[str, ...],
) -> int:
    """Print a change description skeleton (Markdown) pre-filled with what the check found."""
    from changerisk.describe import skeleton

    report, config = _report(
        diff,
        staged,
        base,
        head,
        False,
        plans,
        None,
        ai_assisted,
        config_path,
        (),
        (),
        authors,
        None,
        None,
    )
    click.echo(skeleton(report, config), nl=False)
    return EXIT_OK


def _read_change(
    diff: str | None, staged: bool, base: str | None, head: str | None, plans: tuple[str, ...]
) -> ChangeSet:
    from changerisk import api

    stdin: bytes | None = None
    only_plans = bool(plans) and diff is None and not staged and not base
    # with --plan alone, no diff is read: not from a pipe, not from the repository
    if diff == "-" or (
        diff is None and not staged and not base and not plans and _stdin_is_piped()
    ):
        stdin = sys.stdin.buffer.read()
        if diff is None and not stdin.strip():
            stdin = None  # nothing piped: fall back to the repository
        elif diff == "-" and stdin is not None and not stdin.strip():
            stdin = b""
    return api.read_change(
        diff=None if diff == "-" else diff,
        stdin=stdin,
        staged=staged,
        base=base,
        plans=plans,
        plans_only=only_plans,
        head=head or "HEAD",
    )


def _pushed_change(plans: tuple[str, ...]) -> ChangeSet:
    """The commits a pre-push hook is pushing, as one change (empty when nothing is new)."""
    from changerisk import api
    from changerisk.git import EMPTY_TREE, repo_root

    from .hooks import merge_changesets, push_ranges

    root = repo_root()

    def stdin() -> bytes | None:
        return sys.stdin.buffer.read() if _stdin_is_piped() else None

    ranges = push_ranges(root, os.environ, stdin)
    names = [
        f"{_short(r.head)} (all of its history)"
        if r.base == EMPTY_TREE
        else f"{_short(r.base)}...{_short(r.head)}"
        for r in ranges
    ]
    changeset = merge_changesets(
        [api.read_change(base=r.base, head=r.head) for r in ranges],
        "push: " + (", ".join(names) or "no new commits"),
        root,
    )
    if plans:
        changeset.files.extend(api.read_change(plans=plans, plans_only=True).files)
    return changeset


def _short(rev: str) -> str:
    return rev[:12] if len(rev) == 40 and all(c in "0123456789abcdef" for c in rev) else rev


def render_report(report: Report, fmt: str) -> str:
    """The report as text in one of FORMATS (text without colour)."""
    if fmt == "json":
        from changerisk.report import json as json_report

        return json_report.render(report)
    if fmt == "sarif":
        from changerisk.registry import all_rules
        from changerisk.report import sarif

        return sarif.render(report, all_rules())
    if fmt == "markdown":
        from changerisk.report import markdown

        return markdown.render(report)
    if fmt == "github":
        from changerisk.report import github

        return github.render(report)
    import io

    from changerisk.report import text

    buffer = io.StringIO()
    text.render(report, buffer, color=False)
    return buffer.getvalue()


def _write_report(report: Report, fmt: str, path: str) -> None:
    data = render_report(report, fmt)
    target = Path(path)
    try:
        if target.parent != Path() and not target.parent.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(data)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ChangeriskError(f"{path}: cannot write the {fmt} report: {reason}") from None


@cli.command("rules")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def list_rules(fmt: str) -> int:
    """List every installed rule."""
    from changerisk.registry import all_rules

    rules = all_rules()
    if fmt == "json":
        import json

        rows = [
            {
                "code": r.code,
                "name": r.name,
                "category": r.category.value,
                "severity": r.severity.label,
                "summary": r.summary(),
            }
            for r in rules
        ]
        click.echo(json.dumps(rows, indent=2))
        return EXIT_OK
    for r in rules:
        click.echo(
            f"{r.code:<8} {r.name:<32} {r.category.value:<14} {r.severity.label:<9} {r.summary()}"
        )
    return EXIT_OK


@cli.command()
@click.argument("code")
def explain(code: str) -> int:
    """Show the documentation of rule CODE."""
    from changerisk.docs import render_markdown
    from changerisk.registry import all_rules

    wanted = code.strip().upper()
    for rule in all_rules():
        if rule.code == wanted or rule.name == code.strip().lower():
            click.echo(render_markdown(rule))
            return EXIT_OK
    raise InputError(f"no rule {code!r}: see `changerisk rules`")


@cli.command()
@click.option(
    "--pyproject", is_flag=True, help="Print a [tool.changerisk] table for pyproject.toml instead."
)
def init(pyproject: bool) -> int:
    """Print a starter configuration (redirect it to .changerisk.toml)."""
    from changerisk.datafiles import read_text

    text = read_text("starter.toml")
    if pyproject:
        text = _as_pyproject(text)
    click.echo(text, nl=False)
    return EXIT_OK


def _as_pyproject(text: str) -> str:
    out = []
    for line in text.splitlines():
        if line.startswith("[[") and line.endswith("]]"):
            line = f"[[tool.changerisk.{line[2:-2]}]]"
        elif line.startswith("[") and line.endswith("]"):
            line = f"[tool.changerisk.{line[1:-1]}]"
        out.append(line)
    out.insert(0, "[tool.changerisk]")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Console entry point: one-line errors, exit 2 for anything that stopped the check."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="changerisk", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()  # `changerisk` alone: the help text
        return EXIT_ERROR
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        message = " ".join(exc.format_message().split())
        click.echo(f"changerisk: error: {message}{hint}", err=True)
        return EXIT_ERROR
    except click.exceptions.Abort:
        click.echo("changerisk: aborted", err=True)
        return EXIT_ERROR
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_ERROR
    except ChangeriskError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(f"changerisk: error: {exc}", err=True)
        return EXIT_ERROR
    except Exception as exc:  # a bug of ours must still fail closed with one line
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(
            f"changerisk: error: internal error: {type(exc).__name__}: {exc} (--debug for details)",
            err=True,
        )
        return EXIT_ERROR
    return int(result) if isinstance(result, int) else EXIT_OK


def run() -> None:
    """The `changerisk` console script.

    It ends the process without the interpreter's teardown, as mypy does: freeing every module,
    parse tree and grammar one by one takes a hook run 10-20 ms and changes nothing the user
    sees. Output is flushed first; a reader that went away before the flush is exit 2 (one
    that goes away mid-write meets click's own handler, exit 1)."""
    code = main()
    if "coverage" in sys.modules:  # a measured run saves its data at exit
        sys.exit(code)
    code = _finish(code)
    os._exit(code)


def _finish(code: int) -> int:
    """Flush the output and stop helper processes: what a normal exit would do for us."""
    git = sys.modules.get("changerisk.git")
    if git is not None:
        git.close_readers()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = EXIT_ERROR
    except OSError as exc:
        click.echo(f"changerisk: error: cannot write the output: {exc}", err=True)
        code = EXIT_ERROR
    except ValueError:  # closed already, after a broken pipe
        pass
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        code = code or EXIT_ERROR
    return code


if __name__ == "__main__":  # pragma: no cover
    run()
