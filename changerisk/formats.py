"""Format detection: which kinds of file a path (and, for YAML/JSON, its content) is.

A file can carry several formats: `.github/workflows/ci.yml` is `yaml`, `github-workflow` and
`ci`. Rules declare the formats they want; the engine calls them for files that have any.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from changerisk.paths import is_plain
from changerisk.regex import lazy_compile

_BY_SUFFIX = {
    ".tf": "terraform",
    ".tofu": "terraform",
    ".tfvars": "tfvars",
    ".hcl": "hcl",
    ".sql": "sql",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".ksh": "shell",
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".java": "java",
    ".rb": "ruby",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".toml": "toml",
    ".md": "markdown",
    ".rst": "docs",
    ".txt": "text",
    ".prisma": "prisma",
}

_BY_NAME = {
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "makefile": "makefile",
    "gnumakefile": "makefile",
    "codeowners": "codeowners",
    "jenkinsfile": "ci",
    "justfile": "makefile",
}

_CI_FILES = lazy_compile(
    r"(^|/)(\.gitlab-ci\.ya?ml|azure-pipelines\.ya?ml|bitbucket-pipelines\.ya?ml|"
    r"\.circleci/config\.ya?ml|\.travis\.ya?ml|buildspec\.ya?ml|cloudbuild\.ya?ml|"
    r"\.buildkite/.*\.ya?ml|\.drone\.ya?ml|Taskfile\.ya?ml)$"
)
# Block style, flow style (`{apiVersion: v1, kind: …}`), quoted keys and JSON manifests.
_K8S_HINT = lazy_compile(r"""(?:^|[{,])\s*["']?apiVersion["']?\s*:""", re.MULTILINE)
_K8S_KIND = lazy_compile(r"""(?:^|[{,])\s*["']?kind["']?\s*:\s*["']?[A-Z]\w*""", re.MULTILINE)
_CFN_HINT = lazy_compile(
    r"AWSTemplateFormatVersion|^\s*Resources\s*:\s*$|\"Resources\"\s*:|Type['\"]?\s*:\s*['\"]?AWS::",
    re.MULTILINE,
)
# The formats that hold shell commands: scripts, Makefiles, Dockerfiles, CI jobs, package.json
# scripts and Ansible tasks (see changerisk/parsers/scripts.py).
SCRIPT_FORMATS = frozenset(
    {"shell", "makefile", "dockerfile", "ci", "github-workflow", "json", "ansible"}
)
SAMPLE_CHARS = 4000  # how much of a file format detection reads
# Ansible: task and handler files of roles (`roles/x/tasks/main.yml`, `tasks/*.yml`), playbooks
# by name (`playbook*.yml`, `site.yml`, `playbooks/**`), and any YAML list holding a play.
_ANSIBLE_DIRS = frozenset({"tasks", "handlers"})
_ANSIBLE_NAMES = lazy_compile(r"^(playbook[^/]*|site|main|deploy|provision|setup)\.ya?ml$")
_YAML_LIST = lazy_compile(r"^- ", re.MULTILINE)
_PLAY = lazy_compile(
    r"^- (?:[^\n]*\n(?:  [^\n]*\n)*?)?  hosts\s*:|^- hosts\s*:|^- import_playbook\s*:",
    re.MULTILINE,
)
_IAM_HINT = lazy_compile(r"[\"']?(Statement|Effect|Action|NotAction|Principal)[\"']?\s*:")


def detect_formats(path: str, sample: str = "") -> frozenset[str]:
    """Return the formats of `path`; `sample` (any text of the file) refines YAML and JSON."""
    posix, path_parts, name, suffixes = _path_view(path)
    name = name.lower()
    suffixes = [s.lower() for s in suffixes]
    suffix = suffixes[-1] if suffixes else ""
    formats: set[str] = set()
    if name in _BY_NAME:
        formats.add(_BY_NAME[name])
    if name.startswith(("dockerfile.", "containerfile.")) or name.endswith(".dockerfile"):
        formats.add("dockerfile")
    if name.endswith(".tf.json"):
        formats.add("terraform")
    if suffix in _BY_SUFFIX:
        formats.add(_BY_SUFFIX[suffix])
    if suffix == ".mk":
        formats.add("makefile")
    if name.endswith((".tfstate", ".tfstate.backup")):
        formats.add("terraform-state")
    parts = [part.lower() for part in path_parts]
    if ".github" in parts and "workflows" in parts and suffix in (".yml", ".yaml"):
        formats.update({"github-workflow", "ci"})
    if name in ("action.yml", "action.yaml"):
        formats.add("ci")
    if _CI_FILES.search(posix):
        formats.add("ci")
    if name == "codeowners":
        formats.add("codeowners")
    formats.update(_migration_formats(parts, name, suffix))
    if suffix in (".yaml", ".yml", ".json") and sample:
        if _K8S_HINT.search(sample) and _K8S_KIND.search(sample):
            formats.add("kubernetes")
        if _CFN_HINT.search(sample):
            formats.add("cloudformation")
    if suffix == ".template" and sample and _CFN_HINT.search(sample):
        formats.add("cloudformation")  # the `vpc.template` naming of CloudFormation templates
    if suffix == ".json" and sample and _IAM_HINT.search(sample):
        formats.add("iam-policy")
    if name == "chart.yaml" or ("templates" in parts and "charts" in parts):
        formats.add("helm")
    if name in ("kustomization.yaml", "kustomization.yml"):
        formats.add("kustomize")
    if suffix in (".yaml", ".yml") and _is_ansible(parts, name, sample):
        formats.add("ansible")
    if sample.startswith("#!") and re.match(r"#!.*\b(ba|z|k|da)?sh\b", sample):
        formats.add("shell")
    return frozenset(formats)


def _path_view(path: str) -> tuple[str, tuple[str, ...], str, list[str]]:
    """`PurePosixPath(path)`'s as_posix(), parts, name and suffixes; a plain path (what diffs
    name) is split as it is, which is what pathlib would give, without building the object."""
    if not is_plain(path):
        p = PurePosixPath(path)
        return p.as_posix(), p.parts, p.name, p.suffixes
    parts = tuple(path.split("/"))
    name = parts[-1]
    suffixes = [] if name.endswith(".") else ["." + s for s in name.lstrip(".").split(".")[1:]]
    return path, parts, name, suffixes


def _migration_formats(parts: list[str], name: str, suffix: str) -> set[str]:
    formats: set[str] = set()
    if "migrations" in parts and suffix == ".py" and re.match(r"\d{4}_", name):
        formats.add("django-migration")
    if "versions" in parts and suffix == ".py" and ("alembic" in parts or "migrations" in parts):
        formats.add("alembic-migration")
    if "migrate" in parts and "db" in parts and suffix == ".rb":
        formats.add("rails-migration")
    if suffix == ".sql" and (
        re.match(r"[vur]\d+(\.\d+)*__", name, re.IGNORECASE)
        or any(part in ("migrations", "migration", "migrate", "db") for part in parts)
    ):
        formats.add("sql-migration")
    return formats


def _is_ansible(parts: list[str], name: str, sample: str) -> bool:
    """Task files of a role or a `tasks/` folder, playbooks by name or folder: YAML lists; any
    YAML list holding a play (`- hosts:`)."""
    if ".github" in parts or "templates" in parts:
        return False
    if sample and _PLAY.search(sample):
        return True
    listed = not sample or bool(_YAML_LIST.search(sample))
    if any(part in _ANSIBLE_DIRS for part in parts[:-1]) and listed:
        return True
    in_playbooks = "playbooks" in parts[:-1] or "playbook" in parts[:-1]
    return bool(sample) and listed and (in_playbooks or bool(_ANSIBLE_NAMES.match(name)))
