"""``graphnn-grade SUBMISSIONS/ [--assignment seed|cnn] [--out DIR] [--rubric FILE] [--jobs N]``:
grade a class.

Also ``python -m graphnn.grading SUBMISSIONS/``. ``SUBMISSIONS`` holds one folder per student;
each class is found in the file the seed names after it. ``--assignment`` picks the built-in
rubric (``results.ASSIGNMENTS``: the seed's ten classes, or the convolution assignment's image
layers); ``--rubric FILE`` changes any of its keys. Writes per student
``OUT/NAME/results.json`` (Gradescope) and ``OUT/NAME/report.html``, and ``OUT/grades.csv``
and ``OUT/index.html`` for the class (docs/grading.md). With ``--gradescope`` it grades one
submission folder and writes ``results.json`` where Gradescope reads it.
"""
import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .classgrade import grade_class
from .results import ASSIGNMENTS, load_rubric

__all__ = ["main"]


def main(argv=None):
    """Run the command line; returns the exit code (0, or 2 for a wrong argument)."""
    parser = argparse.ArgumentParser(
        prog="graphnn-grade", description="Grade a class's layers and objectives.",
        epilog="assignments: seed = the ten seed classes (InputLayer ... CrossEntropy); cnn = ConvolutionalLayer, "
               "MaxPoolLayer, FlatteningLayer, and the seed's classes too if any student handed them in. "
               "docs/grading.md has the rubric's format.")
    parser.add_argument("submissions", type=Path, help="a folder holding one folder per student "
                                                       "(with --gradescope: one student's submission folder)")
    parser.add_argument("--out", type=Path, default=Path("grading"), help="where the reports go (default ./grading)")
    parser.add_argument("--assignment", choices=sorted(ASSIGNMENTS), default="seed",
                        help="the built-in rubric: which classes are graded and their points (default seed)")
    parser.add_argument("--rubric", type=Path, help="a JSON rubric changing the assignment's (points, classes, "
                                                    "strict, conventions, time limits)")
    parser.add_argument("--jobs", type=int, help="students graded at once (default: the number of cores)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--gradescope", type=Path, metavar="RESULTS_JSON",
                        help="grade the one submission folder and write Gradescope's results.json there "
                             "(e.g. /autograder/results/results.json)")
    args = parser.parse_args(argv)
    try:
        rubric = load_rubric(args.rubric, args.assignment)
    except (OSError, ValueError) as err:
        parser.error(str(err))
    if args.gradescope is not None:
        with tempfile.TemporaryDirectory() as temporary:
            root = Path(temporary) / "class"
            shutil.copytree(args.submissions, root / "submission")
            grade_class(root, Path(temporary) / "out", rubric, jobs=1, progress=False)
            args.gradescope.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(temporary) / "out" / "submission" / "results.json", args.gradescope)
        print(f"wrote {args.gradescope}")
        return 0
    start = time.perf_counter()
    try:
        graded = grade_class(args.submissions, args.out, rubric, jobs=args.jobs, progress=not args.no_progress)
    except ValueError as err:
        parser.error(str(err))
    seconds = time.perf_counter() - start
    problems = sum(bool(result.get("problem")) for _, result in graded)
    print(f"graded {len(graded)} students in {seconds:.1f} s ({problems} with a problem); "
          f"reports in {args.out}/index.html, grades in {args.out}/grades.csv")
    print(json.dumps({"students": len(graded), "seconds": round(seconds, 1), "problems": problems}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
