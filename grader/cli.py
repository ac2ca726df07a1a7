"""Command line: parse arguments, then import only the command that runs.

Imports are deferred so ``grader --help`` stays far under half a second.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from grader import __version__
from grader.errors import GraderFault, UsageError

DEFAULT_OUT = "grader-results"
# the commands whose course tool needs a result even when the grader cannot grade
FAULT_RECORDED = ("check", "grade", "classroom50", "prairielearn")
LIMIT_FLAGS = [  # flag, field of spec_types.Limits, type, unit
    ("--wall-time", "wall_time_s", float, "S"),
    ("--code-time", "code_time_s", float, "S"),
    ("--memory", "memory_mb", int, "MB"),
    ("--cpu-time", "cpu_time_s", float, "S"),
    ("--processes", "processes", int, "N"),
    ("--file-size", "file_size_mb", int, "MB"),
    ("--disk", "disk_mb", int, "MB"),
    ("--tmp", "tmp_mb", int, "MB"),
    ("--output-kept", "output_kept_kb", int, "KB"),
    ("--max-params", "max_params", int, "N"),
]


def _add_weights(p: argparse.ArgumentParser) -> None:
    """Where the pretrained weights are: grading mounts them, ``grader weights`` fills them."""
    p.add_argument(
        "--weights",
        metavar="DIR",
        help="pretrained keras.applications weights submissions may load (default: "
        "$GRADER_WEIGHTS, then ~/.cache/grader/keras-models; see `grader weights`)",
    )


def _add_setup(p: argparse.ArgumentParser, budget_help: str) -> None:
    """What decides how a model is trained: assignment, budget, data, weights, sandbox,
    limits."""
    p.add_argument(
        "--assignment",
        default="cifar10_cnn",
        metavar="NAME_OR_PATH",
        help="bundled assignment name, or a folder/file holding assignment.toml",
    )
    p.add_argument(
        "--data",
        metavar="PATH",
        help="CIFAR-10: a cifar-10-batches-py folder or cifar-10-python.tar.gz "
        "(default: $GRADER_DATA, then the Keras cache)",
    )
    p.add_argument("--budget", metavar="NAME", help=budget_help)
    _add_weights(p)
    p.add_argument(
        "--sandbox",
        choices=("auto", "strict", "warm", "bubblewrap", "process"),  # sandbox.MODES
        default="auto",
        help="auto: warm stages (TensorFlow imported once per batch, each stage in its own "
        "namespaces) when they run here, else bubblewrap, else process-only with a warning; "
        "strict: refuse to grade without full isolation; warm, bubblewrap: only that; "
        "process: no namespaces",
    )
    group = p.add_argument_group("limits (defaults from the assignment spec)")
    for flag, field, kind, unit in LIMIT_FLAGS:
        group.add_argument(flag, dest=f"limit_{field}", type=kind, metavar=unit)


def _add_grading(p: argparse.ArgumentParser, budget_help: str) -> None:
    """Options of the commands that grade: the setup, where results go, exports."""
    _add_setup(p, budget_help)
    p.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"where results go (default: {DEFAULT_OUT})",
    )
    p.add_argument(
        "--force", action="store_true", help="grade again even when an up-to-date result exists"
    )
    p.add_argument(
        "--no-calibrate",
        dest="calibrate",
        action="store_false",
        help="when no calibration matches the data, budget and versions, stop and say what "
        "differs instead of calibrating first",
    )
    p.add_argument(
        "--gradescope",
        metavar="FILE",
        help="also write Gradescope's results.json here (one submission only)",
    )
    p.add_argument("--junit", metavar="FILE", help="also write JUnit XML here")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Grade CIFAR-10 Keras submissions in a sandbox."
    )
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = sub.add_parser("grade", help="grade submissions (files, folders, zips)")
    grade.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help=".ipynb or .py file, folder of submissions, or .zip of one",
    )
    grade.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="submissions graded at the same time (default: 1; with --cluster, the "
        "workers' threads)",
    )
    grade.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="grade on a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (README, "
        '"Grading on a cluster"; needs pip install "grader[cluster]")',
    )
    _add_grading(grade, "training budget from the spec (default: standard)")
    grade.set_defaults(module="grader.commands.grade")

    check = sub.add_parser(
        "check",
        help="self-check one submission; exit 0 when it passes (at a quick budget: is likely "
        "to pass), 1 when not, 3 when too close to call at a quick budget",
    )
    check.add_argument("file", metavar="FILE", help="the .ipynb or .py to check")
    _add_grading(
        check,
        "training budget from the spec (default: the spec's check_budget, a quick one that "
        "predicts the grade; 'standard' gives the instructor's exact grade)",
    )
    check.set_defaults(module="grader.commands.check")

    classroom50 = sub.add_parser(
        "classroom50",
        help="grade a checked-out repository for Classroom 50's runner: its result.json "
        "(run by the assignment's autograder.py)",
    )
    classroom50.add_argument(
        "path", nargs="?", default=".", metavar="PATH", help="the student's repository (default: .)"
    )
    classroom50.add_argument(
        "--output",
        default="result.json",
        metavar="FILE",
        help="where Classroom 50's result goes (default: result.json, where its runner reads it)",
    )
    _add_grading(classroom50, "training budget from the spec (default: standard)")
    classroom50.set_defaults(module="grader.commands.classroom50")

    prairielearn = sub.add_parser(
        "prairielearn",
        help="grade ROOT/student as a PrairieLearn external grader: ROOT/results/results.json",
    )
    prairielearn.add_argument(
        "--root", default="/grade", metavar="ROOT", help="the job's folder (default: /grade)"
    )
    _add_grading(prairielearn, "training budget from the spec (default: standard)")
    prairielearn.set_defaults(module="grader.commands.prairielearn")

    calibrate = sub.add_parser(
        "calibrate",
        help="train the reference solution(s) for several seeds and set the accuracy "
        "threshold from them",
    )
    _add_setup(calibrate, "the budget to calibrate, or 'all' (default: all)")
    calibrate.add_argument(
        "--seeds",
        type=int,
        default=5,
        metavar="K",
        help="runs per reference solution, with seeds from the budget's seed up (default: 5)",
    )
    calibrate.add_argument(
        "--force", action="store_true", help="calibrate again even when a calibration matches"
    )
    calibrate.set_defaults(module="grader.commands.calibrate")
    bundle = sub.add_parser(
        "gradescope-bundle", help="build the autograder zip to upload to Gradescope"
    )
    bundle.add_argument("--assignment", default="cifar10_cnn", metavar="NAME_OR_PATH")
    bundle.add_argument("--output", default="autograder.zip", metavar="ZIP")
    bundle.set_defaults(module="grader.commands.gradescope_bundle")
    _add_weights_command(sub)
    _add_export_command(sub)
    _add_pdf_command(sub)
    _add_similarity_command(sub)
    _add_leaderboard_command(sub)
    return parser


def _add_leaderboard_command(sub: argparse._SubParsersAction) -> None:
    """``grader leaderboard``: the class ranking, public during the term, final at the end."""
    board = sub.add_parser("leaderboard", help="write a results folder's leaderboard.html")
    board.add_argument("out_dir", metavar="RESULTS", help="a results folder")
    board.add_argument("--assignment", default="cifar10_cnn", metavar="NAME_OR_PATH")
    board.add_argument(
        "--final",
        action="store_true",
        help="rank on the private test images (never shown before): the end of the term",
    )
    board.set_defaults(module="grader.commands.leaderboard")


def _add_similarity_command(sub: argparse._SubParsersAction) -> None:
    """``grader similarity``: near-copies by code and by model, without grading again."""
    similar = sub.add_parser(
        "similarity",
        help="find near-copies among submissions, by code and by model (evidence for a "
        "person, not a verdict): writes similarity.csv and similarity.html",
    )
    similar.add_argument(
        "paths", nargs="+", metavar="PATH", help="submissions: files, folders, zips (as grade)"
    )
    similar.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help="where the two files go; model signals come from the results there "
        f"(default: {DEFAULT_OUT})",
    )
    similar.add_argument(
        "--starter",
        action="append",
        metavar="FILE",
        help="code handed to every student (beside the spec's template): never evidence; "
        "repeatable",
    )
    similar.add_argument(
        "--against",
        action="append",
        metavar="DIR",
        help="earlier submissions or results (e.g. last year's results folder), compared "
        "with these but not among themselves; repeatable",
    )
    similar.add_argument("--assignment", default="cifar10_cnn", metavar="NAME_OR_PATH")
    similar.set_defaults(module="grader.commands.similarity")


def _add_weights_command(sub: argparse._SubParsersAction) -> None:
    """``grader weights add|list``: the cache of pretrained weights submissions may load."""
    weights = sub.add_parser(
        "weights", help="pretrained keras.applications weights submissions may load offline"
    )
    weights.set_defaults(module="grader.commands.weights")
    actions = weights.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="add an application's ImageNet weights: downloaded through Keras, or copied "
        "with --from",
    )
    add.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="a keras.applications name, any case: MobileNetV2, vgg16, resnet50, mobilenet_v2",
    )
    add.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        help="copy the application's .h5 files from this folder (e.g. ~/.keras/models) "
        "instead of downloading",
    )
    top = add.add_mutually_exclusive_group()
    top.add_argument(
        "--include-top",
        dest="include_top",
        action="store_true",
        default=None,
        help="the variant with the ImageNet classifier (include_top=True)",
    )
    top.add_argument(
        "--no-top",
        dest="include_top",
        action="store_false",
        help="the variant without it (include_top=False), what transfer learning loads; "
        "downloads default to it, --from copies both unless told",
    )
    _add_weights(add)
    _add_weights(actions.add_parser("list", help="the files the cache holds, with sizes"))


def _add_pdf_command(sub: argparse._SubParsersAction) -> None:
    """``grader pdf``: a finished results folder printed with headless Chromium."""
    pdf = sub.add_parser(
        "pdf",
        help="print a results folder to PDF: the class overview and every report, each "
        "student from a new page",
    )
    pdf.add_argument("out_dir", metavar="OUT_DIR", help="a results folder (grade's --out)")
    pdf.add_argument(
        "--output",
        metavar="FILE",
        help="where the combined PDF goes (default: OUT_DIR/reports.pdf)",
    )
    pdf.add_argument(
        "--each",
        action="store_true",
        help="also OUT_DIR/<submission>/report.pdf for each student, to email (about 1.5 s "
        "each: a Chromium start per student)",
    )
    pdf.add_argument("--title", help="the overview's heading (default: the assignment's name)")
    pdf.add_argument(
        "--chromium",
        metavar="PATH",
        help="the Chromium or Chrome to print with (default: chromium, then google-chrome on PATH)",
    )
    pdf.set_defaults(module="grader.commands.pdf")


def _add_export_command(sub: argparse._SubParsersAction) -> None:
    """``grader export canvas|roster``: a results folder's grades into an LMS gradebook, so
    no course needs a script of its own to carry them there."""
    export = sub.add_parser(
        "export", help="put a results folder's grades into an LMS gradebook (Canvas, Moodle...)"
    )
    export.set_defaults(module="grader.commands.export")
    kinds = export.add_subparsers(dest="lms", required=True, metavar="LMS")
    canvas = kinds.add_parser(
        "canvas",
        help="fill one assignment's column of the gradebook CSV Canvas exports, to import back",
    )
    roster = kinds.add_parser(
        "roster",
        help="a CSV with a row per student of a roster (student, submission, score, max_score, "
        "passed, points per rubric item), for Moodle, Blackboard or a spreadsheet",
    )
    for p in (canvas, roster):
        p.add_argument("out", metavar="OUT_DIR", help="the results folder (grade --out)")
        p.add_argument("--output", required=True, metavar="CSV", help="the file to write")
    canvas.add_argument(
        "--gradebook",
        required=True,
        metavar="CSV",
        help="the gradebook Canvas exported (Grades, Export, Export Entire Gradebook)",
    )
    canvas.add_argument(
        "--column",
        required=True,
        metavar="NAME",
        help='the assignment\'s column, e.g. "CIFAR-10 CNN (12345)"; the title alone will do '
        "when one column has it",
    )
    canvas.add_argument(
        "--match",
        default="SIS Login ID",
        metavar="COLUMN",
        help="the student column that submission ids are (default: SIS Login ID); matched "
        "exactly but for case and surrounding spaces",
    )
    canvas.add_argument(
        "--roster",
        metavar="CSV",
        help="columns submission,student: the --match value of each submission, when file "
        "names are not logins",
    )
    roster.add_argument(
        "--roster",
        required=True,
        metavar="CSV",
        help="columns submission,student (a blank submission: a student without one)",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return importlib.import_module(args.module).run(args)
    except UsageError as exc:
        return _stop(args, str(exc), 2)
    except GraderFault as exc:
        return _stop(args, str(exc), 1)
    except KeyboardInterrupt:
        print("grader: interrupted; finished results are kept", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of the grader's: its traceback is for whoever runs it
        traceback.print_exc()
        return _stop(args, f"the grader crashed ({type(exc).__name__}: {exc})", 1)


def _stop(args: argparse.Namespace, message: str, status: int) -> int:
    """One line for the person at the terminal, and a result that says so for the
    course's tools (Gradescope, GitHub Classroom), which must never be left without one."""
    print(f"grader: error: {message}", file=sys.stderr)
    if args.command in FAULT_RECORDED:
        from grader.commands.fault import record_fault

        try:
            record_fault(args, message)
        except OSError as exc:  # e.g. the --gradescope folder does not exist
            print(f"grader: error: could not record the fault: {exc}", file=sys.stderr)
    return status
