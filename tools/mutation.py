"""Helpers for mutation testing with mutmut 3 (docs/reliability.md, "Mutation testing"), run
from the repository root after a first ``mutmut run`` has written ``mutants/``:

    python tools/mutation.py table [PREFIX]                 # per-file results, as in the docs
    python tools/mutation.py sample PREFIX FRACTION MINIMUM SEED   # mutant names, one a line

``sample`` draws a stratified random sample: ``FRACTION`` of each file's mutants under
``graphnn/PREFIX`` (at least ``MINIMUM``, or all of a smaller file), seeded, so the same sample
is drawn again; run it with ``mutmut run $(python tools/mutation.py sample grading/ 0.1 10 2029)``.
A file with more mutants than a session can run is measured that way: one sample to find what
no test checks, a second one, drawn independently after the new tests, to measure.
"""
import json
import random
import sys
from pathlib import Path

MUTANTS = Path("mutants/graphnn")
#: mutmut's exit codes that count as killed: a failing test (1, 3), a time-out (an endless
#: loop the mutant made), a crash, a type check
KILLED = {1, 3, 24, 36, 152, 255, -24, -11, -9, 37}
NO_TESTS = {5, 33}


def results():
    """``{file under graphnn/: {mutant name: exit code or None}}``."""
    return {str(meta.relative_to(MUTANTS))[:-len(".meta")]: json.loads(meta.read_text())["exit_code_by_key"]
            for meta in sorted(MUTANTS.rglob("*.py.meta"))}


def table(prefix="", names=None):
    """The Markdown table of each file under ``prefix``: mutants, tested, killed, survived, no
    tests, killed % of tested; ``names``: count only these mutants (a sample)."""
    lines = ["| file | mutants | tested | killed | survived | no tests | killed % |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    total = [0] * 5
    for path, codes in results().items():
        if not path.startswith(prefix):
            continue
        if names is not None:
            codes = {name: code for name, code in codes.items() if name in names}
        if not codes:
            continue
        counts = [len(codes), sum(c is not None for c in codes.values()), sum(c in KILLED for c in codes.values()),
                  sum(c == 0 for c in codes.values()), sum(c in NO_TESTS for c in codes.values())]
        total = [a + b for a, b in zip(total, counts)]
        lines.append(f"| `{path}` | " + " | ".join(map(str, counts)) + f" | {_percent(counts)} |")
    lines.append("| **all** | " + " | ".join(map(str, total)) + f" | **{_percent(total)}** |")
    return "\n".join(lines)


def _percent(counts):
    tested = counts[1]
    return f"{100 * counts[2] / tested:.1f}" if tested else "-"


def sample(prefix, fraction, minimum, seed):
    """The names of a stratified random sample of the mutants under ``prefix``."""
    rng = random.Random(seed)
    chosen = []
    for path, codes in results().items():
        if path.startswith(prefix):
            names = sorted(codes)
            chosen += sorted(rng.sample(names, min(len(names), max(minimum, round(fraction * len(names))))))
    return chosen


def main(argv):
    if argv[:1] == ["table"] and len(argv) <= 3:
        names = set(Path(argv[2]).read_text().split()) if len(argv) == 3 else None
        print(table(argv[1] if len(argv) > 1 else "", names))
    elif argv[:1] == ["sample"] and len(argv) == 5:
        print("\n".join(sample(argv[1], float(argv[2]), int(argv[3]), int(argv[4]))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
