"""The grading kit's whole output, compared with a stored copy: every report a student would
read for the classes of the corpora (tests/students/corpus.py, image_corpus.py), graphnn's own
classes, and the hostile classes of tests/test_grading_hostile.py that end without a time-out,
with the plain call and with ``strict=True``, plus what the kit says to a class needing
arguments. The other grading tests check each verdict's owner, names and key words; this one
notices any change to what a student reads (a row's name, a number, a hint, a note, the
verdict line), which a report is for.

The reports are stored in tests/golden/grading_reports.txt. After a deliberate change to the
kit's wording, write them again and read the diff before committing it::

    GRAPHNN_UPDATE_GOLDEN=1 python -m pytest tests/test_grading_golden.py

Numbers below 1e-6 in scientific notation (the rounding errors of a right class, which differ
between BLAS builds) are stored as ``~0``.
"""
import difflib
import importlib.util
import os
import re
from pathlib import Path

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.checks import check_layer, check_objective

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "grading_reports.txt"
OBJECTIVES = ("SquaredError", "LogLoss", "CrossEntropy")


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = _load("golden_student_corpus", HERE / "students" / "corpus.py")
image_corpus = _load("golden_image_corpus", HERE / "students" / "image_corpus.py")
hostile = _load("golden_hostile", HERE / "test_grading_hostile.py")

_SCIENTIFIC = re.compile(r"-?\d+(?:\.\d+)?e[+-]\d+")


def _tiny_as_zero(text):
    return _SCIENTIFIC.sub(lambda m: "~0" if abs(float(m.group())) < 1e-6 else m.group(), text)


def _subjects():
    """``[(title, check, make, options)]``, in a fixed order."""
    subjects = []
    for cls, tag in corpus.CORPUS:
        name = corpus.SEED_NAMES.get(cls.__name__, cls.__name__)
        subjects.append((f"corpus {cls.__name__} ({tag})", check_objective if name in OBJECTIVES else check_layer,
                         cls, {}))
    for make, tag, _ in image_corpus.IMAGE_CORPUS:
        subjects.append((f"image corpus {make.__name__} ({tag})", check_layer, make, {}))
    for name in ("InputLayer", "FullyConnectedLayer", "LinearLayer", "ReLULayer", "LogisticSigmoidLayer",
                 "SoftmaxLayer", "TanhLayer", "ConvolutionalLayer", "MaxPoolLayer", "FlatteningLayer"):
        subjects.append((f"graphnn {name}", check_layer, getattr(gn, name), {}))
    for name in OBJECTIVES:
        subjects.append((f"graphnn {name}", check_objective, getattr(gn, name), {}))
    for name in ("Sigmoid", "Sigmoid32", "IntegerReLU", "Gradient32", "Backward32", "RoundingSigmoid"):
        subjects.append((f"hostile {name}", check_layer, getattr(hostile, name), {}))
    subjects.append(("hostile FullyConnected", check_layer, lambda: hostile.FullyConnected(4, 3), {}))
    subjects.append(("hostile IntegerWeights", check_layer, lambda: hostile.IntegerWeights(4, 3), {}))
    subjects.append(("hostile SquaredError", check_objective, hostile.SquaredError, {}))
    for value in (None, "3", 0, 3.0):
        subjects.append((f"hostile Sigmoid with sizeIn {value!r}", check_layer,
                         hostile.with_size_in(hostile.Sigmoid, value), {}))
    strict = [(f"{title}, strict", check, make, {"strict": True}) for title, check, make, _ in subjects]
    return subjects + strict


def _refusals():
    """What the kit raises for classes it cannot build: the message is the report."""
    cases = [(check_layer, hostile.NeedsExtra), (check_layer, hostile.NeedsUnknownNames),
             (check_layer, hostile.NeedsKeywordOnly), (check_objective, hostile.ObjectiveNeedsEpsilon),
             (check_objective, hostile.SquaredError()), (check_layer, lambda width: None)]
    lines = []
    for check, make in cases:
        with pytest.raises((TypeError, ValueError)) as caught:
            check(make)
        lines.append(f"{check.__name__}({getattr(make, '__name__', type(make).__name__)}): "
                     f"{type(caught.value).__name__}: {caught.value}")
    return lines


def current_reports():
    """The text stored in the golden file, computed now."""
    parts = []
    with np.errstate(all="ignore"):
        for title, check, make, options in _subjects():
            report = check(make, **options)
            parts.append(f"### {title}\n{report}\nnotes: {report.to_dict()['notes']}\n")
    parts.append("### refusals\n" + "\n".join(_refusals()) + "\n")
    return _tiny_as_zero("\n".join(parts))


def test_every_report_reads_as_stored():
    text = current_reports()
    if os.environ.get("GRAPHNN_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    stored = GOLDEN.read_text(encoding="utf-8")
    if text != stored:
        diff = "".join(list(difflib.unified_diff(stored.splitlines(True), text.splitlines(True),
                                                 "stored", "now", n=1))[:60])
        pytest.fail("the grading kit's reports changed (GRAPHNN_UPDATE_GOLDEN=1 writes them again; "
                    f"read the diff first):\n{diff}")


def test_the_stored_reports_cover_every_verdict_and_both_modes():
    stored = GOLDEN.read_text(encoding="utf-8")
    assert sum(line.startswith("### ") for line in stored.splitlines()) == len(_subjects()) + 1
    assert "\nPASSED" in stored and "\nFAILED" in stored and ", strict\n" in stored
    assert "hint: " in stored and "~0" in stored
