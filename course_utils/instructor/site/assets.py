"""The scripts the site's pages load, fetched once from npm into a cache folder and shipped inside the site.

MathJax (math), RequireJS and the Jupyter widget manager (pages of notebooks with saved widgets) come from the
npm registry with ``npm pack`` (the package files only, no dependencies) at build time; a page never loads
anything from another site. The cache: ``COURSE_SITE_CACHE``, else ``~/.cache/cnn-course/site``.
"""

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

PACKAGES = {  # npm package -> exact version (the site is reproducible)
    "mathjax": "3.2.2",
    "requirejs": "2.3.8",
    "@jupyter-widgets/html-manager": "1.0.15",
}
TEST_PACKAGES = {"axe-core": "4.11.0"}  # the accessibility check of tests/test_site.py


class AssetError(RuntimeError):
    """An npm package could not be fetched; the message says what to do."""


def cache_dir():
    folder = os.environ.get("COURSE_SITE_CACHE")
    return Path(folder) if folder else Path.home() / ".cache" / "cnn-course" / "site"


def package_dir(name, version=None, cache=None):
    """The unpacked files of npm package ``name`` (fetched with ``npm pack`` when not cached)."""
    version = version or {**PACKAGES, **TEST_PACKAGES}[name]
    cache = Path(cache or cache_dir())
    target = cache / f"{name.replace('/', '+')}@{version}"
    if (target / "package.json").is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(f"The site needs {name} {version} from npm, once (then it is cached in {cache}), "
                         f"and npm is not installed. Install Node.js and npm (Debian: apt-get install npm), "
                         f"or set COURSE_SITE_CACHE to a folder that already holds it.")
    download = cache / "tarballs"
    download.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([npm, "pack", f"{name}@{version}", "--pack-destination", str(download), "--silent"],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    tarball = download / (result.stdout.strip().splitlines() or ["?"])[-1]
    if result.returncode != 0 or not tarball.is_file():
        raise AssetError(f"npm could not fetch {name}@{version} (is the npm registry reachable?):\n"
                         f"{result.stderr.strip()[-1500:]}")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(partial, filter="data")
    shutil.rmtree(target, ignore_errors=True)
    (partial / "package").rename(target)
    shutil.rmtree(partial, ignore_errors=True)
    tarball.unlink()
    return target


def _skip_mathjax(path):
    """MathJax files the site never loads: other bundles than ``tex-chtml.js``, SVG output, speech rules other
    than English."""
    name = path.name
    parts = path.parts
    top_level_bundle = len(parts) == 1 and name.endswith(".js") and name != "tex-chtml.js"
    return (top_level_bundle or "svg" in name or name.endswith(".map")
            or ("mathmaps" in parts and name not in ("en.json", "base.json")))


def install(static_dir, cache=None, widgets=False):
    """Copy the vendored scripts into ``static_dir`` (the site's ``_static``); returns paths relative to it.
    ``widgets``: also RequireJS and the widget manager (for pages that saved widget state)."""
    static_dir = Path(static_dir)
    vendor = static_dir / "vendor"
    _copy_tree(package_dir("mathjax", cache=cache) / "es5", vendor / "mathjax", _skip_mathjax)
    paths = {"mathjax": "vendor/mathjax/tex-chtml.js"}
    if widgets:
        shutil.copyfile(package_dir("requirejs", cache=cache) / "require.js", vendor / "require.js")
        _copy_tree(package_dir("@jupyter-widgets/html-manager", cache=cache) / "dist", vendor / "html-manager",
                   lambda p: p.suffix == ".map" or p.name in ("embed.js", "libembed-amd.js"))
        paths.update(require="vendor/require.js", widgets="vendor/html-manager/embed-amd.js")
    return paths


def _copy_tree(source, target, skip):
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if path.is_file() and not skip(relative):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)
