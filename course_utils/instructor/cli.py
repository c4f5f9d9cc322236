"""The ``course`` command (also ``python -m course_utils``).

    course doctor                              check this machine and print fixes
    course run [--fast] [NOTEBOOK ...] [--out DIR] [--notebooks DIR]   execute notebooks headless, print a table
    course links [--repo OWNER/NAME] [--ref REF]   rewrite badges and Colab setup cells from addresses.py
    course links --check-release               which links break until the version's tag exists
    course release OUTDIR                      student versions of the notebooks, and an answer key
    course progress [PATH ...]                 class summary from students' progress files
    course site OUTDIR [--fast]                the course as a static website (needs the site extra)
    course hub [DIR]                           a JupyterHub for a class on this machine, with nbgrader
"""

import argparse
import sys


def _doctor(args):
    from course_utils import env

    facts = env.doctor(check_gpu=not args.no_gpu_check, check_kernel=not args.no_kernel_check)
    blocking = any(getattr(problem, "blocking", False) for problem in facts["problems"])
    return 1 if blocking or (facts["problems"] and args.strict) else 0


def _run(args):
    from course_utils.instructor import runner

    try:
        results = runner.run(args.notebooks, out_dir=args.out, fast=args.fast, timeout=args.timeout,
                             folder=args.notebooks_dir)
    except ValueError as err:
        print(f"course run: {err}", file=sys.stderr)
        return 2
    except runner.KernelUnavailable as err:
        print(f"course run: {err}", file=sys.stderr)
        return 1
    failed = [r for r in results if r.status != "ok"]
    if failed:
        print(f"\n{len(failed)} of {len(results)} notebooks failed.", file=sys.stderr)
        return 1
    print(f"\nAll {len(results)} notebooks ran successfully.")
    return 0


def _links(args):
    from course_utils.instructor import links

    if not (links.ROOT / "pyproject.toml").is_file():  # also for --check-release: it reads the clone
        print("course links rewrites the badges in a clone of the repository; this course is installed as a "
              "package. Run it from a clone (python -m pip install -e .).", file=sys.stderr)
        return 2
    if args.check_release:
        from course_utils.instructor import release_check

        return release_check.main()
    if args.repo or args.ref:
        try:
            links.set_home(repo=args.repo, ref=args.ref)
        except ValueError as err:
            print(f"course links: {err}", file=sys.stderr)
            return 2
        print(f"links.py: GITHUB_REPO = {links.GITHUB_REPO!r}, COURSE_REF = {links.COURSE_REF!r}")
    changed = links.sync_all()
    for path in changed:
        print(f"updated {path}")
    if not changed:
        print(f"badges and setup cells already follow {links.github_url()} at {links.COURSE_REF}")
    return 0


def build_parser():
    from course_utils.instructor import runner

    parser = argparse.ArgumentParser(prog="course", description="Tools for the CNN course.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    doctor = commands.add_parser("doctor", help="check Python, TensorFlow, Keras, hardware and data sources")
    doctor.add_argument("--no-gpu-check", action="store_true", help="do not import TensorFlow to look for GPUs")
    doctor.add_argument("--no-kernel-check", action="store_true", help="do not start a Jupyter kernel")
    doctor.add_argument("--strict", action="store_true",
                        help="exit with 1 on any problem (without it: only on those that stop the notebooks)")
    doctor.set_defaults(func=_doctor)

    run = commands.add_parser("run", help="execute notebooks headless with papermill and print a summary")
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="paths, names or numbers (default: all)")
    run.add_argument("--fast", action="store_true", help="use each notebook's fast parameter values")
    run.add_argument("--out", default=str(runner.DEFAULT_OUT),
                     help="folder for executed copies and summary.json (default: build/run in the current folder)")
    run.add_argument("--notebooks", dest="notebooks_dir", metavar="DIR", default=None,
                     help="folder of notebooks to run (default: the course's own, also when installed from a wheel)")
    run.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell (default 1800)")
    run.set_defaults(func=_run)

    links = commands.add_parser("links", help="rewrite badges and Colab setup cells from addresses.py (in a clone)")
    links.add_argument("--repo", metavar="OWNER/NAME", help="move the course to github.com/OWNER/NAME")
    links.add_argument("--ref", metavar="REF", help="the git tag or commit that badges and Colab installs use")
    links.add_argument("--check-release", action="store_true",
                       help="before tagging: which links break until the tag exists (local tags, no network)")
    links.set_defaults(func=_links)

    from course_utils.instructor import (  # light modules: they import their heavy parts lazily
        class_progress,
        hub,
        release,
        site,
    )

    release.register(commands)
    class_progress.register(commands)
    site.register(commands)
    hub.register(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return args.func(args)
