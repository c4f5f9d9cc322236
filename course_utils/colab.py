"""The second half of the notebooks' Colab setup cell: add the dependencies Colab lacks, replace none it has.

The cell installs the course itself with ``pip install --no-deps`` (see ``links.colab_setup_source``), so that
pip cannot upgrade Colab's TensorFlow, Keras, NumPy or ipywidgets 7.7 while resolving the course's requirements.
``install_missing()`` then installs only the requirements that are not installed at all, with every installed
requirement pinned to its current version (a pip constraints file), and notes any installed package older than
the course's floor without changing it.
"""

import importlib.metadata as metadata
import subprocess
import sys
import tempfile

PACKAGE = "cnn-course"
EXTRAS = ("tf",)  # TensorFlow and Keras: on Colab they are always there, and always kept


def requirements(package=PACKAGE, extras=EXTRAS):
    """The package's requirements (``packaging`` ``Requirement`` objects) for this Python, with ``extras``."""
    from packaging.requirements import Requirement

    found = []
    for line in metadata.requires(package) or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in ("", *extras)):
            found.append(requirement)
    return found


def installed_version(name):
    """The installed version of distribution ``name``, or ``None``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def plan(requirements, version_of=None):
    """``(missing, kept, too_old)``: requirements not installed; ``(name, version)`` installed ones to keep;
    ``(requirement, version)`` installed ones older than the requirement allows (kept all the same)."""
    version_of = version_of or installed_version
    missing, kept, too_old = [], [], []
    for requirement in requirements:
        version = version_of(requirement.name)
        if version is None:
            missing.append(requirement)
            continue
        kept.append((requirement.name, version))
        if not requirement.specifier.contains(version, prereleases=True):
            too_old.append((requirement, version))
    return missing, kept, too_old


def install_missing(package=PACKAGE, run=subprocess.run):
    """Install the missing requirements of ``package``, keeping every installed one at its version; print a summary.

    Raises ``RuntimeError`` with pip's message when the install fails.
    """
    missing, kept, too_old = plan(requirements(package))
    if missing:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="colab-keep-", delete=False) as keep:
            keep.write("".join(f"{name}=={version}\n" for name, version in kept))
        command = [sys.executable, "-m", "pip", "install", "-q", "-c", keep.name, *map(str, missing)]
        result = run(command, capture_output=True, text=True)
        if result.returncode != 0:
            print(result.stdout[-2000:], result.stderr[-2000:])
            names = ", ".join(r.name for r in missing)
            raise RuntimeError(f"Could not install {names}, which the course needs; pip says why above. Check "
                               f"that the runtime is connected, then run this cell again.")
    for requirement, version in too_old:
        print(f"Note: this runtime has {requirement.name} {version}; the course is tested with "
              f"{requirement.name}{requirement.specifier}. Kept the runtime's version; `course_utils.doctor()` "
              f"lists known problems.")
    versions = ", ".join(f"{name} {installed_version(name) or 'missing'}"
                         for name in ("tensorflow", "keras", "ipywidgets"))
    added = f"; added {', '.join(r.name for r in missing)}" if missing else ""
    print(f"Course {installed_version(package)} ready ({versions}{added}).")
