"""Grading a whole class: each student's folder in a process of its own, in parallel.

``grade_class(submissions, out)`` copies each student's folder to a temporary folder, runs
``python -m graphnn.grading.worker`` there (``worker``) with a memory limit, a time limit per
check and one for the student, its stdout and stderr captured to files, then writes the
student's ``results.json`` (Gradescope) and ``report.html``, and the class's ``grades.csv`` and
``index.html`` (``results``). A student who hangs, crashes at import, prints megabytes, calls
``sys.exit`` or writes files disturbs no one else: the process is killed (its whole process
group) at the time limit, its output is read only up to ``OUTPUT_SHOWN`` bytes, and the
temporary folder is deleted.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .discover import IGNORED_PARTS, classes_handed_in, find_students
from .results import gradescope_results, load_rubric, student_html, summary_html, write_class_csv

__all__ = ["grade_class", "grade_student", "OUTPUT_SHOWN", "worker_environment"]

#: how much of a student's stdout and stderr the reports show (the start), in bytes
OUTPUT_SHOWN = 4000


def worker_environment(home):
    """The environment of a worker: graphnn importable as this process imports it, one BLAS
    thread (the students run in parallel already), no bytecode written, ``HOME`` and the
    temporary folder inside ``home``."""
    root = str(Path(__file__).resolve().parents[2])
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(PYTHONPATH=os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p]),
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg", HOME=str(home), TMPDIR=str(home),
               PYTHONIOENCODING="utf-8")
    return env


def _read_start(path, limit=OUTPUT_SHOWN):
    with open(path, "rb") as handle:
        head = handle.read(limit)
    return head.decode("utf-8", errors="replace"), os.path.getsize(path)


def grade_student(folder, rubric, python=sys.executable):
    """Grade one student's ``folder`` on the rubric's ``graded`` classes and those of its
    ``optional`` ones the folder holds; returns the result dict: ``graded`` (those classes),
    ``classes`` (what the worker wrote,
    per class), ``problem`` (a time-out, a crash, or ``''``), ``seconds``, the start of
    ``stdout`` and ``stderr`` and their sizes in bytes (``stdout_bytes``, ``stderr_bytes``)."""
    config = {key: rubric.get(key) for key in ("strict", "time_limit", "import_time_limit", "memory_mb", "conventions",
                                               "student_time_limit", "input_shapes")}
    required = list(rubric.get("graded") or [])
    config["classes"] = required + [name for name in classes_handed_in([folder], rubric.get("optional") or [])
                                    if name not in required]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="graphnn-grade-") as temporary:
        temporary = Path(temporary)
        work = temporary / "submission"
        shutil.copytree(folder, work, symlinks=False, ignore=shutil.ignore_patterns(*IGNORED_PARTS, "*.pyc"))
        result_path, out_path, err_path = temporary / "result.json", temporary / "stdout", temporary / "stderr"
        command = [python, "-m", "graphnn.grading.worker", str(work), str(result_path), "--config", json.dumps(config)]
        timed_out = False
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            # started outside the copy: `-m` puts the start folder first on sys.path, and a student's
            # numpy.py must not shadow numpy; the worker moves into the copy once graphnn is imported
            process = subprocess.Popen(command, cwd=temporary, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                       env=worker_environment(temporary), start_new_session=True)
            try:
                code = process.wait(timeout=rubric.get("student_time_limit"))
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                try:  # the worker's whole group: a student's own child processes too
                    os.killpg(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                code = process.wait()
        result = {"classes": {}}
        if result_path.exists():
            try:
                result = json.loads(result_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                pass
        result["stdout"], result["stdout_bytes"] = _read_start(out_path)
        result["stderr"], result["stderr_bytes"] = _read_start(err_path)
    problem = ""
    if timed_out:
        problem = f"stopped after the time limit of {rubric.get('student_time_limit')} s; the classes not graded by then earn 0"
    elif not result.get("finished"):
        problem = (f"the grading process ended early (exit code {code}): the student's code ended it or ran out of "
                   f"memory ({rubric.get('memory_mb')} MB); the classes not graded by then earn 0")
    result["problem"] = problem
    result["graded"] = config["classes"]
    result["seconds"] = time.perf_counter() - start
    return result


def grade_class(submissions, out, rubric=None, jobs=None, progress=True, python=sys.executable):
    """Grade every student's folder under ``submissions``, writing into ``out``: per student
    ``out/NAME/results.json`` (Gradescope) and ``out/NAME/report.html``; for the class
    ``out/grades.csv`` and ``out/index.html``. ``rubric``: a dict (``results.load_rubric``)
    or the path of a rubric file (default ``results.DEFAULT_RUBRIC``); ``jobs``: students
    graded at once (default: the number of cores); ``progress``: a progress bar on stderr.
    Returns ``[(name, result)]`` sorted by name."""
    rubric = rubric if isinstance(rubric, dict) else load_rubric(rubric)
    students = find_students(submissions)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = jobs or os.cpu_count() or 1
    start = time.perf_counter()
    graded = {}
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(students), desc="grading", unit="student", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_student, folder, rubric, python): folder.name for folder in students}
        for future in as_completed(futures):
            name = futures[future]
            result = future.result()
            graded[name] = result
            folder = out / name
            folder.mkdir(parents=True, exist_ok=True)
            results = gradescope_results(result, rubric)
            (folder / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
            (folder / "report.html").write_text(student_html(name, result, rubric), encoding="utf-8")
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(name)
    if bar is not None:
        bar.close()
    ordered = sorted(graded.items())
    write_class_csv(out / "grades.csv", ordered, rubric)
    (out / "index.html").write_text(summary_html(ordered, rubric, time.perf_counter() - start), encoding="utf-8")
    return ordered
