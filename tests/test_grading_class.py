"""graphnn-grade on a generated class of 40 students (tests/students/make_class.py): 33 who hand
in right and wrong classes, graded as the corpus's tags say, and 7 who hang, crash at import,
print 10 MB or call sys.exit, and disturb no one. Every results.json follows Gradescope's
format; the CSV has a row per student and a column per check; the HTML pages are written."""
import csv
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphnn.grading.discover import find_class_files, find_students
from graphnn.grading.results import load_rubric, validate_gradescope

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("make_class", ROOT / "tests" / "students" / "make_class.py")
make_class = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_class)

RUBRIC = {"time_limit": 3, "import_time_limit": 3, "student_time_limit": 30,
          "points": {"default": 1, "backward vs central differences": 2}}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    expected, odd = make_class.make_class(base / "submissions")
    (base / "rubric.json").write_text(json.dumps(RUBRIC))
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "graphnn.grading", str(base / "submissions"), "--out",
                          str(base / "out"), "--rubric", str(base / "rubric.json"), "--no-progress"],
                         capture_output=True, text=True, timeout=600, cwd=base,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - start
    print(f"\ngraded the class of {len(expected) + len(odd)} students in {seconds:.1f} s")
    assert run.returncode == 0, run.stderr[-3000:]
    return base, expected, odd, run, seconds


def results_of(base, student):
    return json.loads((base / "out" / student / "results.json").read_text())


def verdicts(results):
    """``{class: (passed?, [failed checks])}`` from a results.json."""
    found = {}
    for test in results["tests"]:
        name, check = test["name"].split(": ", 1)
        passed, failed = found.get(name, (True, []))
        if test["status"] == "failed" and test["max_score"] > 0:
            passed, failed = False, failed + [check]
        found[name] = (passed, failed)
    return found


def test_the_class_is_graded_and_written(graded):
    base, expected, odd, run, seconds = graded
    assert len(expected) == 33 and len(odd) == 7
    out = base / "out"
    for student in list(expected) + list(odd):
        validate_gradescope(results_of(base, student))
        assert (out / student / "report.html").read_text().startswith("<!DOCTYPE html>")
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["student"] for row in rows) == sorted(list(expected) + list(odd))
    assert "SoftmaxLayer: backward vs central differences" in rows[0]
    summary = (out / "index.html").read_text()
    assert "40 students" in summary and "prints_10_mb/report.html" in summary
    assert seconds < 300
    assert json.loads(run.stdout.strip().splitlines()[-1])["students"] == 40


def test_every_ordinary_student_is_graded_as_the_corpus_says(graded):
    base, expected, _, _, _ = graded
    for student, classes in expected.items():
        found = verdicts(results_of(base, student))
        for name, tag in classes.items():
            passed, failed = found[name]
            if tag == "right":
                assert passed, (student, name, failed)
            else:
                assert tag in failed, (student, name, tag, failed)


def test_points_follow_the_rubric(graded):
    base, expected, _, _, _ = graded
    results = results_of(base, next(iter(expected)))
    points = {test["name"]: test["max_score"] for test in results["tests"]}
    assert points["TanhLayer: backward vs central differences"] == 2
    assert points["TanhLayer: forward shapes"] == 1
    assert points["TanhLayer: wrong shapes refused"] == 0  # advice
    assert results["score"] == sum(test["score"] for test in results["tests"])


def test_misbehaving_students_disturb_no_one(graded):
    base, _, odd, _, _ = graded
    out = base / "out"

    def classes(student):
        return verdicts(results_of(base, student))

    tanh = results_of(base, "hangs_at_import")
    assert any("timed out" in t["output"] for t in tanh["tests"] if t["name"].startswith("TanhLayer"))
    assert classes("hangs_at_import")["SquaredError"][0] == (odd["hangs_at_import"]["SquaredError"] == "right")
    softmax = [t for t in results_of(base, "hangs_in_forward")["tests"] if t["name"].startswith("SoftmaxLayer")]
    assert any("timed out after 3 s" in t["output"] for t in softmax)
    assert any("not run: " in t["output"] and "timed out" in t["output"] for t in softmax)
    assert classes("hangs_in_forward")["TanhLayer"][0] == (odd["hangs_in_forward"]["TanhLayer"] == "right")
    everywhere = results_of(base, "hangs_everywhere")
    assert "time limit" in everywhere["output"] or "timed out" in json.dumps(everywhere)
    crashed = results_of(base, "crashes_at_import")
    assert any("SyntaxError" in t["output"] for t in crashed["tests"] if t["name"].startswith("TanhLayer"))
    # every file imports the student's broken Layer.py: every class fails, saying why
    assert all(t["score"] == 0 and "SyntaxError" in t["output"] for t in crashed["tests"])
    missing = results_of(base, "imports_missing_module")
    assert any("ModuleNotFoundError" in t["output"] for t in missing["tests"] if t["name"].startswith("LogLoss"))
    printer = (out / "prints_10_mb" / "report.html").read_text()
    assert len(printer) < 200_000 and "10000001 bytes" in printer
    assert classes("prints_10_mb")["LogisticSigmoidLayer"][0] == \
        (odd["prints_10_mb"]["LogisticSigmoidLayer"] == "right")
    exiting = [t for t in results_of(base, "calls_sys_exit")["tests"] if t["name"].startswith("SquaredError")]
    assert any("sys.exit(3)" in t["output"] for t in exiting)
    assert classes("calls_sys_exit")["TanhLayer"][0] == (odd["calls_sys_exit"]["TanhLayer"] == "right")
    assert not list((base / "submissions").rglob("scratch.txt"))  # files written in the copy only


def test_discovery_reads_nested_folders_and_skips_archive_metadata(tmp_path):
    (tmp_path / "bob" / "hw2" / "__MACOSX").mkdir(parents=True)
    (tmp_path / "bob" / "hw2" / "TanhLayer.py").write_text("")
    (tmp_path / "bob" / "hw2" / "__MACOSX" / "ReLULayer.py").write_text("")
    (tmp_path / ".hidden").mkdir()
    assert [p.name for p in find_students(tmp_path)] == ["bob"]
    files = find_class_files(tmp_path / "bob")
    assert files["TanhLayer"].name == "TanhLayer.py" and files["ReLULayer"] is None


def test_a_rubric_with_an_unknown_key_is_refused(tmp_path):
    (tmp_path / "r.json").write_text('{"pointz": {}}')
    with pytest.raises(ValueError, match="unknown keys pointz"):
        load_rubric(tmp_path / "r.json")


def test_the_console_script_is_declared_and_resolves():
    import configparser
    import importlib

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    scripts = dict(line.split(" = ") for line in config["options.entry_points"]["console_scripts"].split("\n") if line)
    module, function = scripts["graphnn-grade"].split(":")
    assert callable(getattr(importlib.import_module(module), function))


def test_gradescope_mode_writes_results_json_for_one_submission(tmp_path):
    expected, _ = make_class.make_class(tmp_path / "class", n=8)
    student = sorted(expected)[0]
    submission = tmp_path / "class" / student
    target = tmp_path / "results" / "results.json"
    (tmp_path / "rubric.json").write_text(json.dumps(RUBRIC))
    run = subprocess.run([sys.executable, "-m", "graphnn.grading", str(submission), "--gradescope", str(target),
                          "--rubric", str(tmp_path / "rubric.json")], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(target.read_text())
    validate_gradescope(results)
    found = verdicts(results)
    for name, tag in expected[student].items():
        assert found[name][0] == (tag == "right"), (name, tag, found[name])


def test_a_student_who_asks_for_too_much_memory_fails_that_check_only(tmp_path):
    from graphnn.grading.classgrade import grade_student

    folder = tmp_path / "greedy"
    folder.mkdir()
    (folder / "SquaredError.py").write_text(
        "import numpy as np\n\nclass SquaredError:\n    def eval(self, Y, Yhat):\n"
        "        big = np.ones((200_000, 200_000))\n        return float(big.sum())\n"
        "    def gradient(self, Y, Yhat):\n        return -2 * (Y - Yhat)\n")
    (folder / "TanhLayer.py").write_text(make_class._source(make_class.corpus.TanhLayer, "TanhLayer"))
    (folder / "Layer.py").write_text(make_class.LAYER_SOURCE)
    result = grade_student(folder, {**load_rubric(), "memory_mb": 1024, "time_limit": 10})
    assert "MemoryError" in result["classes"]["SquaredError"]["report"]["rows"][0]["numbers"]
    assert result["classes"]["TanhLayer"]["report"]["passed"]
    assert result["problem"] == ""


def test_a_students_file_named_like_a_library_shadows_nothing_of_the_grader(tmp_path):
    from graphnn.grading.classgrade import grade_student

    folder = tmp_path / "shadow"
    folder.mkdir()
    (folder / "numpy.py").write_text("raise RuntimeError('the student numpy')\n")
    (folder / "Layer.py").write_text(make_class.LAYER_SOURCE)
    (folder / "LinearLayer.py").write_text(make_class._source(make_class.corpus.LinearLayer, "LinearLayer"))
    result = grade_student(folder, {**load_rubric(), "time_limit": 10})
    assert result["problem"] == ""
    assert result["classes"]["LinearLayer"]["report"]["passed"]  # its `import numpy` is numpy
