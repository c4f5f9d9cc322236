"""``course links --check-release``: before tagging a version, which links break until its tag exists.

Badges (Colab, Binder), the Colab setup cell's install line and the README's install line all point to
``links.COURSE_REF``. They work only once the tag is on GitHub. This check reads the clone only (local git tags,
no network): the version of pyproject.toml, ``course_utils.__version__`` and ``COURSE_REF`` agree; then, per file,
the links at ``COURSE_REF``, and whether the tag exists in this clone and is the commit checked out.
"""

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

KINDS = {  # kind -> pattern of a link at the ref (``{repo}``, ``{ref}`` escaped)
    "Colab": r"colab\.research\.google\.com/github/{repo}/blob/{ref}/",
    "Binder": r"mybinder\.org/v2/gh/{repo}/{ref}\b",
    "pip install": r"git\+https://github\.com/{repo}@{ref}\b",
}


@dataclass
class ReleaseCheck:
    version: str
    package_version: str
    ref: str
    tag: str  # "here (HEAD)", "here (not HEAD)", "missing", "no git"
    links: dict = field(default_factory=dict)  # file -> {kind: count}
    problems: list = field(default_factory=list)

    @property
    def total(self):
        return sum(sum(kinds.values()) for kinds in self.links.values())


def _project_version(root):
    import tomllib

    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _git(root, *args):
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def tag_state(root, ref):
    """``"here (HEAD)"``, ``"here (not HEAD)"``, ``"missing"`` (a clone without the tag) or ``"no git"``."""
    if _git(root, "rev-parse", "--git-dir") is None:
        return "no git"
    tagged = _git(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{ref}^{{commit}}")
    if not tagged:
        return "missing"
    return "here (HEAD)" if tagged == _git(root, "rev-parse", "HEAD") else "here (not HEAD)"


def links_at_ref(root, repo, ref):
    """``{file: {kind: count}}`` for the README and the notebooks: the links that open or install ``ref``."""
    patterns = {kind: re.compile(p.format(repo=re.escape(repo), ref=re.escape(ref))) for kind, p in KINDS.items()}
    found = {}
    for path in [root / "README.md", *sorted((root / "notebooks").glob("[0-9]*.ipynb"))]:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        counts = {kind: len(pattern.findall(text)) for kind, pattern in patterns.items()}
        if any(counts.values()):
            found[str(path.relative_to(root))] = {k: v for k, v in counts.items() if v}
    return found


def check(root=None):
    """The ``ReleaseCheck`` of the clone at ``root`` (default: the one this package runs from)."""
    import course_utils
    from course_utils.instructor import links

    root = Path(root) if root else links.ROOT
    version = _project_version(root)
    result = ReleaseCheck(version, course_utils.__version__, links.COURSE_REF, tag_state(root, links.COURSE_REF),
                          links_at_ref(root, links.GITHUB_REPO, links.COURSE_REF))
    if course_utils.__version__ != version:
        result.problems.append(f"course_utils.__version__ is {course_utils.__version__} but pyproject.toml says "
                               f"{version}: make them equal.")
    if links.COURSE_REF != f"v{version}":
        result.problems.append(f"the links point to {links.COURSE_REF}, not to this version's tag v{version}: "
                               f"run `course links --ref v{version}`.")
    stale = [str(p) for p in _out_of_sync(root)]
    if stale:
        result.problems.append(f"badges or setup cells do not follow links.py in {', '.join(stale)}: run "
                               f"`course links`.")
    return result


def _out_of_sync(root):
    """Files whose generated links differ from links.py (checked on copies: nothing is rewritten)."""
    import shutil
    import tempfile

    from course_utils.instructor import links

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "notebooks").mkdir()
        for path in (root / "notebooks").glob("[0-9]*.ipynb"):
            shutil.copy(path, scratch / "notebooks")
        if (root / "README.md").is_file():
            shutil.copy(root / "README.md", scratch)
        return [Path(p).relative_to(scratch) for p in links.sync_all(scratch)]


def report(result):
    lines = [f"version {result.version} (pyproject.toml), course_utils {result.package_version}, links at "
             f"{result.ref}: {result.total} links in {len(result.links)} files"]
    for path, kinds in result.links.items():
        lines.append(f"  {path}: " + ", ".join(f"{count} {kind}" for kind, count in kinds.items()))
    if result.tag == "missing":
        lines.append(f"Tag {result.ref} does not exist in this clone: all {result.total} links above break until it "
                     f"exists on GitHub. After committing: git tag {result.ref} && git push origin {result.ref}")
    elif result.tag == "here (not HEAD)":
        lines.append(f"Tag {result.ref} exists but is not the commit checked out: the links open the tagged "
                     f"commit, not this one. Bump the version for a new release.")
    elif result.tag == "no git":
        lines.append("Not a git clone: the tags could not be checked.")
    else:
        lines.append(f"Tag {result.ref} is this commit. Is it pushed? (not checked: no network) "
                     f"git push origin {result.ref}")
    lines += [f"Problem: {problem}" for problem in result.problems]
    return "\n".join(lines)


def main():
    """Print the check; exit status 1 when a link would break (tag missing) or the versions disagree."""
    result = check()
    print(report(result))
    if result.problems or result.tag != "here (HEAD)":
        print("\nNot ready to release yet (see above).", file=sys.stderr)
        return 1
    return 0
