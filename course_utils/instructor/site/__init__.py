"""``course site OUTDIR``: the course as a static website (executed student notebooks, quizzes in the page).

Modules: ``build`` (the steps: release, execute, pages, Sphinx), ``pages`` (an executed notebook as a page),
``quizdata`` (quiz banks as data for ``static/course-quiz.js``), ``figures`` (alt text and colour-map checks
of matplotlib figures, loaded into the executing kernel), ``assets`` (MathJax and friends from npm, cached),
``home`` (the home page). Needs the ``site`` extra (Sphinx, myst-nb, sphinx-book-theme) and, once, npm.
"""

import sys


def _site(args):
    import time

    try:
        from course_utils.instructor.site import build
    except ImportError as err:  # pragma: no cover - the extra is missing
        print(f"course site needs the site extra: python -m pip install 'cnn-course[site]' ({err}).",
              file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        report = build.build(args.out_dir, executed=args.executed, fast=args.fast, names=args.notebooks,
                             work=args.work, cache=args.cache)
    except build.SiteError as err:
        print(f"course site: {err}", file=sys.stderr)
        return 1
    seconds = report["seconds"]
    steps = ", ".join(f"{step} {value:.1f} s" for step, value in seconds.items() if step != "total")
    count = len(report["pages"])
    print(f"Site of {count} notebook{'s' if count != 1 else ''} in {args.out_dir}: {report['size_mb']} MB, "
          f"{time.perf_counter() - start:.0f} s ({steps}). Open {args.out_dir}/index.html, or serve it with "
          f"`python -m http.server -d {args.out_dir}`.")
    print(f"Timings, figures and their alt text: {args.work or build.DEFAULT_WORK}/site-report.json")
    for name, problems in report["colour_problems"].items():
        for problem in problems:
            print(f"  colour map to check in {name}: {problem}")
    return 0


def register(commands):
    """Add ``course site`` to the ``course`` command's subcommands."""
    site = commands.add_parser("site", help="build the course's static website (executed student notebooks)")
    site.add_argument("out_dir", metavar="OUTDIR", help="folder for the website (replaced)")
    site.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="only these notebooks (default: all)")
    site.add_argument("--fast", action="store_true", help="execute with the fast parameters (CI, previews)")
    site.add_argument("--executed", metavar="DIR",
                      help="use these executed copies of the released notebooks instead of running them")
    site.add_argument("--work", metavar="DIR", default=None,
                      help="folder for the release, executed copies and pages (default: build/site-work)")
    site.add_argument("--cache", metavar="DIR", default=None,
                      help="folder for the npm packages (default: COURSE_SITE_CACHE or ~/.cache/cnn-course/site)")
    site.set_defaults(func=_site)
