"""A class summary from students' progress files: ``course progress [PATH ...] [--json FILE] [--plot FILE]``.

``summarize(paths)`` reads progress files, or folders searched recursively for ``*.json`` (format in
``progress``; files of either version), and returns a ``ClassSummary``; ``format_summary`` prints it and
``plot_summary`` draws it. Several files of one student (a laptop and Colab, two downloads of one file) are
merged, each record counted once (``progress.merge``), and the notes say which files were merged. A file in an
nbgrader course folder (``submitted|autograded|feedback/<student>/<assignment>/course_work/progress.json``)
belongs to the nbgrader student id of its folder, whatever login its header names. Definitions:

- an exercise is *attempted* by a student who has a record other than ``not_attempted`` for it, and *passed*
  when one of those records is correct; pass rate = passed / attempted;
- a quiz question's score = students for whom it counts as right (right within its tries, before the answer
  was shown; the latest record says so) / students who answered it;
- a student is *stuck* on an exercise after ``STUCK_AFTER`` (3) failed attempts without a pass.
"""

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course_utils.checking import progress

STUCK_AFTER = 3


@dataclass
class ExerciseStats:
    notebook: str
    item: str
    attempted: int  # students with at least one real attempt
    passed: int  # students with at least one correct check
    not_attempted: int  # students of the class without a real attempt
    pass_rate: float | None  # passed / attempted, None when nobody attempted
    stuck: dict = field(default_factory=dict)  # student -> failed attempts (>= STUCK_AFTER, never passed)


@dataclass
class QuestionStats:
    notebook: str
    item: str
    answered: int
    correct: int  # students for whom the question counts as right (within its tries)
    score: float | None  # correct / answered


@dataclass
class StudentStats:
    student: str
    files: list
    exercises_attempted: int
    exercises_passed: int
    quiz_answered: int
    quiz_correct: int
    quiz_score: float | None


@dataclass
class ClassSummary:
    students: list = field(default_factory=list)  # StudentStats, by name
    exercises: list = field(default_factory=list)  # ExerciseStats, by notebook then first appearance
    questions: list = field(default_factory=list)  # QuestionStats, same order
    unreadable: list = field(default_factory=list)  # (path, reason)
    notes: list = field(default_factory=list)  # merged files, skipped records

    @property
    def stuck(self):
        """``[(notebook, item, student, failed attempts)]`` for every stuck student."""
        return [(e.notebook, e.item, student, count) for e in self.exercises for student, count in e.stuck.items()]

    def to_dict(self):
        data = asdict(self)
        data["unreadable"] = [{"path": str(path), "reason": reason} for path, reason in self.unreadable]
        data["stuck"] = [dict(zip(("notebook", "item", "student", "failed_attempts"), row)) for row in self.stuck]
        return data


def find_progress_files(paths):
    """``(files, missing)``: the ``*.json`` files named or found (recursively) in folders, and paths not found."""
    files, missing = [], []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.json") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            missing.append((path, "not found"))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, missing


def nbgrader_owner(path):
    """The ``<student>`` of ``.../<submitted|autograded|feedback>/<student>/<assignment>/course_work/<file>``."""
    from course_utils.checking.grading import STUDENT_FOLDERS, WORK_FOLDER

    parts = Path(path).parts
    if len(parts) >= 5 and parts[-2] == WORK_FOLDER and parts[-5] in STUDENT_FOLDERS:
        return parts[-4]
    return None


def _by_student(files):
    """``(students, unreadable, notes)``: each student's records from all their files, each record counted once."""
    found, unreadable, notes = {}, [], []
    for path in files:
        try:
            data = progress.read(path)
        except ValueError as err:
            unreadable.append((path, str(err)))
            continue
        if data["skipped"]:
            notes.append(f"{path}: {len(data['skipped'])} damaged or malformed line(s) skipped "
                         f"({'; '.join(data['skipped'][:3])}{' ...' if len(data['skipped']) > 3 else ''})")
        owner = nbgrader_owner(path)
        if owner and data["student"] and owner != data["student"]:
            notes.append(f"{path}: counted as nbgrader student {owner!r} (its folder); the file names "
                         f"{data['student']!r}")
        found.setdefault(owner or data["student"] or path.stem, []).append((path, data["records"]))
    students = {}
    for student, parts in found.items():
        records, duplicates = progress.merge(records for _, records in parts)
        if len(parts) > 1:
            notes.append(f"{student}: merged {len(parts)} files ({', '.join(str(path) for path, _ in parts)}); "
                         f"{duplicates} record(s) found in more than one file counted once")
        records.sort(key=lambda r: str(r.get("time", "")))  # attempts in time order (stable: file order on ties)
        attempts = {}  # (kind, notebook, item) -> real attempts (not "not attempted"), oldest first
        for r in records:
            if r.get("status") != "not_attempted":
                attempts.setdefault((r["kind"], r["notebook"], r["item"]), []).append(r)
        students[student] = {"files": [str(path) for path, _ in parts], "records": records, "attempts": attempts}
    return students, unreadable, notes


def _ordered_items(students, kind):
    order = {}
    for entry in students.values():
        for record in entry["records"]:
            if record["kind"] == kind:
                order.setdefault((record["notebook"], record["item"]), len(order))
    return sorted(order, key=lambda key: (key[0], order[key]))


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else None


def _attempts(student, kind, notebook, item):
    """A student's real attempts (not "not attempted") at one exercise or question, oldest first."""
    return student["attempts"].get((kind, notebook, item), [])


def summarize(paths):
    """Read progress files (files or folders) and compute the class summary (a ``ClassSummary``)."""
    files, missing = find_progress_files(paths)
    students, unreadable, notes = _by_student(files)
    summary = ClassSummary(unreadable=missing + unreadable, notes=notes)
    names = sorted(students, key=str.lower)

    per_student = {name: {"attempted": 0, "passed": 0, "answered": 0, "correct": 0} for name in names}
    for notebook, item in _ordered_items(students, "exercise"):
        attempted = passed = 0
        stuck = {}
        for name in names:
            mine = _attempts(students[name], "exercise", notebook, item)
            if not mine:
                continue
            attempted += 1
            per_student[name]["attempted"] += 1
            if any(r.get("correct") is True for r in mine):
                passed += 1
                per_student[name]["passed"] += 1
            elif len(mine) >= STUCK_AFTER:
                stuck[name] = len(mine)
        summary.exercises.append(ExerciseStats(notebook, item, attempted, passed, len(names) - attempted,
                                               _ratio(passed, attempted), stuck))

    for notebook, item in _ordered_items(students, "quiz"):
        answered = correct = 0
        for name in names:
            mine = _attempts(students[name], "quiz", notebook, item)
            if not mine:
                continue
            answered += 1
            per_student[name]["answered"] += 1
            if mine[-1].get("correct") is True:
                correct += 1
                per_student[name]["correct"] += 1
        summary.questions.append(QuestionStats(notebook, item, answered, correct, _ratio(correct, answered)))

    for name in names:
        counts = per_student[name]
        summary.students.append(StudentStats(name, students[name]["files"], counts["attempted"], counts["passed"],
                                             counts["answered"], counts["correct"],
                                             _ratio(counts["correct"], counts["answered"])))
    return summary


# --- printing ------------------------------------------------------------------------------------------------
def _percent(value):
    return "-" if value is None else f"{value:.0%}"


def _table(header, rows):
    rows = [header] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return ["  " + line for line in lines]


def format_summary(summary):
    """The class summary as plain text: exercises, quiz questions, who is stuck, one line per student."""
    n = len(summary.students)
    lines = [f"Class summary: {n} student{'s' if n != 1 else ''}"
             + (f" ({len(summary.unreadable)} unreadable file(s) skipped)" if summary.unreadable else ""), ""]
    lines.append("Exercises (pass rate = passed / attempted):")
    if summary.exercises:
        lines += _table(["exercise", "passed/attempted", "pass rate", "not attempted", "stuck"],
                        [[f"{e.notebook} / {e.item}", f"{e.passed}/{e.attempted}", _percent(e.pass_rate),
                          e.not_attempted, len(e.stuck)] for e in summary.exercises])
    else:
        lines.append("  no exercise checks recorded yet")
    lines += ["", "Quiz questions (score = right within the tries / answered):"]
    if summary.questions:
        lines += _table(["question", "correct/answered", "score"],
                        [[f"{q.notebook} / {q.item}", f"{q.correct}/{q.answered}", _percent(q.score)]
                         for q in summary.questions])
    else:
        lines.append("  no quiz answers recorded yet")
    lines += ["", f"Stuck ({STUCK_AFTER}+ failed attempts, no pass):"]
    stuck = [e for e in summary.exercises if e.stuck]
    if stuck:
        for e in stuck:
            who = ", ".join(f"{student} ({count} tries)" for student, count in sorted(e.stuck.items()))
            lines.append(f"  {e.notebook} / {e.item}: {who}")
    else:
        lines.append("  nobody")
    lines += ["", "Students:"]
    total = len(summary.exercises)
    lines += _table(["student", "exercises passed", "quiz score"],
                    [[s.student, f"{s.exercises_passed}/{total}",
                      f"{s.quiz_correct}/{s.quiz_answered} ({_percent(s.quiz_score)})" if s.quiz_answered else "-"]
                     for s in summary.students])
    if summary.unreadable:
        lines += ["", "Unreadable files (skipped):"]
        lines += [f"  {path}: {reason}" for path, reason in summary.unreadable]
    if summary.notes:
        lines += ["", "Notes:"] + [f"  {note}" for note in summary.notes]
    return "\n".join(lines)


def plot_summary(summary, path):
    """Save bar charts (pass rate per exercise, quiz score per question) to ``path`` (PNG, PDF, SVG ...)."""
    from matplotlib.figure import Figure  # no pyplot: works headless and never changes a notebook's backend

    panels = [("Pass rate per exercise (passed / attempted)",
               [f"{e.notebook[:2]}/{e.item}" for e in summary.exercises],
               [e.pass_rate or 0.0 for e in summary.exercises],
               [f"{e.passed}/{e.attempted}" for e in summary.exercises], "#1a73e8"),
              ("Quiz score per question (right within the tries / answered)",
               [f"{q.notebook[:2]}/{q.item}" for q in summary.questions],
               [q.score or 0.0 for q in summary.questions],
               [f"{q.correct}/{q.answered}" for q in summary.questions], "#2e7d32")]
    width = max(6.0, 0.45 * max(len(panels[0][1]), len(panels[1][1]), 1) + 2)
    fig = Figure(figsize=(width, 7), layout="constrained")
    for axis, (title, labels, values, counts, colour) in zip(fig.subplots(2, 1), panels):
        axis.set_title(title)
        axis.set_ylim(0, 1.12)
        axis.set_ylabel("fraction of students")
        if labels:
            bars = axis.bar(range(len(labels)), values, color=colour)
            axis.bar_label(bars, labels=counts, fontsize=8)
            axis.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
        else:
            axis.text(0.5, 0.5, "nothing recorded yet", ha="center", va="center", transform=axis.transAxes)
            axis.set_xticks([])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


# --- command line --------------------------------------------------------------------------------------------
def _main(args):
    from course_utils import paths

    targets = args.paths or [str(paths.progress_file())]
    summary = summarize(targets)
    if not summary.students:
        reasons = "; ".join(f"{path}: {reason}" for path, reason in summary.unreadable) or "no *.json files"
        print(f"course progress: no readable progress files in {', '.join(targets)} ({reasons}). Pass the "
              f"students' progress files or a folder that holds them.", file=sys.stderr)
        return 1
    print(format_summary(summary))
    try:
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(summary.to_dict(), indent=1), encoding="utf-8")
            print(f"\nNumbers written to {args.json}")
        if args.plot:
            print(f"Figure saved to {plot_summary(summary, args.plot)}")
    except (OSError, ValueError) as err:
        print(f"course progress: could not save the output ({err}). Check the file name (e.g. summary.png) "
              f"and that the folder is writable.", file=sys.stderr)
        return 1
    return 0


def register(subparsers):
    """Add ``course progress`` to the ``course`` command's sub-commands."""
    parser = subparsers.add_parser("progress", help="class summary from students' progress files")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="progress files or folders of them, searched recursively (default: your own file)")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    parser.add_argument("--plot", metavar="FILE", help="also save bar charts (e.g. summary.png)")
    parser.set_defaults(func=_main)
