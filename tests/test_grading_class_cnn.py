"""graphnn-grade --assignment cnn on a class of five students built from the image corpus's
classes (tests/students/image_corpus.py): one right (in nested folders, with a seed class as
well, checked for no points), one with three of the usual mistakes, one with the fourth, a missing file and a file
name in lower case, one whose file does not parse, one whose max pooling loops forever in
forward. The CSV, each results.json (Gradescope's format) and each report say what the
corpus's tags say; the summary page and a report are shown in Chromium at 1366 x 768."""
import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graphnn.grading.discover import find_class_files
from graphnn.grading.layer_checks import LAYER_ADVICE
from graphnn.grading.results import CNN_RUBRIC, load_rubric, validate_gradescope

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "students" / "image_corpus.py"
spec = importlib.util.spec_from_file_location("image_corpus", CORPUS)
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)

RUBRIC = {"time_limit": 3, "import_time_limit": 3, "student_time_limit": 60}


def corpus_index(name, tag, single_channel=False):
    """The index in ``IMAGE_CORPUS`` of the class ``name`` tagged ``tag``."""
    for i, (make, found, _) in enumerate(corpus.IMAGE_CORPUS):
        single = "kernelSize" in getattr(make.__init__, "__code__", compile("", "", "exec")).co_varnames
        if make.__name__ == name and found == tag and single == single_channel:
            return i
    raise LookupError((name, tag))


def message_of(index):
    return corpus.IMAGE_CORPUS[index][2]


def hand_in(folder, name, index, file_name=None, body=""):
    """A student's ``NAME.py``: the corpus's class ``index`` (the corpus travels in the student's
    folder as ``image_corpus.py``), with ``body`` overriding some of its methods."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CORPUS, folder / "image_corpus.py")
    source = (f"from image_corpus import IMAGE_CORPUS\n\n\n"
              f"class {name}(IMAGE_CORPUS[{index}][0]):\n    \"\"\"the student's {name}\"\"\"\n{body}")
    (folder / (file_name or f"{name}.py")).write_text(source, encoding="utf-8")


RELU = """import numpy as np


class ReLULayer:
    def forward(self, dataIn):
        self.prevIn = dataIn
        return np.maximum(dataIn, 0)

    def gradient(self):
        return (self.prevIn > 0).astype(float)

    def backward(self, gradIn):
        return gradIn * self.gradient()
"""


def make_cnn_class(root):
    """Five students; returns ``{student: {class: tag}}`` (``'right'``, a check's name, or
    ``'missing'``, ``'syntax'``, ``'hangs'``). Only alice hands in a seed class (ReLULayer):
    it is checked for her, as feedback worth no points, and nobody else misses it."""
    conv, conv_single = corpus_index("ConvolutionalLayer", "right"), corpus_index("ConvolutionalLayer", "right", True)
    pool, flat = corpus_index("MaxPoolLayer", "right"), corpus_index("FlatteningLayer", "right")
    alice = root / "alice" / "hw3" / "src"
    hand_in(alice, "ConvolutionalLayer", conv)
    hand_in(alice, "MaxPoolLayer", pool)
    hand_in(alice, "FlatteningLayer", flat)
    (alice / "ReLULayer.py").write_text(RELU, encoding="utf-8")
    hand_in(root / "bob", "ConvolutionalLayer", corpus_index("ConvolutionalLayer", "same values as graphnn"))
    hand_in(root / "bob", "MaxPoolLayer", corpus_index("MaxPoolLayer", "same values as graphnn"))
    hand_in(root / "bob", "FlatteningLayer", corpus_index("FlatteningLayer", "same values as graphnn"))
    hand_in(root / "carol", "ConvolutionalLayer", corpus_index("ConvolutionalLayer", "parameter gradients"))
    hand_in(root / "carol", "FlatteningLayer", flat, file_name="flatteninglayer.py")
    hand_in(root / "dave", "ConvolutionalLayer", conv_single)
    hand_in(root / "dave", "MaxPoolLayer", pool)
    (root / "dave" / "FlatteningLayer.py").write_text("class FlatteningLayer:\n    def forward(self, X)\n"
                                                      "        return X.reshape(len(X), -1)\n")
    hand_in(root / "erin", "ConvolutionalLayer", conv)
    hand_in(root / "erin", "MaxPoolLayer", pool, body="\n    def forward(self, X):\n        while True:\n"
                                                      "            X = X + 0\n")
    hand_in(root / "erin", "FlatteningLayer", flat)
    return {
        "alice": {"ConvolutionalLayer": "right", "MaxPoolLayer": "right", "FlatteningLayer": "right",
                  "ReLULayer": "right"},
        "bob": {"ConvolutionalLayer": "same values as graphnn", "MaxPoolLayer": "same values as graphnn",
                "FlatteningLayer": "same values as graphnn"},
        "carol": {"ConvolutionalLayer": "parameter gradients", "MaxPoolLayer": "missing", "FlatteningLayer": "right"},
        "dave": {"ConvolutionalLayer": "right", "MaxPoolLayer": "right", "FlatteningLayer": "syntax"},
        "erin": {"ConvolutionalLayer": "right", "MaxPoolLayer": "hangs", "FlatteningLayer": "right"},
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("cnn-class")
    expected = make_cnn_class(base / "submissions")
    (base / "rubric.json").write_text(json.dumps(RUBRIC))
    run = subprocess.run([sys.executable, "-m", "graphnn.grading", str(base / "submissions"), "--assignment", "cnn",
                          "--out", str(base / "out"), "--rubric", str(base / "rubric.json"), "--no-progress",
                          "--jobs", "2"],
                         capture_output=True, text=True, timeout=600, cwd=base, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-3000:]
    return base, expected, run


def results_of(base, student):
    return json.loads((base / "out" / student / "results.json").read_text())


def checks_of(results, class_name):
    return {test["name"].split(": ", 1)[1]: test for test in results["tests"] if test["name"].startswith(class_name + ":")}


def test_the_cnn_rubric_grades_the_image_layers_and_the_seed_classes_handed_in(graded):
    base, expected, run = graded
    with open(base / "out" / "grades.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == sorted(expected)
    columns = list(next(iter(rows.values())))
    assert "ConvolutionalLayer: same values as graphnn" in columns and "FlatteningLayer: forward shapes" in columns
    assert "ReLULayer: forward shapes" in columns  # alice handed it in: checked, for no points
    assert rows["alice"]["ReLULayer: forward shapes"] == "0.0" and rows["bob"]["ReLULayer: forward shapes"] == ""
    assert not any(column.startswith(("SoftmaxLayer", "InputLayer", "CrossEntropy")) for column in columns)
    # every score out of the same total: the three image layers, 8 + 6 + 6
    assert {float(row["max_score"]) for row in rows.values()} == {20.0}
    assert float(rows["alice"]["score"]) == 20.0
    assert float(rows["bob"]["score"]) == 20 - 3 * 2
    assert float(rows["carol"]["score"]) == 20 - 2 - 6
    assert float(rows["dave"]["score"]) == 20 - 6
    assert 0 < float(rows["erin"]["score"]) <= 20 - 1
    relu = checks_of(results_of(base, "alice"), "ReLULayer")
    assert all(test["max_score"] == 0 for test in relu.values())
    assert all(test["status"] == "passed" for check, test in relu.items() if check not in LAYER_ADVICE), relu
    assert not checks_of(results_of(base, "bob"), "ReLULayer")
    assert json.loads(run.stdout.strip().splitlines()[-1])["students"] == 5
    for student in expected:
        validate_gradescope(results_of(base, student))


def test_each_named_mistake_reaches_the_students_report(graded):
    base, expected, _ = graded
    for student, classes in expected.items():
        results = results_of(base, student)
        report = (base / "out" / student / "report.html").read_text()
        for name, tag in classes.items():
            tests = checks_of(results, name)
            failed = [check for check, test in tests.items() if test["status"] == "failed" and test["max_score"] > 0]
            if tag == "right":
                assert not failed, (student, name, failed)
            elif tag in tests:
                assert failed == [tag], (student, name, failed)
                index = corpus_index(name, tag)
                assert message_of(index) in tests[tag]["output"], (student, name, tests[tag]["output"])
                assert message_of(index) in report.replace("&#x27;", "'"), (student, name)
            else:
                assert all(test["score"] == 0 for test in tests.values()), (student, name)
                words = {"missing": f"no file {name}.py", "syntax": "SyntaxError", "hangs": "timed out after 3 s"}[tag]
                assert any(words in test["output"] for test in tests.values()), (student, name, tag)
                assert words in report, (student, name)


def test_the_single_channel_version_and_nested_lower_case_files_are_found(graded, tmp_path):
    base, _, _ = graded
    dave = checks_of(results_of(base, "dave"), "ConvolutionalLayer")
    assert dave["forward shapes"]["output"] == "1 x 6 x 5 -> 1 x 4 x 3, 3 x 6 x 5 -> 3 x 4 x 3"
    assert "parameter gradients" in dave and dave["parameter gradients"]["score"] == 2
    files = find_class_files(base / "submissions" / "carol", list(CNN_RUBRIC["graded"]))
    assert files["FlatteningLayer"].name == "flatteninglayer.py" and files["MaxPoolLayer"] is None
    (tmp_path / "x" / "deep").mkdir(parents=True)
    (tmp_path / "x" / "deep" / "FlatteningLayer.py").write_text("")
    (tmp_path / "x" / "flatteninglayer.py").write_text("")
    assert find_class_files(tmp_path / "x", ["FlatteningLayer"])["FlatteningLayer"].name == "FlatteningLayer.py"


def test_an_image_layers_input_shape_comes_from_the_rubric(tmp_path):
    from graphnn.grading.classgrade import grade_student

    hand_in(tmp_path / "frank", "ConvolutionalLayer", corpus_index("ConvolutionalLayer", "right"))
    rubric = {**load_rubric(assignment="cnn"), "time_limit": 10,
              "input_shapes": {"ConvolutionalLayer": [2, 5, 7]}}
    result = grade_student(tmp_path / "frank", rubric)
    assert result["graded"] == ["ConvolutionalLayer", "MaxPoolLayer", "FlatteningLayer"]
    rows = {row["name"]: row for row in result["classes"]["ConvolutionalLayer"]["report"]["rows"]}
    assert rows["forward shapes"]["numbers"].startswith("1 x 2 x 5 x 7 -> 1 x 3 x 3 x 5")
    assert result["classes"]["MaxPoolLayer"]["status"] == "missing"


def test_the_assignment_is_chosen_by_name_and_a_rubric_file_updates_it(tmp_path):
    assert load_rubric()["graded"][0] == "InputLayer" and load_rubric(assignment="cnn")["graded"][0] == \
        "ConvolutionalLayer"
    (tmp_path / "r.json").write_text(json.dumps({"classes": {"ConvolutionalLayer": {"forward shapes": 5}},
                                                 "optional": []}))
    rubric = load_rubric(tmp_path / "r.json", "cnn")
    assert rubric["classes"]["ConvolutionalLayer"]["forward shapes"] == 5
    assert rubric["classes"]["ConvolutionalLayer"]["seed's worked numbers"] == 0  # kept from the built-in one
    assert rubric["optional"] == []
    with pytest.raises(ValueError, match="unknown assignment 'rnn'; known: seed, cnn"):
        load_rubric(assignment="rnn")
    run = subprocess.run([sys.executable, "-m", "graphnn.grading", str(tmp_path), "--assignment", "rnn"],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 2 and "invalid choice: 'rnn'" in run.stderr


def test_the_summary_and_a_report_read_well_in_chromium(graded, browser):
    base, _, _ = graded
    shots = base / "screenshots"
    shots.mkdir()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: not r.url.startswith(("file:", "data:")) and problems.append(r.url))
    page.goto((base / "out" / "index.html").as_uri())
    page.screenshot(path=str(shots / "index.png"), full_page=True)
    assert "Class grading: 5 students" in page.inner_text("h1")
    assert "classes graded: ConvolutionalLayer, MaxPoolLayer, FlatteningLayer" in page.inner_text("body")
    assert "FlatteningLayer (does not import" in page.inner_text("body")
    page.click("text=bob")
    page.screenshot(path=str(shots / "bob.png"), full_page=True)
    assert page.inner_text("h1").startswith("bob: ")
    assert "a convolution (the kernel flipped)" in page.inner_text("body")
    page.close()
    assert not problems
    keep = os.environ.get("GRAPHNN_SCREENSHOTS")  # to look at them: GRAPHNN_SCREENSHOTS=/some/folder
    if keep:
        shutil.copytree(shots, keep, dirs_exist_ok=True)


def test_a_class_the_worker_never_reached_counts_in_the_total():
    from graphnn.grading.results import score_student

    rubric = load_rubric(assignment="cnn")
    result = {"graded": ["ConvolutionalLayer", "MaxPoolLayer", "FlatteningLayer"], "classes": {},
              "problem": "stopped after the time limit of 60 s; the classes not graded by then earn 0"}
    score, max_score, rows = score_student(result, rubric)
    assert (score, max_score) == (0, 20)
    assert {row[0] for row in rows} == set(result["graded"]) and "time limit" in rows[0][5]


def test_gradescope_mode_grades_one_cnn_submission(tmp_path):
    expected = make_cnn_class(tmp_path / "class")
    target = tmp_path / "results" / "results.json"
    (tmp_path / "rubric.json").write_text(json.dumps(RUBRIC))
    run = subprocess.run([sys.executable, "-m", "graphnn.grading", str(tmp_path / "class" / "bob"), "--assignment", "cnn",
                          "--gradescope", str(target), "--rubric", str(tmp_path / "rubric.json")],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(target.read_text())
    validate_gradescope(results)
    assert results["score"] == 14 and sum(test["max_score"] for test in results["tests"]) == 20
    assert {test["name"].split(":")[0] for test in results["tests"]} == set(expected["bob"])
