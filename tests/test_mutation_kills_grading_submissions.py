"""The grading kit's handling of a student's submission: the adapter that makes a student's
class a graph node (``adapter``), the reading of the class itself (``student``), the worker that
grades one folder, the class grader and its command line (``worker``, ``classgrade``, ``cli``),
finding the files (``discover``), conventions and limits: the behaviours mutation testing found
unchecked, each checked on its values, verdicts and the key words of its messages. Small classes
written as students write them, defined here."""
import functools
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from graphnn.grading import cli, limits
from graphnn.grading.adapter import WrappedLayer
from graphnn.grading.student import build, student_parameters, update_style


# ---------------------------------------------------------------- adapter.py


class RowBias:
    """A fully connected layer whose biases start 1-D (``np.zeros(K)``) and come back from
    ``updateWeights`` as a ``1 x K`` row (``keepdims=True``), as students often write it."""

    def __init__(self):
        self.weights = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])
        self.biases = np.zeros(3)

    def forward(self, dataIn):
        self.prevIn = dataIn
        return dataIn @ self.weights + self.biases

    def gradient(self):
        return self.weights.T

    def backward(self, gradIn):
        return gradIn @ self.weights.T

    def updateWeights(self, gradIn, eta):
        self.weights = self.weights - eta * self.prevIn.T @ gradIn / len(gradIn)
        self.biases = self.biases - eta * gradIn.mean(axis=0, keepdims=True)


def test_a_wrapped_layers_parameter_gradient_is_shaped_like_the_parameter():
    """A gradient read from ``updateWeights`` in another shape than the parameter's (a ``1 x K``
    change of a 1-D bias) is given to the parameter in the parameter's own shape."""
    obj = RowBias()
    layer = WrappedLayer(obj)
    X, G = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -2.0]])
    layer.forward(X)
    layer.backward(G)
    weights, biases = layer.parameters()
    assert biases.shape == (3,) and biases.grad.shape == (3,)
    assert np.allclose(biases.grad, G.mean(axis=0))
    assert weights.grad.shape == (2, 3) and np.allclose(weights.grad, X.T @ G / 2)
    assert obj.biases.shape == (3,) and np.array_equal(obj.biases, np.zeros(3))  # put back as it was


# ---------------------------------------------------------------- student.py


def _with_update(function):
    return type("S", (), {"updateWeights": function})()


class WeightsByAccessors:
    """The seed's ``getWeights``/``setWeights`` for the weights, the biases in an attribute
    with no accessor (``self.b``)."""

    def __init__(self):
        self.W = np.ones((2, 3))
        self.b = np.zeros((1, 3))

    def getWeights(self):
        return self.W

    def setWeights(self, W):
        self.W = W


def test_biases_in_an_attribute_are_found_beside_weights_behind_accessors():
    """Accessors for the weights do not stop the search for the biases among the attributes;
    each parameter knows the object it belongs to."""
    layer = WeightsByAccessors()
    weights, biases = student_parameters(layer)
    assert (weights.name, weights.where) == ("weights", "getWeights/setWeights")
    assert (biases.name, biases.where) == ("biases", "attribute b")
    assert weights.obj is layer and biases.obj is layer
    assert biases.raw() is layer.b


def test_an_update_with_two_required_arguments_is_called_with_gradin_and_eta():
    """Two required arguments are both passed, as ``(gradIn, eta)``, even when the first is
    named like a rate: ``updateWeights(eta)`` alone could not be called."""
    assert update_style(_with_update(lambda self, eta, gradIn: None)) == "gradIn, eta"
    assert update_style(_with_update(lambda self, lr, grad, /: None)) == "gradIn, eta"


class CallableLoss:
    """An objective in the seed's style that can also be called as ``loss(Y, Yhat)``."""

    def __call__(self, Y, Yhat):
        return self.eval(Y, Yhat)

    def eval(self, Y, Yhat):
        return float(np.mean((Y - Yhat) ** 2))

    def gradient(self, Y, Yhat):
        return -2 * (Y - Yhat)


def test_build_refuses_an_objective_object_even_one_that_can_be_called():
    """An objective's instance (it has ``eval``) is refused as an object, callable or not: every
    check needs a fresh one, so the class or a factory is asked for."""
    with pytest.raises(TypeError) as err:
        build(CallableLoss(), caller="check_objective")
    message = str(err.value)
    assert "not a 'CallableLoss' object" in message and "fresh one" in message
    assert "check_objective(lambda: CallableLoss(...))" in message and "asks for" not in message


def test_build_names_a_factory_without_a_name_as_given():
    """A factory with no ``__name__`` (a ``functools.partial``) that asks for arguments is
    refused with a ``TypeError`` naming the arguments, not an ``AttributeError``."""
    with pytest.raises(TypeError) as err:
        build(functools.partial(lambda width, height: None, 3))
    message = str(err.value)
    assert "asks for height" in message and "check_layer(lambda: MyLayer(...))" in message
    assert "None" not in message


# ---------------------------------------------------------------- limits.py


class Teacher:
    """A teacher's own class calling graphnn's limits around a student's method."""

    def grade(self, method):
        try:
            limits.call_with_time_limit(method, None)
        except ValueError as err:
            return limits.running_method(err.__traceback__)


class Failing:
    def backward(self):
        raise ValueError("wrong")


def test_running_method_names_the_students_method_not_the_callers_above_graphnn():
    """The frames above graphnn's (a teacher's method that caught the error) are not the
    student's: the method named is the one graphnn called."""
    assert Teacher().grade(Failing().backward) == "Failing.backward"


def test_a_limited_call_outside_the_main_thread_runs_in_a_daemon_thread():
    """Outside the main thread the function runs in a daemon helper thread (one stuck in C
    code, left behind, must not keep the process alive), even when the caller's thread is
    not a daemon."""
    outcome = {}

    def caller():
        outcome["daemon"] = limits.call_with_time_limit(lambda: threading.current_thread().daemon, 5)
        outcome["caller"] = threading.current_thread().daemon

    thread = threading.Thread(target=caller)
    thread.start()
    thread.join(30)
    assert outcome == {"daemon": True, "caller": False}


# ---------------------------------------------------------------- cli.py


def _grading_stand_in(calls):
    """A stand-in for ``grade_class`` that writes each student's ``results.json`` at once."""

    def grade_class(submissions, out, rubric, **options):
        calls.append((Path(submissions), Path(out), options))
        for student in sorted(Path(submissions).iterdir()):
            (Path(out) / student.name).mkdir(parents=True, exist_ok=True)
            (Path(out) / student.name / "results.json").write_text(json.dumps({"score": 3.0, "who": student.name}))
        return []

    return grade_class


def test_gradescope_mode_writes_into_a_folder_that_exists_already(tmp_path, monkeypatch, capsys):
    """Gradescope's ``/autograder/results/`` exists before the grader runs: ``--gradescope``
    writes its ``results.json`` there, replacing one left by an earlier run."""
    calls = []
    monkeypatch.setattr(cli, "grade_class", _grading_stand_in(calls))
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "TanhLayer.py").write_text("class TanhLayer: pass\n")
    target = tmp_path / "results" / "results.json"
    target.parent.mkdir()
    target.write_text("{}")
    assert cli.main([str(tmp_path / "alice"), "--gradescope", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert json.loads(target.read_text()) == {"score": 3.0, "who": "submission"}
    [(submissions, out, options)] = calls
    assert options == {"jobs": 1, "progress": False}
