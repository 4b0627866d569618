"""The class grader's functions called in this process: ``cli.main``, ``classgrade``'s
``grade_class``, ``grade_student``, ``worker_environment`` and ``_read_start``, every function of
``worker`` (which graphnn-grade otherwise only runs in a subprocess), ``results`` (rubrics,
Gradescope's results.json, the HTML pages, the CSV) and ``discover``, and ``python -m
graphnn.grading`` through ``runpy``.

tests/test_grading_class*.py run graphnn-grade as a subprocess on a class of 40 students; the
tests here call the same code where a test runner (and mutation testing) sees every call, on
classes of a few students (tests/students/make_class.py), on hand-made results whose every
score is known, and with stand-ins for the worker (a fake ``python`` that records how it was
started) where the real one would say less. They check exact values: scores, file contents,
the key words of messages, exit codes."""
import contextlib
import csv
import importlib
import importlib.util
import json
import os
import re
import runpy
import sys
import threading
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graphnn.grading import classgrade, cli, results, worker
from graphnn.grading.discover import (IGNORED_PARTS, IMAGE_CLASSES, SEED_CLASSES, class_kind, classes_handed_in,
                                      find_class_files, find_students)
from graphnn.grading.results import (ASSIGNMENTS, DEFAULT_RUBRIC, check_names, class_entries, gradescope_results,
                                     is_feedback, load_rubric, score_student, student_html, summary_html,
                                     validate_gradescope, write_class_csv)

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("make_class_in_process", ROOT / "tests" / "students" / "make_class.py")
make_class = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_class)

#: the checks of a layer and of an objective, in the order they run, and those that only advise
LAYER_CHECKS = ["forward shapes", "rows independent", "gradient() vs central differences",
                "backward = gradIn x gradient()", "backward vs central differences", "parameter gradients",
                "same values as graphnn", "seed's worked numbers", "arguments unchanged", "extreme inputs",
                "wrong shapes refused"]
OBJECTIVE_CHECKS = ["eval is one float", "gradient shape", "gradient vs central differences", "mean of the rows",
                    "same values as graphnn", "seed's worked numbers", "arguments unchanged", "estimates at 0 and 1",
                    "wrong shapes refused"]
LAYER_ADVICE = {"arguments unchanged", "extreme inputs", "wrong shapes refused"}
OBJECTIVE_ADVICE = {"arguments unchanged", "estimates at 0 and 1", "wrong shapes refused"}

#: two classes, a layer and an objective: 9 points (8 checks, one worth 2) + 6 points
TWO = {"graded": ["TanhLayer", "SquaredError"], "time_limit": 3, "import_time_limit": 3, "student_time_limit": 60,
       "points": {"default": 1, "backward vs central differences": 2}}


@pytest.fixture(autouse=True)
def _worker_free_of_mutmut_stats(monkeypatch):
    """During mutmut's first pass (``MUTANT_UNDER_TEST=stats``, which records the functions each
    test reaches) graphnn's functions are wrapped to record their calls, which reads mutmut's
    setup.cfg from the current folder. The worker, started by ``grade_student`` in a temporary
    folder with a copy of this environment, would then fail at its first call; without the
    variable it runs graphnn's functions plainly. With a mutant's name in the variable nothing
    is changed: the worker then runs that mutant too, as it should."""
    if os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    environment = classgrade.worker_environment

    def without_stats(home):
        env = environment(home)
        env.pop("MUTANT_UNDER_TEST", None)
        return env

    monkeypatch.setattr(classgrade, "worker_environment", without_stats)


@pytest.fixture
def student_imports(monkeypatch, tmp_path_factory):
    """For tests that import a student's files in this process (``worker.grade_folder``,
    ``import_class``, ``worker.main``): ``sys.path`` put back afterwards, and the modules
    imported from the temporary folders (``Layer``, ``TanhLayer``, ...) removed from
    ``sys.modules``, so that no other test imports them by their bare names."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    base = str(tmp_path_factory.getbasetemp().resolve())
    importlib.invalidate_caches()
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        where = getattr(sys.modules[name], "__file__", None)
        if where and str(Path(where).resolve()).startswith(base):
            del sys.modules[name]


# ---------------------------------------------------------------- students and results by hand

def right(name):
    """The source of the corpus's right ``name``, as a student hands it in."""
    return make_class._source(getattr(make_class.corpus, name), name)


def wrong(name, tag):
    """The source of the corpus's ``name`` that fails the check ``tag``."""
    return make_class._source(next(cls for cls, found in make_class.VARIANTS[name] if found == tag), name)


def hand_in(folder, **files):
    """A student's ``folder``: ``Layer.py`` and ``NAME.py`` for each keyword."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Layer.py").write_text(make_class.LAYER_SOURCE, encoding="utf-8")
    for name, source in files.items():
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return folder


def report(checks, advice, failed=(), **extra):
    """A report as ``ContractReport.to_dict`` writes it: one row per check, those in ``failed``
    failed, each row's numbers ``'CHECK: numbers'``."""
    rows = [{"name": name, "passed": name not in failed, "numbers": f"{name}: numbers", "hint": "",
             "advice": name in advice, "failing_input": ""} for name in checks]
    return {"subject": "x", "passed": not set(failed) - set(advice), "strict": False, "conventions": {}, "notes": [],
            "rows": rows, **extra}


def layer(failed=(), **extra):
    """A layer's entry in the worker's result, checked."""
    return {"status": "checked", "report": report(LAYER_CHECKS, LAYER_ADVICE, failed, **extra)}


def rubric_two_and_feedback():
    """TanhLayer's forward shapes worth 3, backward vs central differences 2: TanhLayer 11
    points, SquaredError 6; ReLULayer checked for no points."""
    return {**load_rubric(), "graded": ["TanhLayer", "SquaredError"], "optional": ["ReLULayer"],
            "points": {"default": 1, "backward vs central differences": 2},
            "classes": {"TanhLayer": {"forward shapes": 3}}}


def alice_result():
    """10 of 17 on ``rubric_two_and_feedback``: TanhLayer loses rows independent (1) and fails an
    advice row (0), SquaredError is missing (6); ReLULayer, feedback, fails two rows."""
    tanh = layer(failed=["rows independent", "extreme inputs"],
                 conventions={"gradient()": "N x D", "weights": "D x K"}, notes=["a <note>"])
    row = tanh["report"]["rows"][1]
    row.update(failing_input="X = [[1]]", hint="compute row by row")
    return {"graded": ["TanhLayer", "SquaredError"], "problem": "", "seconds": 1.23456,
            "classes": {"TanhLayer": tanh,
                        "SquaredError": {"status": "missing", "message": "no file SquaredError.py in the submission"},
                        "ReLULayer": layer(failed=["forward shapes", "wrong shapes refused"])},
            "stdout": "<script>alert(1)</script>", "stdout_bytes": 12345, "stderr": "", "stderr_bytes": 0}


def bob_result():
    """0 of 23 on ``rubric_two_and_feedback`` (LogLoss too is graded for bob): TanhLayer does not
    import, SquaredError cannot be built, LogLoss was never reached."""
    return {"graded": ["TanhLayer", "SquaredError", "LogLoss"], "problem": "stopped <late>", "seconds": 2.0,
            "classes": {"TanhLayer": {"status": "error", "message": "importing TanhLayer.py raised SyntaxError: x"},
                        "SquaredError": {"status": "error", "message": "checking SquaredError raised TypeError: y"}}}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


# ---------------------------------------------------------------- discover

def test_find_students_sorts_folders_and_leaves_out_hidden_ignored_and_files(tmp_path):
    for name in ("zoe", "alice", ".hidden", "__MACOSX", "venv", "Bob"):
        (tmp_path / name).mkdir()
    (tmp_path / "notes.txt").write_text("")
    assert [path.name for path in find_students(tmp_path)] == ["Bob", "alice", "zoe"]
    assert find_students(tmp_path)[0] == tmp_path / "Bob"
    assert find_students(str(tmp_path / "alice")) == []
    with pytest.raises(ValueError, match=r"graphnn-grade: .*notes\.txt is not a folder of students' folders"):
        find_students(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="nowhere is not a folder"):
        find_students(tmp_path / "nowhere")
    assert IGNORED_PARTS == ("__MACOSX", "__pycache__", ".git", ".venv", "venv", "site-packages",
                             ".ipynb_checkpoints")


def test_find_class_files_prefers_exact_names_then_the_shallowest_then_the_path(tmp_path):
    # the student's folder itself lies under a folder named like an ignored one: only the parts
    # inside the student's folder count
    folder = tmp_path / "venv" / "alice"
    files = {"x/y/TanhLayer.py", "z/TanhLayer.py",  # the shallower wins though "x" < "z"
             "tanhlayer.py", "deep/er/ReLULayer.py", "relulayer.py",  # an exact name wins though deeper
             "b/SquaredError.py", "a/SquaredError.py",  # as deep: by path
             "softmaxlayer.py",  # only in lower case: found
             "__pycache__/LogLoss.py", "sub/.git/CrossEntropy.py", "site-packages/InputLayer.py",
             ".ipynb_checkpoints/LinearLayer.py", "__MACOSX/FullyConnectedLayer.py", ".venv/LogisticSigmoidLayer.py",
             "MaxPoolLayer.txt"}
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("")
    found = find_class_files(folder)
    assert list(found) == list(SEED_CLASSES)
    relative = {name: path.relative_to(folder).as_posix() for name, path in found.items() if path}
    assert relative == {"TanhLayer": "z/TanhLayer.py", "ReLULayer": "deep/er/ReLULayer.py",
                        "SquaredError": "a/SquaredError.py", "SoftmaxLayer": "softmaxlayer.py"}
    assert find_class_files(str(folder), ["MaxPoolLayer", "SoftmaxLayer"]) == \
        {"MaxPoolLayer": None, "SoftmaxLayer": folder / "softmaxlayer.py"}
    assert find_class_files(tmp_path / "nobody", ["TanhLayer"]) == {"TanhLayer": None}


def test_class_kind_and_classes_handed_in(tmp_path):
    assert [class_kind(name) for name in ("SquaredError", "LogLoss", "CrossEntropy")] == ["objective"] * 3
    assert [class_kind(name) for name in ("TanhLayer", "InputLayer", "MaxPoolLayer", "Anything")] == ["layer"] * 4
    (tmp_path / "a" / "hw").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "hw" / "ReLULayer.py").write_text("")
    (tmp_path / "b" / "logloss.py").write_text("")
    (tmp_path / "b" / "ReLULayer.py").write_text("")
    students = [tmp_path / "a", tmp_path / "b"]
    asked = ["TanhLayer", "LogLoss", "SoftmaxLayer", "ReLULayer"]
    assert classes_handed_in(students, asked) == ["LogLoss", "ReLULayer"]  # in the order asked
    assert classes_handed_in(students, list(reversed(asked))) == ["ReLULayer", "LogLoss"]
    assert classes_handed_in([tmp_path / "a"], asked) == ["ReLULayer"]
    assert classes_handed_in([], asked) == [] and classes_handed_in(students, []) == []
    assert list(IMAGE_CLASSES) == ["ConvolutionalLayer", "MaxPoolLayer", "FlatteningLayer"]


# ---------------------------------------------------------------- results: rubrics

def test_load_rubric_gives_a_fresh_copy_of_each_assignment():
    seed = load_rubric()
    assert seed == DEFAULT_RUBRIC and seed == load_rubric(None, "seed")
    assert seed["graded"] == list(SEED_CLASSES) and seed["optional"] == [] and seed["time_limit"] == 30
    assert (seed["import_time_limit"], seed["student_time_limit"], seed["memory_mb"]) == (30, 600, 2048)
    assert seed["strict"] is False and seed["points"] == {"default": 1}
    seed["points"]["default"] = 9
    seed["graded"].append("X")
    assert load_rubric()["points"]["default"] == 1 and DEFAULT_RUBRIC["graded"] == list(SEED_CLASSES)
    cnn = load_rubric(assignment="cnn")
    assert cnn["graded"] == ["ConvolutionalLayer", "MaxPoolLayer", "FlatteningLayer"]
    assert cnn["optional"] == list(SEED_CLASSES)
    assert cnn["points"] == {"default": 1, "backward vs central differences": 2, "parameter gradients": 2,
                             "same values as graphnn": 2}
    assert cnn["classes"]["MaxPoolLayer"] == {"gradient() vs central differences": 0,
                                              "backward = gradIn x gradient()": 0, "seed's worked numbers": 0,
                                              "parameter gradients": 0}
    cnn["classes"]["MaxPoolLayer"]["forward shapes"] = 7
    assert "forward shapes" not in load_rubric(assignment="cnn")["classes"]["MaxPoolLayer"]
    assert sorted(ASSIGNMENTS) == ["cnn", "seed"]
    with pytest.raises(ValueError) as err:
        load_rubric(assignment="rnn")
    assert str(err.value) == "unknown assignment 'rnn'; known: seed, cnn"


def test_a_rubric_file_updates_the_dicts_and_replaces_the_rest(tmp_path, monkeypatch):
    path = tmp_path / "rubric.json"
    path.write_text(json.dumps({"points": {"parameter gradients": 5}, "graded": ["MaxPoolLayer"], "strict": True,
                                "classes": {"MaxPoolLayer": {"forward shapes": 4}, "NewLayer": {"x": 1}},
                                "time_limit": 9}), encoding="utf-8")
    rubric = load_rubric(path, "cnn")
    assert rubric["points"] == {"default": 1, "backward vs central differences": 2, "parameter gradients": 5,
                                "same values as graphnn": 2}
    assert rubric["classes"]["MaxPoolLayer"] == {"gradient() vs central differences": 0,
                                                 "backward = gradIn x gradient()": 0, "seed's worked numbers": 0,
                                                 "parameter gradients": 0, "forward shapes": 4}
    assert rubric["classes"]["NewLayer"] == {"x": 1} and "FlatteningLayer" in rubric["classes"]
    assert rubric["graded"] == ["MaxPoolLayer"] and rubric["strict"] is True and rubric["time_limit"] == 9
    assert rubric["optional"] == list(SEED_CLASSES) and rubric["memory_mb"] == 2048
    # conventions and input_shapes are updated too (an assignment with some of its own)
    monkeypatch.setitem(ASSIGNMENTS, "own", {**DEFAULT_RUBRIC, "conventions": {"LogLoss": {"eval": "mean over N"}},
                                             "input_shapes": {"A": [1, 2, 2]}})
    path.write_text(json.dumps({"conventions": {"CrossEntropy": {"eval": "mean over N"}},
                                "input_shapes": {"B": [3, 4, 4]}, "classes": None}), encoding="utf-8")
    rubric = load_rubric(str(path), "own")
    assert rubric["conventions"] == {"LogLoss": {"eval": "mean over N"}, "CrossEntropy": {"eval": "mean over N"}}
    assert rubric["input_shapes"] == {"A": [1, 2, 2], "B": [3, 4, 4]}
    assert rubric["classes"] is None  # not a dict: replaced


def test_a_rubric_file_with_unknown_keys_or_not_json_is_refused(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"pointz": {}, "graded": [], "extra": 1}')
    with pytest.raises(ValueError) as err:
        load_rubric(path)
    assert str(err.value) == (f"rubric {path}: unknown keys extra, pointz; known: points, classes, graded, optional, "
                              "input_shapes, strict, conventions, time_limit, import_time_limit, student_time_limit, "
                              "memory_mb")
    path.write_text('{"points": ')
    with pytest.raises(ValueError, match=r"^rubric .*r\.json: not JSON \(Expecting value: line 1 column 12"):
        load_rubric(path)
    with pytest.raises(FileNotFoundError):
        load_rubric(tmp_path / "missing.json")


# ---------------------------------------------------------------- results: points

def test_check_names_feedback_and_points():
    assert check_names("TanhLayer") == [(name, name in LAYER_ADVICE) for name in LAYER_CHECKS]
    assert check_names("ConvolutionalLayer") == check_names("TanhLayer")
    assert check_names("LogLoss") == [(name, name in OBJECTIVE_ADVICE) for name in OBJECTIVE_CHECKS]
    rubric = rubric_two_and_feedback()
    assert is_feedback(rubric, "ReLULayer") is True
    assert is_feedback(rubric, "TanhLayer") is False and is_feedback(rubric, "LogLoss") is False
    assert is_feedback({**rubric, "graded": ["ReLULayer"]}, "ReLULayer") is False
    assert is_feedback({"optional": None, "graded": None}, "ReLULayer") is False
    assert is_feedback({"optional": ["ReLULayer"], "graded": None}, "ReLULayer") is True
    points = results._points
    assert points(rubric, "TanhLayer", "forward shapes", False) == 3.0  # the class's own
    assert points(rubric, "SquaredError", "backward vs central differences", False) == 2.0  # the check's
    assert points(rubric, "SquaredError", "gradient shape", False) == 1.0  # the default
    assert points(rubric, "TanhLayer", "extreme inputs", True) == 0.0  # advice
    assert points({**rubric, "strict": True}, "TanhLayer", "extreme inputs", True) == 1.0
    assert points(rubric, "ReLULayer", "forward shapes", False) == 0.0  # feedback
    assert points({**rubric, "strict": True}, "ReLULayer", "extreme inputs", True) == 0.0
    assert points({"points": {}}, "TanhLayer", "forward shapes", False) == 1.0
    assert points({"points": {"default": 4}}, "TanhLayer", "forward shapes", False) == 4.0
    assert type(points({"points": {"default": 4}}, "TanhLayer", "forward shapes", False)) is float


def test_class_entries_lists_the_graded_classes_first_reached_or_not():
    result = {"graded": ["A", "B"], "classes": {"C": {"status": "x"}, "B": {"status": "y"}}}
    assert class_entries(result) == [("A", {}), ("B", {"status": "y"}), ("C", {"status": "x"})]
    assert class_entries({"graded": None, "classes": {"C": {}}}) == [("C", {})]
    assert class_entries({}) == []


def test_score_student_counts_the_rubrics_points():
    rubric = rubric_two_and_feedback()
    score, max_score, rows = score_student(alice_result(), rubric)
    assert (score, max_score) == (10.0, 17.0)
    assert [row[0] for row in rows] == ["TanhLayer"] * 11 + ["SquaredError"] * 9 + ["ReLULayer"] * 11
    assert [row[1] for row in rows] == LAYER_CHECKS + OBJECTIVE_CHECKS + LAYER_CHECKS
    by_name = {(row[0], row[1]): row[2:] for row in rows}
    assert by_name["TanhLayer", "forward shapes"] == (3.0, 3.0, "passed", "forward shapes: numbers")
    assert by_name["TanhLayer", "rows independent"] == \
        (0.0, 1.0, "failed", "rows independent: numbers\ninput: X = [[1]]\nhint: compute row by row")
    assert by_name["TanhLayer", "backward vs central differences"][:3] == (2.0, 2.0, "passed")
    assert by_name["TanhLayer", "extreme inputs"] == (0.0, 0.0, "advice", "extreme inputs: numbers")
    assert by_name["TanhLayer", "wrong shapes refused"][:3] == (0.0, 0.0, "passed")
    assert by_name["SquaredError", "eval is one float"] == \
        (0.0, 1.0, "failed", "no file SquaredError.py in the submission")
    assert by_name["SquaredError", "wrong shapes refused"][:3] == (0.0, 0.0, "failed")
    assert by_name["ReLULayer", "forward shapes"] == (0.0, 0.0, "advice", "forward shapes: numbers")
    assert by_name["ReLULayer", "rows independent"][:3] == (0.0, 0.0, "passed")
    strict = score_student(alice_result(), {**rubric, "strict": True})
    assert strict[:2] == (12.0, 23.0)  # TanhLayer passes 2 of its 3 advice rows; SquaredError has none
    assert {(row[0], row[1]): row[4] for row in strict[2]}["TanhLayer", "extreme inputs"] == "failed"
    # a class the worker never reached says why: the problem, else "not graded"
    unreached = {"graded": ["LogLoss"], "classes": {}, "problem": "stopped after the time limit"}
    assert {row[5] for row in score_student(unreached, rubric)[2]} == {"stopped after the time limit"}
    assert score_student(unreached, rubric)[:2] == (0.0, 6.0)
    assert {row[5] for row in score_student({"graded": ["LogLoss"], "classes": {}}, rubric)[2]} == {"not graded"}


# ---------------------------------------------------------------- results: Gradescope

def test_gradescope_results_sums_the_rows_and_says_the_conventions_notes_and_problem():
    rubric = rubric_two_and_feedback()
    found = gradescope_results(alice_result(), rubric)
    validate_gradescope(found)
    assert set(found) == {"score", "output", "execution_time", "visibility", "stdout_visibility", "tests"}
    assert (found["score"], found["execution_time"]) == (10.0, 1.23)
    assert (found["visibility"], found["stdout_visibility"]) == ("visible", "hidden")
    assert found["output"] == "10 of 17 points.\nTanhLayer: gradient() N x D, weights D x K\nTanhLayer: a <note>"
    assert len(found["tests"]) == 31 and sum(test["max_score"] for test in found["tests"]) == 17
    assert found["tests"][1] == {"name": "TanhLayer: rows independent", "score": 0.0, "max_score": 1.0,
                                 "status": "failed", "visibility": "visible",
                                 "output": "rows independent: numbers\ninput: X = [[1]]\nhint: compute row by row"}
    tests = {test["name"]: test for test in found["tests"]}
    shapes = tests["TanhLayer: forward shapes"]
    assert (shapes["status"], shapes["score"]) == ("passed", 3)
    assert (tests["TanhLayer: extreme inputs"]["status"], tests["TanhLayer: extreme inputs"]["max_score"]) == \
        ("failed", 0.0)  # an advice row: failed, for no points
    assert tests["ReLULayer: rows independent"]["status"] == "passed"
    late = gradescope_results({**alice_result(), "problem": "stopped after 60 s", "seconds": 0.004}, rubric)
    assert late["output"].split("\n")[:2] == ["10 of 17 points.", "stopped after 60 s"]
    assert late["execution_time"] == 0.0
    bare = gradescope_results({"graded": ["LogLoss"], "classes": {}}, {**rubric, "points": {"default": 0.5}})
    assert bare["output"] == "0 of 3 points." and bare["execution_time"] == 0.0 and bare["score"] == 0


def test_validate_gradescope_accepts_every_documented_key_and_refuses_the_rest():
    every = {"score": 3, "execution_time": 1.5, "output": "o", "output_format": "text", "test_output_format": "md",
             "test_name_format": "text", "visibility": "hidden", "stdout_visibility": "after_due_date",
             "extra_data": {}, "leaderboard": [],
             "tests": [{"score": 1, "max_score": 2.5, "status": "passed", "name": "a", "name_format": "text",
                        "number": "1.1", "output": "x", "output_format": "text", "tags": [],
                        "visibility": "after_published", "extra_data": {}},
                       {"score": 0.0, "max_score": 1, "name": "b", "visibility": "visible", "status": "failed"},
                       {"score": 0, "max_score": 0, "name": "c"}]}
    assert validate_gradescope(every) is None
    assert validate_gradescope({"score": 0.5}) is None
    with pytest.raises(ValueError) as err:
        validate_gradescope({"score": "1", "colour": 1, "visibility": "public", "stdout_visibility": "all",
                             "tests": [{"name": 3, "score": 1, "max_score": None, "status": "ok", "points": 1,
                                        "visibility": "nobody"},
                                       {"name": "b", "output": 4, "score": 1, "max_score": 1}]})
    assert str(err.value) == ("results.json: unknown key 'colour'; score is not a number; visibility 'public'; "
                              "stdout_visibility 'all'; test 0: unknown key 'points'; "
                              "test 0: name and output are strings; test 0: score and max_score are numbers; "
                              "test 0: status 'ok'; test 0: visibility 'nobody'; test 1: name and output are strings")
    with pytest.raises(ValueError, match="^results.json: score is not a number$"):
        validate_gradescope({"tests": []})


# ---------------------------------------------------------------- results: pages and CSV

def test_student_html_escapes_the_students_words_and_shows_every_row():
    rubric = rubric_two_and_feedback()
    page = student_html("<b>alice</b>", {**alice_result(), "problem": "<i>late</i>", "stderr": "oops",
                                         "stderr_bytes": 5}, rubric)
    assert page.startswith("<!DOCTYPE html><html><head><meta charset='utf-8'>"
                           "<title>&lt;b&gt;alice&lt;/b&gt;: grading</title><style>body{font-family:sans-serif;")
    assert page.endswith("</body></html>\n") and "<script>" not in page and "<b>alice" not in page
    assert "<h1>&lt;b&gt;alice&lt;/b&gt;: 10 / 17</h1><p class='failed'><b>&lt;i&gt;late&lt;/i&gt;</b></p>" in page
    assert "<h2>TanhLayer</h2><p>conventions: gradient(): N x D, weights: D x K</p><p>note: a &lt;note&gt;</p>" \
           "<table><tr><th>check</th><th>points</th><th>result</th></tr>" in page
    assert "<h2>ReLULayer <small>(feedback, not counted in the score)</small></h2><table>" in page
    assert "<h2>SquaredError</h2><pre class='failed message'>no file SquaredError.py in the submission</pre>" in page
    assert "<tr class='failed'><td>eval is one float</td><td>0 / 1</td><td><pre>(see above)</pre></td></tr>" in page
    assert "<tr class='passed'><td>forward shapes</td><td>3 / 3</td>" \
           "<td><pre>forward shapes: numbers</pre></td>" in page
    assert "<tr class='failed'><td>rows independent</td><td>0 / 1</td><td><pre>rows independent: numbers\n" \
           "input: X = [[1]]\nhint: compute row by row</pre></td></tr>" in page
    assert "<tr class='advice unscored'><td>extreme inputs</td><td>0 / 0</td>" in page
    assert "<tr class='passed unscored'><td>arguments unchanged</td><td>0 / 0</td>" in page
    assert "<td>seed&#x27;s worked numbers</td><td>1 / 1</td>" in page
    assert "<tr class='advice unscored'><td>forward shapes</td><td>0 / 0</td>" in page  # ReLULayer's, feedback
    assert page.count("<table>") == 3 and page.count("<tr class=") == 31 and page.count("</tr></table><h2>") == 3
    assert "<h2>stdout (12345 bytes; the start)</h2><pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre>" in page
    assert "<h2>stderr (5 bytes; the start)</h2><pre>oops</pre>" in page
    quiet = student_html("bob", {"graded": ["LogLoss"], "classes": {}, "stdout": "hi"}, rubric)
    assert "<h1>bob: 0 / 6</h1><h2>LogLoss</h2><pre class='failed message'>not graded</pre>" in quiet
    assert "<p class='failed'>" not in quiet and "<h2>stdout (0 bytes; the start)</h2><pre>hi</pre>" in quiet
    assert "stderr (" not in quiet and quiet.count("(see above)") == 9
    late = student_html("bob", {"graded": ["LogLoss"], "classes": {}, "problem": "stopped"}, rubric)
    assert "<h2>LogLoss</h2><pre class='failed message'>stopped</pre>" in late


def test_summary_html_counts_the_students_who_handed_in_each_extra_class():
    page = summary_html([("alice", alice_result()), ("alice2", alice_result()), ("o'bob", bob_result())],
                        rubric_two_and_feedback())
    assert "<p>also checked where handed in, for no points: ReLULayer (2 of 3), LogLoss (1 of 3)</p>" in page


def test_summary_html_counts_the_class_and_says_why_classes_earned_nothing():
    rubric = rubric_two_and_feedback()
    graded = [("alice", alice_result()), ("o'bob", bob_result())]
    page = summary_html(graded, rubric, 3.456)
    assert page.startswith("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Class grading</title><style>")
    assert "<h1>Class grading: 2 students</h1><p>classes graded: TanhLayer, SquaredError</p>" \
           "<p>also checked where handed in, for no points: ReLULayer (1 of 2), LogLoss (1 of 2)</p>" \
           "<p>graded in 3.5 s</p><table>" in page
    assert "<tr><td><a href='alice/report.html'>alice</a></td><td class='number'>10 / 17</td>" \
           "<td>SquaredError (no file)</td><td></td></tr>" in page
    assert "<tr><td><a href='o&#x27;bob/report.html'>o&#x27;bob</a></td><td class='number'>0 / 23</td>" \
           "<td>TanhLayer (does not import), SquaredError (its class could not be built), " \
           "LogLoss (not reached)</td>" \
           "<td>stopped &lt;late&gt;</td></tr>" in page
    assert "<tr><td>TanhLayer: forward shapes</td><td class='number'>3</td><td class='number'>1 / 2</td></tr>" in page
    assert "<tr class='unscored'><td>TanhLayer: extreme inputs</td><td class='number'>0</td>" \
           "<td class='number'>0 / 2</td></tr>" in page
    assert "<tr class='unscored'><td>ReLULayer: rows independent</td><td class='number'>0</td>" \
           "<td class='number'>1 / 1</td></tr>" in page
    assert "<tr><td>LogLoss: gradient shape</td><td class='number'>1</td><td class='number'>0 / 1</td></tr>" in page
    assert "<p>graded in 3.5 s</p><table><tr><th>student</th><th>score</th><th>classes not graded</th>" \
           "<th>problem</th></tr><tr><td><a href='alice/" in page
    assert "</td></tr></table><h2>Checks</h2><table><tr><th>check</th><th>points</th><th>students passing</th>" \
           "</tr><tr><td>TanhLayer: forward shapes</td>" in page
    assert page.endswith("</td></tr></table></body></html>\n")
    assert page.count("<tr><td><a href=") == 2 and "graded in" not in summary_html(graded, rubric)
    bare = summary_html([("carl", {"graded": [], "classes": {}})], {**rubric, "graded": []}, 0.04)
    assert "<h1>Class grading: 1 students</h1><p>graded in 0.0 s</p>" in bare
    assert "classes graded" not in bare and "also checked" not in bare


def test_why_ungraded():
    why = results._why_ungraded
    assert why({"status": "missing"}) == "no file"
    assert why({"status": "error", "message": "checking TanhLayer raised TypeError"}) == \
        "its class could not be built"
    assert why({"status": "error", "message": "importing TanhLayer.py raised ..."}) == "does not import"
    assert why({"status": "error"}) == "does not import"
    assert why({}) == "not reached" and why({"status": "checked"}) == "not reached"


def test_write_class_csv_has_a_row_per_student_and_a_column_per_check(tmp_path):
    rubric = rubric_two_and_feedback()
    write_class_csv(tmp_path / "grades.csv", [("alice", alice_result()), ("o'bob", bob_result())], rubric)
    columns, rows = read_csv(tmp_path / "grades.csv")
    assert columns == ["student", "score", "max_score", "problem"] + \
        [f"TanhLayer: {check}" for check in LAYER_CHECKS] + \
        [f"SquaredError: {check}" for check in OBJECTIVE_CHECKS] + \
        [f"ReLULayer: {check}" for check in LAYER_CHECKS] + [f"LogLoss: {check}" for check in OBJECTIVE_CHECKS]
    alice, bob = rows
    assert (alice["student"], alice["score"], alice["max_score"], alice["problem"]) == ("alice", "10.0", "17.0", "")
    assert (bob["student"], bob["score"], bob["max_score"], bob["problem"]) == \
        ("o'bob", "0.0", "23.0", "stopped <late>")
    assert alice["TanhLayer: forward shapes"] == "3.0" and alice["TanhLayer: rows independent"] == "0.0"
    assert alice["LogLoss: gradient shape"] == "" and bob["ReLULayer: forward shapes"] == ""
    assert bob["LogLoss: gradient shape"] == "0.0"
    write_class_csv(tmp_path / "empty.csv", [], rubric)
    assert (tmp_path / "empty.csv").read_bytes() == b"student,score,max_score,problem\r\n"
    write_class_csv(tmp_path / "one.csv", [("x", {"classes": {}})], rubric)
    assert (tmp_path / "one.csv").read_bytes() == b"student,score,max_score,problem\r\nx,0,0,\r\n"


# ---------------------------------------------------------------- worker

def test_write_json_replaces_the_file_through_a_part_file(tmp_path, monkeypatch):
    replaced = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda source, target: (replaced.append((Path(source), Path(target))),
                                                               real(source, target))[1])
    target = tmp_path / "result.json"
    target.write_text("old")
    assert worker.write_json(str(target), {"a": [1, "é"], "finished": False}) is None
    assert target.read_text(encoding="utf-8") == json.dumps({"a": [1, "é"], "finished": False}, indent=1)
    assert replaced == [(tmp_path / "result.json.part", target)]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["result.json"]


def test_limit_memory_and_limit_cpu_set_the_kernels_limits(monkeypatch):
    import resource

    calls = []
    monkeypatch.setattr(resource, "setrlimit", lambda what, limits: calls.append((what, limits)))
    worker.limit_memory(3)
    worker.limit_memory("5")
    worker.limit_memory(None)
    worker.limit_memory(0)
    worker.limit_cpu(7)
    worker.limit_cpu(7.9)
    worker.limit_cpu(None)
    worker.limit_cpu(0)
    assert calls == [(resource.RLIMIT_AS, (3 * 1024 * 1024, 3 * 1024 * 1024)),
                     (resource.RLIMIT_AS, (5 * 1024 * 1024, 5 * 1024 * 1024)),
                     (resource.RLIMIT_CPU, (7, 12)), (resource.RLIMIT_CPU, (7, 12))]
    monkeypatch.setitem(sys.modules, "resource", None)  # not Unix: `import resource` fails, no limit
    assert worker.limit_memory(3) is None and worker.limit_cpu(3) is None
    assert len(calls) == 4


def _raise_from_five_frames():
    def one():
        two()

    def two():
        three()

    def three():
        four()

    def four():
        raise ValueError("deep " + "x" * 3000)

    one()


def test_short_traceback_keeps_the_last_lines_and_2000_characters():
    with pytest.raises(ValueError) as caught:
        _raise_from_five_frames()
    text = worker._short_traceback(caught.value)
    assert len(text) == 2000 and text.endswith("x" * 1000 + "\n")
    with pytest.raises(ZeroDivisionError) as caught:
        (lambda: [1][0] / 0)()
    short = worker._short_traceback(caught.value)
    assert short.endswith("ZeroDivisionError: division by zero\n") and short.count('  File "') == 2
    assert short.startswith("Traceback (most recent call last)")  # all of a short one
    # six frames (this test's, then five): the last six lines are the innermost five and the error
    with pytest.raises(ValueError) as caught:
        _raise_from_five_frames()
    err = caught.value
    err.args = ("deep",)
    lines = traceback.format_exception(type(err), err, err.__traceback__)
    assert len(lines) == 8
    assert worker._short_traceback(err) == "".join(lines[-6:]) and "in _raise_from_five_frames" in lines[-6]
    assert worker._short_traceback(err, limit=3) == "".join(lines[-3:])
    assert "in four" in worker._short_traceback(err, limit=2) and "in three" not in \
        worker._short_traceback(err, limit=2)


def test_import_class_says_what_went_wrong(tmp_path, student_imports):
    sys.path.insert(0, str(tmp_path))
    files = {"Fine": "class Other:\n    pass\n\n\nclass Fine:\n    pass\n",
             "Raises": "x = 1\nraise ValueError('no ' + 'luck')\n",
             "Exits": "import sys\nsys.exit(4)\n",
             "Others": "from collections import OrderedDict\n\n\nclass Zeta:\n    pass\n\n\n"
                       "class Alpha:\n    pass\n\n\nOthers = 3\n",
             "Empty": "import os\n",
             "Slow": "import time\ntime.sleep(30)\n",
             "Interrupts": "raise KeyboardInterrupt\n"}
    for name, source in files.items():
        (tmp_path / f"{name}.py").write_text(source)
    cls, problem = worker.import_class("Fine", tmp_path / "Fine.py", 5)
    assert problem is None and cls.__name__ == "Fine" and cls.__module__ == "Fine"
    cls, problem = worker.import_class("Raises", str(tmp_path / "Raises.py"), None)
    assert cls is None and problem.startswith("importing Raises.py raised ValueError: no luck\n  File ")
    assert problem.endswith("line 2, in <module>\n    raise ValueError('no ' + 'luck')\nValueError: no luck\n")
    cls, problem = worker.import_class("Exits", tmp_path / "Exits.py", 5)
    assert cls is None and problem.startswith("importing Exits.py raised SystemExit: the code called sys.exit(4)\n")
    assert worker.import_class("Others", tmp_path / "Others.py", 5) == \
        (None, "Others.py defines no class Others (it defines Alpha, Zeta)")
    assert worker.import_class("Empty", tmp_path / "Empty.py", 5) == (None, "Empty.py defines no class Empty")
    assert worker.import_class("Missing", tmp_path / "Nowhere.py", 5)[1].startswith(
        "importing Nowhere.py raised ModuleNotFoundError: No module named 'Nowhere'\n")
    cls, problem = worker.import_class("Slow", tmp_path / "Slow.py", 0.3)
    assert cls is None and problem.startswith("importing Slow.py raised CheckTimeout: ")
    assert "timed out after 0.3 s\n" in problem
    with pytest.raises(KeyboardInterrupt):
        worker.import_class("Interrupts", tmp_path / "Interrupts.py", 5)


def test_grade_folder_checks_each_class_with_the_rubrics_options(tmp_path, monkeypatch, student_imports):
    """The checks replaced by stand-ins that record how they are called."""
    from graphnn.grading import layer_checks, objective_checks

    calls = []

    class Report:
        def __init__(self, name):
            self.name = name

        def to_dict(self):
            return {"rows": [], "subject": self.name}

    def recorder(kind):
        def check(cls, **options):
            calls.append((kind, cls.__name__, options))
            return Report(cls.__name__)
        return check

    monkeypatch.setattr(layer_checks, "check_layer", recorder("layer"))
    monkeypatch.setattr(objective_checks, "check_objective", recorder("objective"))
    for name in ("TanhLayer", "SquaredError", "ConvolutionalLayer"):
        (tmp_path / f"{name}.py").write_text(f"class {name}:\n    pass\n")
    config = {"classes": ["TanhLayer", "SquaredError", "ConvolutionalLayer", "MaxPoolLayer"], "strict": 1,
              "time_limit": 7, "conventions": {"TanhLayer": {"gradient()": "N x D"}, "SquaredError": {}},
              "input_shapes": {"ConvolutionalLayer": [2, 5, 7], "SquaredError": [1, 2, 3]}}
    found = worker.grade_folder(tmp_path, tmp_path / "result.json", config)
    assert calls == [("layer", "TanhLayer", {"conventions": {"gradient()": "N x D"}, "strict": True, "timeout": 7}),
                     ("objective", "SquaredError", {"conventions": None, "strict": True, "timeout": 7}),
                     ("layer", "ConvolutionalLayer", {"conventions": None, "strict": True, "timeout": 7,
                                                      "input_shape": (2, 5, 7)})]
    assert calls[0][2]["strict"] is True
    assert found == {"finished": True, "classes": {
        "TanhLayer": {"status": "checked", "report": {"rows": [], "subject": "TanhLayer"}},
        "SquaredError": {"status": "checked", "report": {"rows": [], "subject": "SquaredError"}},
        "ConvolutionalLayer": {"status": "checked", "report": {"rows": [], "subject": "ConvolutionalLayer"}},
        "MaxPoolLayer": {"status": "missing", "message": "no file MaxPoolLayer.py in the submission"}}}
    assert json.loads((tmp_path / "result.json").read_text()) == found
    calls.clear()
    for name in ("TanhLayer", "SquaredError", "ConvolutionalLayer"):
        sys.modules.pop(name, None)
    worker.grade_folder(tmp_path, tmp_path / "result.json", {"classes": ["TanhLayer", "SquaredError"]})
    assert calls == [("layer", "TanhLayer", {"conventions": None, "strict": False, "timeout": None}),
                     ("objective", "SquaredError", {"conventions": None, "strict": False, "timeout": None})]


def test_grade_folder_says_which_class_could_not_be_checked(tmp_path, monkeypatch, student_imports):
    from graphnn.grading import layer_checks

    def broken(cls, **options):
        raise RuntimeError("cannot build " + cls.__name__)

    monkeypatch.setattr(layer_checks, "check_layer", broken)
    (tmp_path / "TanhLayer.py").write_text("class TanhLayer:\n    pass\n")
    (tmp_path / "ReLULayer.py").write_text("raise ImportError('no numpy here')\n")
    found = worker.grade_folder(tmp_path, tmp_path / "result.json", {"classes": ["TanhLayer", "ReLULayer"]})
    message = found["classes"]["TanhLayer"]["message"]
    assert found["classes"]["TanhLayer"]["status"] == "error"
    assert message.startswith("checking TanhLayer raised RuntimeError: cannot build TanhLayer\nTraceback")
    assert found["classes"]["ReLULayer"]["status"] == "error"
    assert found["classes"]["ReLULayer"]["message"].startswith(
        "importing ReLULayer.py raised ImportError: no numpy here\n")

    def interrupted(cls, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr(layer_checks, "check_layer", interrupted)
    with pytest.raises(KeyboardInterrupt):
        worker.grade_folder(tmp_path, tmp_path / "result.json", {"classes": ["TanhLayer"]})


def test_grade_folder_grades_a_students_nested_folders_and_writes_after_each_class(tmp_path, monkeypatch,
                                                                                   student_imports):
    # shorter folders first on sys.path: "b" before "a/zz" (which sorts first by name)
    hand_in(tmp_path / "b", TanhLayer=right("TanhLayer"))
    (tmp_path / "a" / "zz").mkdir(parents=True)
    (tmp_path / "a" / "zz" / "SquaredError.py").write_text(wrong("SquaredError", "gradient vs central differences"))
    written = []
    real = worker.write_json

    def write_json(path, data):
        written.append((path, json.loads(json.dumps(data))))
        real(path, data)

    monkeypatch.setattr(worker, "write_json", write_json)
    result_path = tmp_path / "result.json"
    found = worker.grade_folder(tmp_path, result_path, {"classes": ["TanhLayer", "SquaredError", "LogLoss"],
                                                        "time_limit": 10, "import_time_limit": 10})
    assert sys.path[:2] == [str(tmp_path / "b"), str(tmp_path / "a" / "zz")]
    assert list(found["classes"]) == ["TanhLayer", "SquaredError", "LogLoss"] and found["finished"] is True
    tanh = found["classes"]["TanhLayer"]
    assert (tanh["status"], tanh["report"]["passed"], tanh["report"]["subject"]) == ("checked", True, "TanhLayer")
    assert [row["name"] for row in tanh["report"]["rows"]] == LAYER_CHECKS
    squared = found["classes"]["SquaredError"]["report"]
    assert squared["passed"] is False
    assert not {row["name"]: row["passed"] for row in squared["rows"]}["gradient vs central differences"]
    assert found["classes"]["LogLoss"] == {"status": "missing", "message": "no file LogLoss.py in the submission"}
    assert json.loads(result_path.read_text()) == found
    assert [path for path, _ in written] == [result_path] * 4
    assert [list(data["classes"]) for _, data in written] == \
        [["TanhLayer"], ["TanhLayer", "SquaredError"]] + [["TanhLayer", "SquaredError", "LogLoss"]] * 2
    assert [data["finished"] for _, data in written] == [False, False, False, True]


def test_worker_main_grades_the_folder_from_relative_paths(tmp_path, monkeypatch, student_imports):
    """The worker's command line, its limits recorded (not applied to this process). Relative
    paths are taken from where it starts (they were read after it moved into the folder)."""
    limits = []
    monkeypatch.setattr(worker, "limit_memory", lambda megabytes: limits.append(("memory", megabytes)))
    monkeypatch.setattr(worker, "limit_cpu", lambda seconds: limits.append(("cpu", seconds)))
    hand_in(tmp_path / "student", TanhLayer=right("TanhLayer"))
    monkeypatch.chdir(tmp_path)
    config = {"classes": ["TanhLayer", "LogLoss"], "memory_mb": 512, "student_time_limit": 20, "time_limit": 10}
    with warnings.catch_warnings():
        assert worker.main(["student", "out.json", "--config", json.dumps(config)]) == 0
        assert warnings.filters[0][0] == "ignore"
    assert os.getcwd() == str((tmp_path / "student").resolve())
    assert limits == [("memory", 512), ("cpu", 30)]
    found = json.loads((tmp_path / "out.json").read_text())
    assert found["finished"] is True and found["classes"]["TanhLayer"]["report"]["passed"] is True
    assert found["classes"]["LogLoss"]["status"] == "missing" and not (tmp_path / "student" / "out.json").exists()
    # no --config: no limits, and the ten seed classes
    limits.clear()
    sys.modules.pop("TanhLayer", None)
    sys.modules.pop("Layer", None)
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        assert worker.main([str(tmp_path / "student"), str(tmp_path / "all.json")]) == 0
    assert limits == [("memory", None), ("cpu", None)]
    found = json.loads((tmp_path / "all.json").read_text())
    assert list(found["classes"]) == list(SEED_CLASSES)
    assert [name for name, entry in found["classes"].items() if entry["status"] != "missing"] == ["TanhLayer"]


def test_worker_main_refuses_a_wrong_argument_and_says_its_options(capsys):
    with pytest.raises(SystemExit) as exit:
        worker.main(["only-one"])
    assert exit.value.code == 2
    assert "error: the following arguments are required: result" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit:
        worker.main(["--help"])
    assert exit.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "folder result grade one student's folder (run by graphnn-grade) positional arguments:" in text
    assert text.endswith(" --config CONFIG JSON: strict, time_limit, import_time_limit, memory_mb, "
                         "student_time_limit, classes, conventions, input_shapes")


# ---------------------------------------------------------------- classgrade

def test_worker_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_SOMETHING", "1")
    monkeypatch.setenv("KEPT_PYTEST_NOT_FIRST", "2")
    monkeypatch.setenv("PYTHONPATH", "/some/where")
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    env = classgrade.worker_environment(tmp_path)
    root = str(Path(classgrade.__file__).resolve().parents[2])
    assert env["PYTHONPATH"] == root + os.pathsep + "/some/where" and root == str(ROOT)
    assert not any(key.startswith("PYTEST") for key in env) and env["KEPT_PYTEST_NOT_FIRST"] == "2"
    assert {key: env[key] for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                      "PYTHONDONTWRITEBYTECODE", "MPLBACKEND", "HOME", "TMPDIR",
                                      "PYTHONIOENCODING")} == \
        {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
         "MPLBACKEND": "Agg", "HOME": str(tmp_path), "TMPDIR": str(tmp_path), "PYTHONIOENCODING": "utf-8"}
    assert env["PATH"] == os.environ["PATH"]
    monkeypatch.delenv("PYTHONPATH")
    assert classgrade.worker_environment(tmp_path)["PYTHONPATH"] == root
    monkeypatch.setenv("PYTHONPATH", "")
    assert classgrade.worker_environment(tmp_path)["PYTHONPATH"] == root


def test_read_start_reads_the_start_and_says_the_size(tmp_path):
    path = tmp_path / "out"
    path.write_bytes(b"a" * 10 + "é".encode() + b"b" * 5000)
    text, size = classgrade._read_start(path)
    assert classgrade.OUTPUT_SHOWN == 4000
    assert size == 5012 and text == "a" * 10 + "é" + "b" * 3988
    assert classgrade._read_start(path, limit=11) == ("a" * 10 + "\ufffd", 5012)  # half a character
    path.write_bytes(b"")
    assert classgrade._read_start(str(path)) == ("", 0)


def fake_python(tmp_path, body):
    """An executable standing in for ``python``: it records how the grader started it (its
    arguments, folder, environment, session, the copy's files) in ``tmp_path/started.json``,
    then runs ``body``."""
    record = tmp_path / "started.json"
    script = tmp_path / "fake-python"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, subprocess, sys, time\n"
        "work, result = sys.argv[3], sys.argv[4]\n"
        f"with open({str(record)!r}, 'w') as handle:\n"
        "    json.dump({'argv': sys.argv[1:], 'cwd': os.getcwd(), 'env': dict(os.environ),\n"
        "               'stdin': sys.stdin.read(), 'leader': os.getsid(0) == os.getpid(),\n"
        "               'files': sorted(os.listdir(work)),\n"
        "               'link': os.path.islink(os.path.join(work, 'notes.txt'))}, handle)\n"
        + body)
    script.chmod(0o755)
    return str(script), record


@contextlib.contextmanager
def typed_on_stdin(data):
    """This process's standard input (file descriptor 0) reading ``data`` for the duration:
    a worker that inherited it, rather than reading nothing, would read ``data``."""
    read, write = os.pipe()
    os.write(write, data)
    os.close(write)
    saved = os.dup(0)
    os.dup2(read, 0)
    os.close(read)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        os.close(saved)


def running(pid):
    """Whether process ``pid`` still runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def ended(pid, seconds=20):
    """Whether ``pid`` ends within ``seconds`` (killed processes are reaped a moment later)."""
    deadline = time.monotonic() + seconds
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_grade_student_starts_the_worker_in_a_session_of_its_own_on_a_clean_copy(tmp_path):
    folder = tmp_path / "alice"
    for part in IGNORED_PARTS:
        (folder / part).mkdir(parents=True)
        (folder / part / "TanhLayer.py").write_text("")
    (folder / "TanhLayer.py").write_text("")
    (folder / "ReLULayer.py").write_text("")
    (folder / "old.pyc").write_bytes(b"")
    (tmp_path / "outside.txt").write_text("notes")
    (folder / "notes.txt").symlink_to(tmp_path / "outside.txt")
    python, record = fake_python(tmp_path, "print('out é'); sys.stderr.write('err'); sys.exit(3)\n")
    rubric = {**load_rubric(), "graded": ["TanhLayer", "SquaredError"],
              "optional": ["ReLULayer", "TanhLayer", "LogLoss"], "strict": True, "time_limit": 7,
              "import_time_limit": 8, "memory_mb": 999, "student_time_limit": 20,
              "conventions": {"TanhLayer": {"gradient()": "N x D"}}, "input_shapes": {"ConvolutionalLayer": [1, 4, 4]}}
    start = time.perf_counter()
    with typed_on_stdin(b"typed by someone"):
        found = classgrade.grade_student(folder, rubric, python=python)
    elapsed = time.perf_counter() - start
    started = json.loads(record.read_text())
    home = Path(started["cwd"])
    assert started["argv"][:4] == ["-m", "graphnn.grading.worker", str(home / "submission"),
                                   str(home / "result.json")]
    assert started["argv"][4] == "--config" and len(started["argv"]) == 6
    assert json.loads(started["argv"][5]) == {
        "strict": True, "time_limit": 7, "import_time_limit": 8, "memory_mb": 999, "student_time_limit": 20,
        "conventions": {"TanhLayer": {"gradient()": "N x D"}}, "input_shapes": {"ConvolutionalLayer": [1, 4, 4]},
        "classes": ["TanhLayer", "SquaredError", "ReLULayer"]}
    assert home.name.startswith("graphnn-grade-") and not home.exists()  # deleted afterwards
    assert started["env"]["HOME"] == started["env"]["TMPDIR"] == str(home)
    assert started["env"]["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)
    assert started["leader"] is True and started["stdin"] == ""
    assert started["files"] == ["ReLULayer.py", "TanhLayer.py", "notes.txt"] and started["link"] is False
    assert found["graded"] == ["TanhLayer", "SquaredError", "ReLULayer"]
    assert found["classes"] == {}
    assert found["problem"] == ("the grading process ended early (exit code 3): the student's code ended it or ran "
                                "out of memory (999 MB); the classes not graded by then earn 0")
    assert (found["stdout"], found["stdout_bytes"], found["stderr"], found["stderr_bytes"]) == \
        ("out é\n", 7, "err", 3)
    assert 0 < found["seconds"] <= elapsed
    assert set(found) == {"classes", "graded", "problem", "seconds", "stdout", "stdout_bytes", "stderr",
                          "stderr_bytes"}
    # no graded or optional classes in the rubric: none
    classgrade.grade_student(folder, {**rubric, "graded": None, "optional": None}, python=python)
    assert json.loads(json.loads(record.read_text())["argv"][5])["classes"] == []


def test_grade_student_reads_the_workers_result_and_ends_its_children(tmp_path):
    folder = tmp_path / "bob"
    folder.mkdir()
    written = {"classes": {"TanhLayer": {"status": "missing", "message": "m"}}, "finished": True}
    python, _ = fake_python(tmp_path, (
        "child = subprocess.Popen(['sleep', '60'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(child.pid)\n"
        f"open(result, 'w').write({json.dumps(written)!r})\n"))
    found = classgrade.grade_student(folder, {**TWO}, python=python)
    assert found["classes"] == written["classes"] and found["finished"] is True and found["problem"] == ""
    assert found["graded"] == ["TanhLayer", "SquaredError"]
    assert ended(int(found["stdout"])), "the worker's child outlived it"
    # a result file the student's code broke counts as none
    python, _ = fake_python(tmp_path, "open(result, 'w').write('{\"classes\": {\"Tanh')\n")
    found = classgrade.grade_student(folder, {**TWO, "memory_mb": 123}, python=python)
    assert found["classes"] == {} and "finished" not in found
    assert found["problem"].startswith("the grading process ended early (exit code 0): ")
    assert "(123 MB)" in found["problem"]


def test_grade_student_stops_a_worker_at_the_students_time_limit(tmp_path):
    folder = tmp_path / "carol"
    folder.mkdir()
    python, _ = fake_python(tmp_path, (
        "child = subprocess.Popen(['sleep', '60'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(child.pid, flush=True)\n"
        "open(result, 'w').write('{\"classes\": {}, \"finished\": true}')\n"
        "time.sleep(60)\n"))
    found = classgrade.grade_student(folder, {**TWO, "student_time_limit": 1}, python=python)
    assert found["problem"] == "stopped after the time limit of 1 s; the classes not graded by then earn 0"
    assert ended(int(found["stdout"])), "the worker's child outlived it"


def test_grade_student_runs_the_real_worker(tmp_path):
    """The worker itself (python -m graphnn.grading.worker): its limits, folder and output as a
    student's code sees them, a pinned convention, a check's time limit, a class that cannot
    be imported, an optional class."""
    diagnostics = (
        "import json as _json, os as _os, resource as _resource, sys as _sys\n"
        "print(_json.dumps({'cwd': _os.path.basename(_os.getcwd()),\n"
        "                   'memory': _resource.getrlimit(_resource.RLIMIT_AS)[0],\n"
        "                   'cpu': _resource.getrlimit(_resource.RLIMIT_CPU)[0],\n"
        "                   'threads': _os.environ['OMP_NUM_THREADS'], 'path': _sys.path[0]}))\n"
        "_sys.stderr.write('a warning\\n')\n")
    slow = right("ReLULayer").replace("    def forward(self, dataIn):\n",
                                      "    def forward(self, dataIn):\n        import time; time.sleep(60)\n", 1)
    folder = hand_in(tmp_path / "dan", TanhLayer=diagnostics + right("TanhLayer"), ReLULayer=slow,
                     SquaredError="import numpy_for_students\n")
    rubric = {**load_rubric(), "graded": ["TanhLayer", "SquaredError"], "optional": ["ReLULayer", "LogLoss"],
              "time_limit": 1.5, "import_time_limit": 10, "memory_mb": 1500, "student_time_limit": 60, "strict": True,
              "conventions": {"TanhLayer": {"gradient()": "K x D"}}}
    found = classgrade.grade_student(folder, rubric)
    assert found["problem"] == "" and found["finished"] is True, found["stderr"]
    seen = json.loads(found["stdout"])
    assert Path(seen.pop("path")).name == "submission"  # the student's folder first on sys.path
    assert seen == {"cwd": "submission", "memory": 1500 * 1024 * 1024, "cpu": 70, "threads": "1"}
    assert found["stderr"].startswith("a warning\n") and found["stderr_bytes"] == len(found["stderr"].encode())
    assert list(found["classes"]) == found["graded"] == ["TanhLayer", "SquaredError", "ReLULayer"]
    tanh = {row["name"]: row for row in found["classes"]["TanhLayer"]["report"]["rows"]}
    assert found["classes"]["TanhLayer"]["report"]["strict"] is True
    assert "the teacher asks for 'K x D'" in tanh["gradient() vs central differences"]["numbers"]
    assert found["classes"]["SquaredError"]["message"].startswith(
        "importing SquaredError.py raised ModuleNotFoundError: No module named 'numpy_for_students'")
    relu = found["classes"]["ReLULayer"]["report"]["rows"]
    assert relu[0]["numbers"] == "ReLULayer.forward timed out after 1.5 s"


def test_grade_class_writes_every_file_from_the_students_results(tmp_path, monkeypatch, capsys):
    """``grade_student`` replaced by a stand-in returning known results (bob's first, alice's
    once bob's is in), ``ThreadPoolExecutor`` by one recording its number of threads."""
    for name in ("bob", "alice", ".hidden", "zoë"):
        (tmp_path / "class" / name).mkdir(parents=True)
    known = {"alice": alice_result(), "bob": bob_result(), "zoë": {"graded": [], "classes": {}, "problem": ""}}
    bob_done = threading.Event()
    calls = []

    def grade_student(folder, rubric, python):
        calls.append((folder, rubric, python))
        if folder.name == "alice":
            bob_done.wait(10)
        if folder.name == "bob":
            bob_done.set()
        return json.loads(json.dumps(known[folder.name]))

    threads = []

    def pool(max_workers):
        threads.append(max_workers)
        return ThreadPoolExecutor(max_workers=max_workers)

    monkeypatch.setattr(classgrade, "grade_student", grade_student)
    monkeypatch.setattr(classgrade, "ThreadPoolExecutor", pool)
    rubric = rubric_two_and_feedback()
    out = tmp_path / "deep" / "out"
    start = time.perf_counter()
    graded = classgrade.grade_class(tmp_path / "class", out, rubric, jobs=2, progress=False, python="/my/python")
    elapsed = time.perf_counter() - start
    assert graded == [("alice", known["alice"]), ("bob", known["bob"]), ("zoë", known["zoë"])]
    assert threads == [2] and capsys.readouterr().err == ""
    assert sorted((folder.name, python) for folder, _, python in calls) == \
        [("alice", "/my/python"), ("bob", "/my/python"), ("zoë", "/my/python")]
    assert all(given is rubric for _, given, _ in calls)
    for name, result in graded:
        assert (out / name / "results.json").read_text(encoding="utf-8") == \
            json.dumps(gradescope_results(result, rubric), indent=1)
        assert (out / name / "report.html").read_bytes().decode("utf-8") == student_html(name, result, rubric)
    write_class_csv(tmp_path / "expected.csv", graded, rubric)
    assert (out / "grades.csv").read_text(encoding="utf-8") == (tmp_path / "expected.csv").read_text(encoding="utf-8")
    summary = (out / "index.html").read_text(encoding="utf-8")
    seconds = float(re.search(r"<p>graded in (\d+\.\d) s</p>", summary).group(1))
    assert 0 <= seconds <= elapsed + 0.05
    assert re.sub(r"<p>graded in \d+\.\d s</p>", "", summary) == summary_html(graded, rubric)
    # again into the same folders; the rubric from a file, the default number of threads
    (tmp_path / "rubric.json").write_text(json.dumps({"graded": ["LogLoss"], "time_limit": 4}))
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    calls.clear()
    classgrade.grade_class(tmp_path / "class", out, str(tmp_path / "rubric.json"))
    assert threads == [2, 3] and "grading: 100%" in capsys.readouterr().err  # a progress bar by default
    assert calls[0][1] == {**load_rubric(), "graded": ["LogLoss"], "time_limit": 4}
    assert {python for _, _, python in calls} == {sys.executable}
    # TanhLayer 7 of 8, SquaredError 0 of 6, ReLULayer (now worth points) 7 of 8
    assert json.loads((out / "alice" / "results.json").read_text())["output"].startswith("14 of 22 points.")
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    calls.clear()
    classgrade.grade_class(tmp_path / "class", out, None, jobs=0, progress=False)
    assert threads == [2, 3, 1] and calls[0][1] == load_rubric()
    with pytest.raises(ValueError, match="is not a folder of students' folders"):
        classgrade.grade_class(tmp_path / "nowhere", out, rubric, progress=False)


def test_grade_class_grades_a_generated_class_with_a_progress_bar(tmp_path, capsys):
    """make_class's students (seven who misbehave, one ordinary) and one whose file ends the
    worker, on two classes and an optional one, by the real worker, two at a time."""
    expected, odd = make_class.make_class(tmp_path / "class", n=8)
    (tmp_path / "class" / "exits_early").mkdir()
    (tmp_path / "class" / "exits_early" / "TanhLayer.py").write_text("import os\nos._exit(5)\n")
    rubric = {**load_rubric(), **TWO, "optional": ["ReLULayer"], "time_limit": 2, "import_time_limit": 1}
    graded = classgrade.grade_class(tmp_path / "class", tmp_path / "out", rubric, jobs=2, progress=True)
    names = [name for name, _ in graded]
    assert names == sorted(list(expected) + list(odd) + ["exits_early"]) and len(names) == 9
    found = dict(graded)
    err = capsys.readouterr().err
    assert "grading: 100%" in err and "9/9" in err and "student/s" in err
    assert any(f", {name}]" in err for name in names)  # the last student graded, after the counts
    assert [name for name in names if found[name]["problem"]] == ["exits_early"]
    assert found["exits_early"]["problem"].startswith("the grading process ended early (exit code 5)")
    assert found["exits_early"]["graded"] == ["TanhLayer", "SquaredError"]  # no ReLULayer.py: not checked
    assert found["student00"]["graded"] == ["TanhLayer", "SquaredError", "ReLULayer"]
    scores = {name: json.loads((tmp_path / "out" / name / "results.json").read_text()) for name in names}
    assert scores["student00"]["score"] == 15 and scores["exits_early"]["score"] == 0
    assert {test["max_score"] for test in scores["student00"]["tests"] if test["name"].startswith("ReLULayer")} == {0}
    crashed = found["crashes_at_import"]["classes"]
    assert [entry["status"] for entry in crashed.values()] == ["error"] * 3
    assert all("SyntaxError" in entry["message"] for entry in crashed.values())
    assert found["hangs_at_import"]["classes"]["TanhLayer"]["message"].startswith(
        "importing TanhLayer.py raised CheckTimeout: ")
    assert "timed out after 1 s" in found["hangs_at_import"]["classes"]["TanhLayer"]["message"]
    everywhere = found["hangs_everywhere"]["classes"]["TanhLayer"]["report"]["rows"][0]["numbers"]
    assert "timed out after 2 s" in everywhere
    assert "sys.exit(3)" in json.dumps(found["calls_sys_exit"]["classes"]["SquaredError"])
    assert found["imports_missing_module"]["classes"]["SquaredError"]["message"].startswith(
        "importing SquaredError.py raised ModuleNotFoundError")
    for name, classes in {**expected, **odd}.items():
        if name in ("hangs_at_import", "hangs_everywhere", "crashes_at_import", "imports_missing_module",
                    "calls_sys_exit"):
            continue
        for class_name in ("TanhLayer", "SquaredError"):
            passed = found[name]["classes"][class_name]["report"]["passed"]
            assert passed == (classes[class_name] == "right"), (name, class_name)
    columns, rows = read_csv(tmp_path / "out" / "grades.csv")
    assert [row["student"] for row in rows] == names and "ReLULayer: forward shapes" in columns
    assert "9 students" in (tmp_path / "out" / "index.html").read_text()


# ---------------------------------------------------------------- cli and python -m graphnn.grading

def small_class(root):
    """alice: both classes right (15 of 15); bob: both wrong (7 of 15); carol: ends the
    worker at her first import."""
    hand_in(root / "alice", TanhLayer=right("TanhLayer"), SquaredError=right("SquaredError"))
    hand_in(root / "bob" / "hw2", TanhLayer=wrong("TanhLayer", "backward vs central differences"),
            SquaredError=wrong("SquaredError", "gradient vs central differences"))
    hand_in(root / "carol", TanhLayer="import os\nos._exit(5)\n")
    return root


@pytest.fixture
def grade_class_calls(monkeypatch):
    """``cli.grade_class`` recording its arguments (and the files of the folder it grades)
    before grading."""
    calls = []
    real = cli.grade_class

    def recorded(submissions, out, rubric, **options):
        calls.append({"submissions": Path(submissions), "out": Path(out), "rubric": rubric, **options,
                      "students": sorted(path.name for path in Path(submissions).iterdir())})
        return real(submissions, out, rubric, **options)

    monkeypatch.setattr(cli, "grade_class", recorded)
    return calls


def test_cli_grades_a_class_and_prints_a_summary(tmp_path, capsys, grade_class_calls):
    small_class(tmp_path / "class")
    (tmp_path / "rubric.json").write_text(json.dumps(TWO))
    out = tmp_path / "out"
    start = time.perf_counter()
    code = cli.main([str(tmp_path / "class"), "--out", str(out), "--rubric", str(tmp_path / "rubric.json"),
                     "--jobs", "2", "--no-progress"])
    elapsed = time.perf_counter() - start
    assert code == 0
    printed = capsys.readouterr()
    lines = printed.out.strip().splitlines()
    assert len(lines) == 2 and printed.err == ""
    assert re.fullmatch(rf"graded 3 students in \d+\.\d s \(1 with a problem\); reports in {re.escape(str(out))}"
                        rf"/index\.html, grades in {re.escape(str(out))}/grades\.csv", lines[0])
    summary = json.loads(lines[1])
    assert set(summary) == {"students", "seconds", "problems"}
    assert (summary["students"], summary["problems"]) == (3, 1) and 0 <= summary["seconds"] <= elapsed + 0.05
    assert f"in {summary['seconds']:.1f} s" in lines[0] and summary["seconds"] == round(summary["seconds"], 1)
    assert isinstance(summary["seconds"], float)  # tenths, not whole seconds: 0.6, not 1
    [call] = grade_class_calls
    assert (call["submissions"], call["out"], call["jobs"], call["progress"]) == (tmp_path / "class", out, 2, False)
    assert call["rubric"] == {**load_rubric(), **TWO}
    columns, rows = read_csv(out / "grades.csv")
    assert [(row["student"], row["score"], row["max_score"]) for row in rows] == \
        [("alice", "15.0", "15.0"), ("bob", "7.0", "15.0"), ("carol", "0.0", "15.0")]
    assert rows[2]["problem"].startswith("the grading process ended early (exit code 5)")
    assert rows[1]["TanhLayer: backward vs central differences"] == "0.0"
    assert rows[0]["SquaredError: mean of the rows"] == "1.0"
    assert columns[:5] == ["student", "score", "max_score", "problem", "TanhLayer: forward shapes"]
    assert "<h1>Class grading: 3 students</h1>" in (out / "index.html").read_text()
    assert "<h1>bob: 7 / 15</h1>" in (out / "bob" / "report.html").read_text()


def test_cli_gradescope_mode_grades_one_submission(tmp_path, capsys, grade_class_calls):
    hand_in(tmp_path / "alice" / "hw2", TanhLayer=right("TanhLayer"),
            SquaredError=wrong("SquaredError", "gradient vs central differences"))
    (tmp_path / "rubric.json").write_text(json.dumps(TWO))
    target = tmp_path / "autograder" / "results" / "results.json"
    assert cli.main([str(tmp_path / "alice"), "--gradescope", str(target), "--rubric", str(tmp_path / "rubric.json"),
                     "--jobs", "2"]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    found = json.loads(target.read_text())
    validate_gradescope(found)
    assert found["score"] == 11 and sum(test["max_score"] for test in found["tests"]) == 15
    assert found["output"].startswith("11 of 15 points.")
    [call] = grade_class_calls
    assert (call["jobs"], call["progress"], call["students"]) == (1, False, ["submission"])
    assert call["submissions"].name == "class" and call["out"] == call["submissions"].parent / "out"
    assert not call["submissions"].parent.exists()  # the temporary folder is gone
    assert call["rubric"]["graded"] == ["TanhLayer", "SquaredError"]


def test_cli_grades_the_cnn_assignment_with_a_progress_bar(tmp_path, capsys, grade_class_calls, monkeypatch):
    (tmp_path / "class" / "dora").mkdir(parents=True)
    (tmp_path / "class" / "dora" / "notes.txt").write_text("")
    (tmp_path / "class" / "eve").mkdir()
    (tmp_path / "class" / "eve" / "ReLULayer.py").write_text("class ReLULayer:\n    pass\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["class", "--assignment", "cnn"]) == 0
    printed = capsys.readouterr()
    assert "grading: 100%" in printed.err and "2/2" in printed.err
    assert "reports in grading/index.html, grades in grading/grades.csv" in printed.out
    [call] = grade_class_calls
    assert (call["jobs"], call["progress"], call["out"]) == (None, True, Path("grading"))
    assert call["rubric"] == load_rubric(assignment="cnn")
    columns, rows = read_csv(tmp_path / "grading" / "grades.csv")
    assert [(row["student"], row["score"], row["max_score"]) for row in rows] == \
        [("dora", "0.0", "20.0"), ("eve", "0.0", "20.0")]
    assert "ConvolutionalLayer: same values as graphnn" in columns and "ReLULayer: forward shapes" in columns
    assert rows[0]["ReLULayer: forward shapes"] == "" and rows[1]["ReLULayer: forward shapes"] == "0.0"


@pytest.mark.parametrize("arguments, words", [
    (["--rubric", "nope.json"], "nope.json"),
    (["--rubric", "bad.json"], "not JSON"),
    (["--rubric", "odd.json"], "unknown keys pointz"),
    (["--assignment", "rnn"], "invalid choice: 'rnn'"),
    (["--jobs", "many"], "invalid int value: 'many'"),
])
def test_cli_refuses_a_wrong_argument(tmp_path, capsys, monkeypatch, arguments, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "class").mkdir()
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "odd.json").write_text('{"pointz": 1}')
    with pytest.raises(SystemExit) as exit:
        cli.main(["class"] + arguments)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: graphnn-grade ") and "graphnn-grade: error: " in err and words in err
    assert not (tmp_path / "grading").exists()


def test_cli_refuses_a_submissions_path_that_is_not_a_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"), "--no-progress"])
    assert exit.value.code == 2
    assert f"graphnn-grade: error: graphnn-grade: {tmp_path / 'nowhere'} is not a folder of students' folders" in \
        capsys.readouterr().err


def test_cli_help_names_every_option(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["--help"])
    assert exit.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    # each text with its neighbours: a changed word at either end of one shows
    for words in ("usage: graphnn-grade [-h] [--out OUT] [--assignment {cnn,seed}]",
                  "submissions Grade a class's layers and objectives. positional",
                  "submissions a folder holding one folder per student (with --gradescope: one student's "
                  "submission folder) options:",
                  "--out OUT where the reports go (default ./grading) --assignment",
                  "{cnn,seed} the built-in rubric: which classes are graded and their points (default seed) --rubric",
                  "RUBRIC a JSON rubric changing the assignment's (points, classes, strict, conventions, time limits) "
                  "--jobs JOBS students graded at once (default: the number of cores) --no-progress no progress bar "
                  "--gradescope RESULTS_JSON grade the one submission folder and write Gradescope's results.json "
                  "there (e.g. /autograder/results/results.json) assignments: seed = the ten seed classes "
                  "(InputLayer ... CrossEntropy); cnn = ConvolutionalLayer, MaxPoolLayer, FlatteningLayer, and the "
                  "seed's classes too if any student handed them in."):
        assert words in text, words
    assert text.endswith(" handed them in. docs/grading.md has the rubric's format.")


def test_python_m_graphnn_grading_runs_the_command_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "class" / "nobody").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["graphnn-grade", "class", "--no-progress", "--jobs", "1"])
    monkeypatch.delitem(sys.modules, "graphnn.grading.__main__", raising=False)
    with pytest.raises(SystemExit) as exit:
        runpy.run_module("graphnn.grading", run_name="__main__")
    assert exit.value.code == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["students"] == 1
    _, rows = read_csv(tmp_path / "grading" / "grades.csv")
    assert [(row["student"], row["score"], row["max_score"]) for row in rows] == [("nobody", "0.0", "74.0")]


def test_grade_folder_gives_an_import_the_rubrics_time_limit(tmp_path, student_imports):
    (tmp_path / "TanhLayer.py").write_text("while True:\n    pass\n")
    found = worker.grade_folder(tmp_path, tmp_path / "result.json",
                                {"classes": ["TanhLayer"], "import_time_limit": 0.5})
    entry = found["classes"]["TanhLayer"]
    assert entry["status"] == "error"
    assert entry["message"].startswith("importing TanhLayer.py raised CheckTimeout: ")
    assert "timed out after 0.5 s" in entry["message"]


def test_the_optional_classes_handed_in_may_be_any_classes(tmp_path):
    """Classes beyond the seed's (the convolution assignment's) are looked for by their own
    names, in the order given."""
    (tmp_path / "ana").mkdir()
    (tmp_path / "ana" / "maxpoollayer.py").write_text("class MaxPoolLayer: pass\n")
    (tmp_path / "ben").mkdir()
    (tmp_path / "ben" / "TanhLayer.py").write_text("class TanhLayer: pass\n")
    folders = [tmp_path / "ana", tmp_path / "ben"]
    assert classes_handed_in(folders, ["ConvolutionalLayer", "TanhLayer", "MaxPoolLayer"]) == ["TanhLayer", "MaxPoolLayer"]
