"""Helpers for mutation testing with mutmut 3 (docs/reliability.md, "Mutation testing"), run
from the repository root after a first ``mutmut run`` has written ``mutants/``:

    python tools/mutation.py table [PREFIX]                 # per-file results, as in the docs
    python tools/mutation.py sample PREFIX FRACTION MINIMUM SEED   # mutant names, one a line
    python tools/mutation.py save [PREFIX]                  # results into tools/mutation_results.json
    python tools/mutation.py restore                        # ... and back, before a run
    python tools/mutation.py pending [PREFIX]               # names not yet tested, one a line

``sample`` draws a stratified random sample: ``FRACTION`` of each file's mutants under
``graphnn/PREFIX`` (at least ``MINIMUM``, or all of a smaller file), seeded, so the same sample
is drawn again; run it with ``mutmut run $(python tools/mutation.py sample grading/ 0.1 10 2029)``.
A file with more mutants than a session can run is measured that way: one sample to find what
no test checks, a second one, drawn independently after the new tests, to measure.

``save`` and ``restore`` carry a run that takes longer than a sitting over to the next one,
on a fresh clone: ``save`` keeps each function's hash and the exit code of each of its mutants
(``None``: not run yet) in ``tools/mutation_results.json``, committed; ``restore`` writes them
back into ``mutants/`` before ``mutmut run``, which then keeps a result only where the
function's hash is unchanged (mutmut's own rule) and tests what ``pending`` names:

    python tools/mutation.py restore
    nice mutmut run --max-children 2 $(python tools/mutation.py pending grading/)
    python tools/mutation.py save grading/

``pending`` reads the source as it is now (with mutmut's own generator): it names the mutants
never run and those of every function changed since its result. A kept "killed" holds while
the tests that killed it stay; a kept survivor may have been killed by a test written since,
so run the survivors again before classing them. Never start ``mutmut run`` with no names
here: it would run every mutant of the engine too.
"""
import json
import random
import sys
from pathlib import Path

MUTANTS = Path("mutants/graphnn")
SAVED = Path(__file__).with_name("mutation_results.json")
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


def save(prefix="", saved=SAVED, mutants=MUTANTS):
    """Write the hashes and results of the files under ``prefix`` into ``saved``, keeping the
    other files' entries: ``{file: {"module": ..., "hashes": {function: hash},
    "results": {function: [exit code of mutant 1, 2, ...]}}}``."""
    kept = json.loads(saved.read_text()) if saved.exists() else {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        path = str(meta.relative_to(mutants))[:-len(".meta")]
        if not path.startswith(prefix):
            continue
        data = json.loads(meta.read_text())
        results, module = {}, None
        for name, code in data["exit_code_by_key"].items():
            module, _, mutant = name.rpartition(".")
            function, _, number = mutant.rpartition("__mutmut_")
            codes = results.setdefault(function, [])
            codes.extend([None] * (int(number) - len(codes)))
            codes[int(number) - 1] = code
        kept[path] = {"module": module, "hashes": data["hash_by_function_name"], "results": results}
    saved.write_text(json.dumps(kept, indent=1, sort_keys=True) + "\n")
    return kept


def restore(saved=SAVED, mutants=MUTANTS):
    """Write ``saved`` back as mutmut's ``.meta`` files under ``mutants``; a file mutmut has
    already generated is left as it is (its own results are newer)."""
    for path, entry in json.loads(saved.read_text()).items():
        meta = mutants / (path + ".meta")
        if meta.exists() or not entry["module"]:
            continue
        meta.parent.mkdir(parents=True, exist_ok=True)
        codes = {f"{entry['module']}.{function}__mutmut_{number}": code
                 for function, results in entry["results"].items() for number, code in enumerate(results, 1)}
        meta.write_text(json.dumps({"exit_code_by_key": codes, "hash_by_function_name": entry["hashes"],
                                    "type_check_error_by_key": {}, "durations_by_key": {},
                                    "estimated_durations_by_key": {}}, indent=4))


def current_mutants(path):
    """``(names, hashes)`` of ``graphnn/PATH`` as its source is now: the names mutmut gives
    its mutants and the hash of each function, from mutmut's own generator (nothing written)."""
    from mutmut.mutation.file_mutation import mutate_file_contents

    source = Path("graphnn") / path
    mutated = mutate_file_contents(str(source), source.read_text())
    module = "graphnn." + path[:-len(".py")].replace("/", ".")
    return [f"{module}.{name}" for name in mutated.mutant_names], mutated.hash_by_function_name


def pending(prefix="", mutants=MUTANTS):
    """The names of the mutants of the source under ``graphnn/PREFIX`` as it is now that have
    no result: never run, or of a function changed since its result (mutmut drops those when
    it generates the mutants again, at the start of the run these names are given to)."""
    names = []
    for source in sorted(Path("graphnn").rglob("*.py")):
        path = str(source.relative_to("graphnn"))
        if not path.startswith(prefix):
            continue
        meta = mutants / (path + ".meta")
        data = json.loads(meta.read_text()) if meta.exists() else {"exit_code_by_key": {}, "hash_by_function_name": {}}
        now, hashes = current_mutants(path)
        for name in now:
            function = name.rpartition(".")[2].rpartition("__mutmut_")[0]
            if data["exit_code_by_key"].get(name) is None or data["hash_by_function_name"].get(function) != hashes[function]:
                names.append(name)
    return names


def main(argv):
    if argv[:1] == ["table"] and len(argv) <= 3:
        names = set(Path(argv[2]).read_text().split()) if len(argv) == 3 else None
        print(table(argv[1] if len(argv) > 1 else "", names))
    elif argv[:1] == ["sample"] and len(argv) == 5:
        print("\n".join(sample(argv[1], float(argv[2]), int(argv[3]), int(argv[4]))))
    elif argv[:1] == ["save"] and len(argv) <= 2:
        save(*argv[1:])
    elif argv == ["restore"]:
        restore()
    elif argv[:1] == ["pending"] and len(argv) <= 2:
        print("\n".join(pending(*argv[1:])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
