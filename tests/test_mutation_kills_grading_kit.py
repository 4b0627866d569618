"""The grading kit's reading of a student's class (``student``), its adapter (``adapter``), its
reports (``report``), inputs and comparisons (``inputs``), conventions and time limits, checked
value by value: every branch, threshold and message a student or a teacher sees (the behaviours
mutation testing found unchecked). Small classes written as students write them, defined here."""
import threading
import time

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading import adapter, conventions, inputs, limits, report, student
from graphnn.grading.adapter import WrappedLayer, WrappedObjective, node_stem, seed_style_parameters, wrap
from graphnn.grading.report import Check, CheckFailure, ContractReport
from graphnn.grading.student import (DtypeNotes, StudentParameter, as_width, build, dtype_note, is_layer,
                                     is_objective, looks_like_image_layer, parameter_gradients, student_parameters,
                                     update_method, update_style)


# ---------------------------------------------------------------- student.py: parameters


class Dense:
    """A fully connected layer in the seed's style: accessors, ``updateWeights(gradIn, eta)``
    applying the mean gradient, not in place."""

    def __init__(self, sizeIn=2, sizeOut=3):
        self.weights = np.arange(sizeIn * sizeOut, dtype=float).reshape(sizeIn, sizeOut) / 10
        self.biases = np.array([[0.5, -0.5, 1.0]])[:, :sizeOut]

    def getWeights(self):
        return self.weights

    def setWeights(self, w):
        self.weights = w

    def getBiases(self):
        return self.biases

    def setBiases(self, b):
        self.biases = b

    def forward(self, dataIn):
        self.prevIn = dataIn
        return dataIn @ self.weights + self.biases

    def gradient(self):
        return self.weights.T

    def backward(self, gradIn):
        return gradIn @ self.gradient()

    def updateWeights(self, gradIn, eta):
        dW = self.prevIn.T @ gradIn / len(gradIn)
        dB = gradIn.mean(axis=0, keepdims=True)
        self.weights = self.weights - eta * dW
        self.biases = self.biases - eta * dB


def test_a_parameter_is_put_back_into_the_students_own_float_array():
    layer = Dense()
    own = layer.weights
    (weights, biases) = student_parameters(layer)
    assert (weights.name, weights.where) == ("weights", "getWeights/setWeights")
    assert (biases.name, biases.where) == ("biases", "getBiases/setBiases")
    assert weights.raw() is own
    copy = weights.get()
    assert copy is not own and copy.dtype == np.float64
    weights.put(np.ones((2, 3)))
    assert layer.weights is own and np.array_equal(own, np.ones((2, 3)))


@pytest.mark.parametrize("current", [np.zeros((2, 3), dtype=int), np.zeros((3, 2)), np.zeros((2, 3), np.float32),
                                     [[0.0] * 3] * 2, "read-only"])
def test_a_parameter_that_cannot_take_the_value_in_place_goes_through_the_setter(current):
    layer = Dense()
    if isinstance(current, str):
        current = np.zeros((2, 3))
        current.flags.writeable = False
    layer.weights = current
    (weights, _) = student_parameters(layer)
    weights.put([[1, 2, 3], [4, 5, 6]])
    assert layer.weights is not current
    assert layer.weights.dtype == np.float64
    assert np.array_equal(layer.weights, [[1, 2, 3], [4, 5, 6]])


def test_accessors_come_first_and_the_first_pair_of_each_name_wins():
    class Conv:
        def __init__(self):
            self.k, self.w2, self.bb = np.ones((2, 2)), np.zeros((2, 2)), np.ones(1)
            self.weights = np.full((3, 3), 7.0)

        def getKernel(self): return self.k
        def setKernel(self, k): self.k = k
        def getKernels(self): return self.w2
        def setKernels(self, k): self.w2 = k
        def getBias(self): return self.bb
        def setBias(self, b): self.bb = b

    found = student_parameters(Conv())
    assert [(p.name, p.where) for p in found] == [("weights", "getKernel/setKernel"), ("biases", "getBias/setBias")]
    assert np.array_equal(found[0].get(), np.ones((2, 2)))


def test_a_getter_without_its_setter_is_no_accessor():
    class Half:
        weights = np.ones((2, 2))

        def getWeights(self): return np.zeros((2, 2))
        setWeights = None

    (found,) = student_parameters(Half())
    assert found.where == "attribute weights"


@pytest.mark.parametrize("attributes, expected", [
    ({"W": np.ones((2, 3)), "b": np.ones(3)}, [("weights", "attribute W"), ("biases", "attribute b")]),
    ({"w": np.ones((2, 3), dtype=int), "bias": np.ones((1, 3), dtype=np.uint8)},
     [("weights", "attribute w"), ("biases", "attribute bias")]),
    ({"weight": np.ones((1, 1, 2, 2)), "biases": np.ones((1, 1, 3))},
     [("weights", "attribute weight"), ("biases", "attribute biases")]),
    ({"kernel": np.ones(3)}, []),                            # 1-D: no weights
    ({"kernels": np.ones((1, 1, 1, 1, 1))}, []),             # 5-D
    ({"K": np.ones((2, 2), dtype=bool)}, []),                # booleans are no numbers here
    ({"filters": np.ones((2, 2), dtype=complex)}, []),
    ({"weights": [[1.0, 2.0]], "filters": np.ones((2, 2))}, [("weights", "attribute filters")]),
    ({"b": np.ones((1, 1, 1, 3))}, []),                       # 4-D biases
    ({"b": np.float64(2.0)}, []),                             # 0-D
    ({"bias": np.ones((2, 2)), "b": np.ones(3)}, [("biases", "attribute b")]),
])
def test_attributes_read_as_weights_and_biases(attributes, expected):
    obj = type("Student", (), {})()
    for name, value in attributes.items():
        setattr(obj, name, value)
    found = student_parameters(obj)
    assert [(p.name, p.where) for p in found] == expected
    for p in found:  # each reads and writes its own attribute
        value = p.get() + 1
        p._setter(value)
        assert np.array_equal(p.get(), value)


def test_an_attribute_is_not_read_when_accessors_give_the_same_name():
    class Both(Dense):
        W = np.ones((5, 5))
        b = np.ones(5)

    assert [p.where for p in student_parameters(Both())] == ["getWeights/setWeights", "getBiases/setBiases"]
    assert seed_style_parameters(Both())[0][0] == "weights"
    name, get, put = seed_style_parameters(Both())[1]
    assert name == "biases" and np.array_equal(get(), [[0.5, -0.5, 1.0]])


def test_the_update_method_is_the_first_of_its_names():
    class K:
        def updateKernels(self, eta): return "kernels"
        def updateFilters(self, eta): return "filters"

    class W(K):
        def updateWeights(self, gradIn, eta): return "weights"
        def updateKernel(self, gradIn, eta): return "kernel"

    assert update_method(K())(1) == "kernels"
    assert update_method(W())(1, 1) == "weights"
    assert update_method(type("F", (), {"updateFilters": lambda self, e: "f"})())(1) == "f"
    assert update_method(type("N", (), {"updateWeights": 3})()) is None
    assert update_method(object()) is None


def _with_update(function):
    return type("S", (), {"updateWeights": function})()


@pytest.mark.parametrize("function, style", [
    (lambda self, gradIn, eta: None, "gradIn, eta"),
    (lambda self, gradIn, eta=0.1: None, "gradIn, eta"),
    (lambda self, gradIn, lr: None, "gradIn, eta"),
    (lambda self, eta: None, "eta"),
    (lambda self, learning_rate: None, "eta"),
    (lambda self, Step_Size: None, "eta"),
    (lambda self, eta=0.1: None, "eta"),
    (lambda self, eta, gradIn=None: None, "eta"),
    (lambda self, alpha=0.1, momentum=0.9: None, "eta"),
    (lambda self, grad, momentum=0.9: None, "gradIn, eta"),
    (lambda self, grad: None, "updateWeights(grad): the kit calls updateWeights(gradIn, eta) or updateWeights(eta)"),
    (lambda self, gradIn, eta, decay: None,
     "updateWeights(gradIn, eta, decay): the kit calls updateWeights(gradIn, eta) or updateWeights(eta)"),
    (lambda self: None, "updateWeights() takes no arguments: the kit calls updateWeights(gradIn, eta) or "
                        "updateWeights(eta)"),
    (lambda self, *args: None, "updateWeights() takes no arguments: the kit calls updateWeights(gradIn, eta) or "
                               "updateWeights(eta)"),
    (lambda self, eta, *, momentum: None, "eta"),          # keyword-only arguments are not passed
    (lambda self, g, e, /: None, "gradIn, eta"),            # positional-only ones are
    (lambda self, rate, /: None, "eta"),
])
def test_update_style_reads_the_signature(function, style):
    assert update_style(_with_update(function)) == style


def test_update_style_without_a_readable_signature_or_method():
    assert update_style(object()) is None
    assert update_style(_with_update(np.add)) == "gradIn, eta"  # a ufunc
    assert update_style(_with_update(max)) == "gradIn, eta"  # a builtin with no signature: called as the seed does


def test_parameter_gradients_hand_an_update_a_copy_of_gradin():
    # an update that scales gradIn in place must not change the G the checks compare with
    layer = Dense()
    X, G = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -2.0]])
    layer.forward(X)
    kept = G.copy()

    def update(gradIn, eta):
        gradIn *= eta / gradIn.shape[0]
        layer.weights -= layer.prevIn.T @ gradIn
        layer.biases -= gradIn.sum(axis=0, keepdims=True)

    layer.updateWeights = update
    gradients = parameter_gradients(layer, G)
    assert np.array_equal(G, kept)
    assert np.allclose(gradients["weights"], X.T @ G / 2)


def test_parameter_gradients_read_the_update_and_undo_it():
    layer = Dense()
    X, G = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -2.0]])
    layer.forward(X)
    own_w, own_b = layer.weights, layer.biases
    before_w, before_b = own_w.copy(), own_b.copy()
    gradients = parameter_gradients(layer, G)
    assert set(gradients) == {"weights", "biases"}
    assert np.allclose(gradients["weights"], X.T @ G / 2)
    assert np.allclose(gradients["biases"], G.mean(axis=0, keepdims=True))
    assert layer.weights is own_w and layer.biases is own_b  # the replaced arrays given back
    assert np.array_equal(own_w, before_w) and np.array_equal(own_b, before_b)


def test_parameter_gradients_of_an_update_in_place_with_eta_only():
    class InPlace:
        def __init__(self):
            self.W = np.ones((2, 2))
            self.dW = np.array([[1.0, 2.0], [3.0, 4.0]])

        def updateWeights(self, eta):
            self.W -= eta * self.dW

    obj = InPlace()
    own = obj.W
    gradients = parameter_gradients(obj, np.zeros((1, 2)))
    assert list(gradients) == ["weights"] and np.array_equal(gradients["weights"], obj.dW)
    assert obj.W is own and np.array_equal(own, np.ones((2, 2)))


def test_parameter_gradients_put_the_values_back_when_the_setter_refuses_the_old_array():
    class Picky(Dense):
        def setWeights(self, w):
            if w is getattr(self, "first", None):
                raise ValueError("not that one again")
            self.weights = w

    layer = Picky()
    layer.first = layer.weights
    layer.forward(np.ones((1, 2)))
    gradients = parameter_gradients(layer, np.ones((1, 3)))
    assert np.array_equal(gradients["weights"], np.ones((2, 3)))
    assert np.array_equal(layer.weights, Picky().weights)


def test_parameter_gradients_given_parameters_and_none_without_an_update():
    layer = Dense()
    layer.forward(np.ones((1, 2)))
    (weights, _) = student_parameters(layer)
    assert list(parameter_gradients(layer, np.ones((1, 3)), [weights])) == ["weights"]
    assert parameter_gradients(type("NoUpdate", (), {"W": np.ones((2, 2))})(), np.ones((1, 2))) is None
    assert parameter_gradients(_with_update(lambda self, eta: None), np.ones((1, 2))) is None
    bad = type("Bad", (), {"W": np.ones((2, 2)), "updateWeights": lambda self: None})()
    assert parameter_gradients(bad, np.ones((1, 2))) is None


# ---------------------------------------------------------------- student.py: dtypes and widths

FLOAT32_NOTE = ("forward returns float32; the checks compare in float64: a central difference (step 1e-6) needs "
                "float64's 16 digits and float32 keeps about 6, so every derivative looks wrong. Compute in float64 "
                "(no astype(np.float32), no dtype=np.float32)")
INT_NOTE = ("forward and gradient() return int64 (integers); the checks compare in float64, and integers cut every "
            "value to a whole number, so derivatives look wrong. Compute in floats (np.zeros(shape), not "
            "np.zeros(shape, dtype=int); no astype(int))")


def test_dtype_notes_name_the_dtype_and_the_methods():
    assert dtype_note("forward", np.zeros(2, np.float32)) == FLOAT32_NOTE
    assert dtype_note("forward", np.dtype(np.float32)) == FLOAT32_NOTE
    assert dtype_note("forward and gradient()", np.zeros(2, np.int64)) == INT_NOTE
    assert dtype_note("backward", np.zeros(2, bool)).startswith("backward returns bool (integers); ")
    assert dtype_note("backward", np.zeros(2, np.uint8)).startswith("backward returns uint8 (integers); ")
    assert dtype_note("forward", np.zeros(2, np.float16)).startswith(
        "forward returns float16; the checks compare in float64: a central difference (step 1e-6) needs float64's "
        "16 digits and float16 keeps about 3,")
    assert dtype_note("forward", np.zeros(2, complex)) == \
        "forward returns an array of dtype complex128; the checks compare float64 arrays"
    for fine in (np.zeros(2), np.zeros(2, np.longdouble), [1, 2], 3, None, np.dtype(float)):
        assert dtype_note("forward", fine) == ""


def test_dtype_notes_collect_each_dtype_once_with_its_methods():
    notes = DtypeNotes()
    assert not notes and notes.sentences() == []
    failure = CheckFailure("numbers", "hint", "input")
    assert notes.explain(failure) is failure
    x32 = np.zeros(2, np.float32)
    assert notes.record("forward", x32) is x32
    assert notes.record("backward", np.zeros(2)) is not None
    pair = (np.zeros(1, np.int64), np.zeros(1))
    assert notes.record("gradient()", pair) is pair
    notes.record("forward", [np.zeros(1, np.int64)])
    notes.record("forward", np.zeros(1, np.float32))
    assert notes
    assert notes.seen == {np.dtype(np.float32): ["forward"], np.dtype(np.int64): ["gradient()", "forward"]}
    assert notes.sentences() == [FLOAT32_NOTE, INT_NOTE.replace("forward and gradient()", "gradient() and forward")]
    explained = notes.explain(CheckFailure("relative error 1e-2", "old hint", "[[1. 2.]]"))
    assert type(explained) is CheckFailure
    assert explained.numbers == "forward returns float32: relative error 1e-2"
    assert explained.hint == FLOAT32_NOTE
    assert explained.failing_input == "[[1. 2.]]"
    assert explained.explained is True


@pytest.mark.parametrize("value, expected", [
    (3, (3, "")),
    (1, (1, "")),
    (1000, (1000, "")),
    (np.int64(5), (5, "")),
    (True, (None, "sizeIn is True, a bool, not a width (a positive integer)")),
    (np.bool_(False), (None, "sizeIn is False, a bool, not a width (a positive integer)")),
    (0, (None, "sizeIn is 0: a width is a positive integer")),
    (-1, (None, "sizeIn is -1: a width is a positive integer")),
    (1001, (None, "sizeIn is 1001: wider than the kit checks (1000; each entry is differenced)")),
    (np.float64(3.0), (3, "sizeIn is 3.0, a float: a width is an integer (int(...)); 3 was used")),
    (1.0, (1, "sizeIn is 1.0, a float: a width is an integer (int(...)); 1 was used")),
    (1000.0, (1000, "sizeIn is 1000.0, a float: a width is an integer (int(...)); 1000 was used")),
    (1001.0, (None, "sizeIn is 1001.0 (float), not a width (a positive integer)")),
    (0.0, (None, "sizeIn is 0.0 (float), not a width (a positive integer)")),
    (2.5, (None, "sizeIn is 2.5 (float), not a width (a positive integer)")),
    ("3", (None, "sizeIn is '3' (str), not a width (a positive integer)")),
    (None, (None, "sizeIn is None (NoneType), not a width (a positive integer)")),
])
def test_as_width(value, expected):
    width, note = as_width(value)
    assert (width, note) == expected
    assert width is None or type(width) is int


def test_as_width_names_what_it_reads():
    assert as_width(0, "n_inputs") == (None, "n_inputs is 0: a width is a positive integer")


# ---------------------------------------------------------------- student.py: kinds of class


class Loss:
    def eval(self, Y, Yhat):
        return np.mean((Y - Yhat) ** 2)

    def gradient(self, Y, Yhat):
        return -2 * (Y - Yhat)


def test_an_objective_is_known_by_eval_and_a_two_argument_gradient_as_class_or_instance():
    assert is_objective(Loss) and is_objective(Loss())
    assert not is_layer(Loss) and not is_layer(Loss())

    class LayerLoss(Loss, Dense):  # an objective that inherits forward and backward too
        pass

    assert is_objective(LayerLoss) and not is_layer(LayerLoss())
    assert not is_objective(type("OneArg", (), {"eval": Loss.eval, "gradient": lambda self, Y: Y}))
    assert not is_objective(type("NoArg", (), {"eval": Loss.eval, "gradient": lambda self: 1}))
    assert not is_objective(type("Defaults", (), {"eval": Loss.eval, "gradient": lambda self, Y, Yhat=None: Y}))
    assert not is_objective(type("NoEval", (), {"gradient": Loss.gradient}))
    assert not is_objective(type("NoGradient", (), {"eval": Loss.eval}))
    assert not is_objective(type("Uncallable", (), {"eval": 1, "gradient": Loss.gradient}))
    assert not is_objective(type("Ufunc", (), {"eval": Loss.eval, "gradient": np.add})())


def test_a_layer_is_known_by_forward_and_backward():
    assert is_layer(Dense) and is_layer(Dense())
    assert not is_objective(Dense())
    assert not is_layer(type("NoBackward", (), {"forward": Dense.forward})())
    assert not is_layer(type("NoForward", (), {"backward": Dense.backward}))
    assert not is_layer(type("Attribute", (), {"forward": 1, "backward": Dense.backward}))


# ---------------------------------------------------------------- student.py: building a class


def _made(signature):
    """A class whose constructor has ``signature`` and keeps its arguments in ``got``."""
    namespace = {}
    exec(f"def __init__(self, {signature}):\n    self.got = dict(locals()); del self.got['self']", namespace)
    return type("Layer", (), {"__init__": namespace["__init__"]})


@pytest.mark.parametrize("name, expected", [
    ("dataIn", "DATA"), ("data", "DATA"), ("X", "DATA"), ("h", "DATA"), ("H", "DATA"), ("features", "DATA"),
    ("X_train", "DATA"), ("dataset", "DATA"), ("matrix", "DATA"), ("Matrix", "DATA"), ("inputs", "DATA"),
    ("training_data", "DATA"), ("myData", "DATA"),
    ("eta", 1.0), ("lr", 1.0), ("learningRate", 1.0), ("learning_rate", 1.0), ("alpha", 1.0), ("step", 1.0),
    ("decay_rate", 1.0), ("Rate", 1.0),
    ("sizeOut", 7), ("output_size", 7), ("n_out", 7),
    ("sizeIn", 5), ("input_size", 5), ("nIn", 5), ("D", 5), ("d", 5), ("size", 5), ("width", 5), ("Width", 5),
    ("dim", 5),
])
def test_build_fills_a_constructor_argument_by_its_name(name, expected):
    data = "DATA"
    made = build(_made(name), width=5, data=data, size_out=7)
    assert made.got == {name: expected}


def test_build_fills_keyword_only_arguments_and_uses_its_defaults():
    made = build(_made("sizeIn, *, sizeOut, eta=0.5, **rest"))
    assert made.got == {"sizeIn": 4, "sizeOut": 3, "eta": 0.5, "rest": {}}
    assert build(_made("*args, sizeIn=2")).got == {"args": (), "sizeIn": 2}


def test_build_names_the_arguments_it_cannot_guess():
    with pytest.raises(TypeError) as err:
        build(_made("sizeIn, dataIn, momentum, *, sizeOut, seed"), size_out=9, caller="check_objective")
    assert str(err.value) == (
        "check_objective: Layer needs constructor arguments the kit cannot guess: momentum, seed (it fills sizeIn-like "
        "names with the width, sizeOut-like names with 9, dataIn-like names with data). Pass a factory: "
        "check_objective(lambda: Layer(4, X, momentum=..., sizeOut=9, seed=...))")
    with pytest.raises(TypeError) as err:
        build(_made("units"))
    assert "sizeOut-like names with 3," in str(err.value)
    assert str(err.value).endswith("Pass a factory: check_layer(lambda: Layer(units=...))")
    with pytest.raises(TypeError) as err:
        build(_made("eta, mode"))
    assert str(err.value).endswith("check_layer(lambda: Layer(1.0, mode=...))")


def test_build_refuses_an_instance_or_a_factory_with_arguments():
    with pytest.raises(TypeError) as err:
        build(Dense())
    assert str(err.value) == ("check_layer: pass the class or a function of no arguments that makes one "
                              "(check_layer(lambda: Dense(...))), not a 'Dense' object: every check needs a fresh one")
    with pytest.raises(TypeError, match=r"^check_objective: .*\(check_objective\(lambda: Loss\(\.\.\.\)\)\), "
                                        r"not a 'Loss' object"):
        build(Loss(), caller="check_objective")
    with pytest.raises(TypeError, match="not a 'int' object"):
        build(3)

    def make_it(sizeIn, *, eta):
        return Dense(sizeIn)

    with pytest.raises(TypeError) as err:
        build(make_it, caller="grade")
    assert str(err.value) == ("grade: the factory make_it asks for sizeIn, eta; pass a function of no arguments: "
                              "grade(lambda: MyLayer(...))")
    made = build(lambda: Dense(3))
    assert made.weights.shape == (3, 3)
    assert isinstance(build(lambda *args, **kw: Dense()), Dense)


def test_image_layers_are_known_by_name_or_constructor():
    for name in ("ConvLayer", "MaxPooling", "flattenLayer", "DECONV"):
        assert looks_like_image_layer(type(name, (), {}))
    assert looks_like_image_layer(_made("in_channels"))
    assert looks_like_image_layer(_made("kernelSize"))
    assert looks_like_image_layer(_made("Stride"))
    assert not looks_like_image_layer(_made("sizeIn, sizeOut"))
    assert not looks_like_image_layer(_made("stride=1"))
    assert not looks_like_image_layer(type("Dense", (), {}))


def test_build_fills_an_image_layers_arguments():
    made = build(_made("in_channels, out_channels, kernel_size, stride, padding"))
    assert made.got == {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 1, "padding": 0}
    pool = type("MaxPoolLayer", (_made("size, stride"),), {})
    assert build(pool).got == {"size": 2, "stride": 2}
    conv = type("Conv", (_made("C, numFilters, k, s, pad, windowSize"),), {})
    assert build(conv).got == {"C": 2, "numFilters": 3, "k": 3, "s": 1, "pad": 0, "windowSize": 2}
    assert build(type("ConvLayer", (_made("strides"),), {})).got == {"strides": 1}
    assert build(type("Pool", (_made("strides, pool_size"),), {})).got == {"strides": 2, "pool_size": 2}
    with pytest.raises(TypeError) as err:
        build(type("ConvLayer", (_made("in_channels, dilation, *, groups"),), {}))
    assert str(err.value) == (
        "check_layer: ConvLayer needs constructor arguments the kit cannot guess: dilation, groups (it fills "
        "in_channels-, out_channels-, kernel_size-, size-, stride- and padding-like names). Pass a factory: "
        "check_layer(lambda: ConvLayer(2, dilation=..., groups=...))")


# ---------------------------------------------------------------- adapter.py


def test_a_wrapped_layer_reads_the_students_interface():
    layer = WrappedLayer(Dense())
    assert layer.parameter_convention == "mean" and layer.parameter_note == ""
    assert layer.n_inputs == 1 and layer.short_name == "dense"
    assert layer.describe() == "Dense"
    assert [p.name for p in layer.parameters()] == ["weights", "biases"]
    assert WrappedLayer(Dense(), "sum").parameter_convention == "sum"
    with pytest.raises(ValueError) as err:
        WrappedLayer(Dense(), "means")
    assert str(err.value) == "wrap: parameter_gradients is 'mean' or 'sum', not 'means'"
    assert wrap(Dense()).parameter_convention == "mean"
    assert WrappedLayer(type("ReLULayer", (Dense,), {"n_inputs": 2.0})()).short_name == "relu"
    assert WrappedLayer(type("ReLULayer", (Dense,), {"n_inputs": 2.0})()).n_inputs == 2


def test_a_wrapped_layer_keeps_the_objects_own_parameters():
    own = (gn.Parameter(np.ones((2, 2)), "W"),)

    class Modern(Dense):
        def parameters(self):
            return list(own)

    layer = WrappedLayer(Modern())
    assert layer.parameters() == own and layer.parameters()[0] is own[0]
    assert layer._student == [] and layer.parameter_note == ""
    no_update = type("Frozen", (Dense,), {"updateWeights": None, "parameters": lambda self: []})()
    assert WrappedLayer(no_update).parameter_note == ""


@pytest.mark.parametrize("update, style", [
    (None, "none"),
    (lambda self: None, "updateWeights() takes no arguments: the kit calls updateWeights(gradIn, eta) or "
                        "updateWeights(eta)"),
])
def test_a_wrapped_layer_without_a_usable_update_exposes_no_parameters(update, style):
    obj = type("Frozen", (Dense,), {"updateWeights": update})()
    layer = WrappedLayer(obj)
    assert layer.parameters() == ()
    assert layer.parameter_note == (f"Frozen has weights but no updateWeights to read their gradients from ({style}): "
                                    "they are not exposed as parameters")


def test_a_wrapped_layer_describes_itself_with_the_objects_describe():
    obj = type("Named", (Dense,), {"describe": lambda self: 42})()
    assert WrappedLayer(obj).describe() == "42"
    assert WrappedLayer(type("Plain", (Dense,), {"describe": "text"})()).describe() == "Plain"


def test_a_wrapped_layer_copies_parameters_both_ways():
    obj = Dense()
    layer = WrappedLayer(obj)
    weights, biases = layer.parameters()
    X = np.array([[1.0, 2.0]])
    weights.value[...] = 2.0  # an optimizer's step: goes to the student's object
    assert np.array_equal(layer.forward(X), X @ np.full((2, 3), 2.0) + obj.biases)
    assert np.array_equal(obj.weights, np.full((2, 3), 2.0)) and obj.weights is not weights.value
    obj.biases = np.array([[1.0, 2.0, 3.0]])  # the student's own change: comes back
    obj.weights = np.zeros((5, 5))            # another shape: left alone
    layer._synchronise()
    assert np.array_equal(biases.value, [[1.0, 2.0, 3.0]])
    assert np.array_equal(weights.value, np.full((2, 3), 2.0))
    assert np.array_equal(layer._pushed[1], [[1.0, 2.0, 3.0]])
    obj.weights = np.full((2, 3), 2.0)
    weights.value[...] = 3.0
    layer.forward(X)
    assert np.array_equal(obj.weights, np.full((2, 3), 3.0))


def test_a_wrapped_layer_passes_the_gradients_updateWeights_would_apply():
    for convention, scale in (("mean", 1.0), ("sum", 0.5)):
        obj = Dense()
        layer = WrappedLayer(obj, convention)
        X, G = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -2.0]])
        out = layer.forward(X)
        assert np.array_equal(out, X @ obj.weights + obj.biases) and layer._prevOut is out
        assert layer._prevIn is X
        back = layer.backward(G)
        assert np.allclose(back, G @ obj.weights.T)
        weights, biases = layer.parameters()
        assert np.allclose(weights.grad, scale * X.T @ G / 2)
        assert np.allclose(biases.grad, scale * G.mean(axis=0, keepdims=True))


class Adder:
    """Two inputs, as a student writes an addition layer."""
    n_inputs = 2

    def forward(self, A, B):
        return A + B

    def gradient(self):
        return None

    def backward(self, gradIn):
        return gradIn, 2 * gradIn


def test_a_wrapped_layer_with_two_inputs_returns_one_gradient_per_input():
    layer = WrappedLayer(Adder())
    A, B = np.ones((2, 3)), np.zeros((2, 3))
    assert np.array_equal(layer.forward(A, B), A)
    assert isinstance(layer._prevIn, list) and layer._prevIn[0] is A and layer._prevIn[1] is B
    G = np.full((2, 3), 2.0)
    back = layer.backward(G)
    assert isinstance(back, tuple) and len(back) == 2
    assert np.array_equal(back[0], G) and np.array_equal(back[1], 2 * G)
    assert layer.gradient() is None


def test_a_wrapped_layer_says_what_backward_returned_wrong():
    wrong_count = WrappedLayer(type("Adder", (Adder,), {"backward": lambda self, g: (g,)})())
    wrong_count.forward(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError) as err:
        wrong_count.backward(np.ones((2, 3)))
    assert str(err.value) == "Adder: backward returned 1 gradients for 2 inputs"
    wrong_shape = WrappedLayer(type("Adder", (Adder,), {"backward": lambda self, g: (g, g[:, :2])})())
    wrong_shape.forward(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError) as err:
        wrong_shape.backward(np.ones((2, 3)))
    assert str(err.value) == ("Adder: backward's result for input 1 is 2 x 2, but the input it is the gradient of was "
                              "2 x 3: backward must return dJ/dInput, shaped like the input")
    transposed = WrappedLayer(type("Flip", (Dense,), {"backward": lambda self, g: (g @ self.weights.T).T})())
    transposed.forward(np.ones((4, 2)))
    with pytest.raises(ValueError) as err:
        transposed.backward(np.ones((4, 3)))
    assert str(err.value) == ("Flip: backward's result is 2 x 4, but the input it is the gradient of was 4 x 2: "
                              "backward must return dJ/dInput, shaped like the input")
    flat = WrappedLayer(type("Flat", (Dense,), {"backward": lambda self, g: np.ones(3)})())
    flat.forward(np.ones((1, 2)))
    with pytest.raises(ValueError) as err:
        flat.backward(np.ones((1, 3)))
    assert str(err.value).startswith("Flat: backward's result must be ")
    rows = WrappedLayer(type("Rows", (Adder,), {"backward": lambda self, g: (g, np.ones(3))})())
    rows.forward(np.ones((1, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="^Rows: backward's result for input 1 must be "):
        rows.backward(np.ones((1, 3)))


def test_a_wrapped_layers_forward_output_is_checked():
    layer = WrappedLayer(type("Flat", (Dense,), {"forward": lambda self, x: np.ones(3)})())
    with pytest.raises(ValueError, match="^Flat: the output of forward must be "):
        layer.forward(np.ones((1, 2)))


@pytest.mark.parametrize("name, stem", [
    ("relu", "relu"), ("ReLU", "relu"), ("sigmoïde", "sigmo_de"), ("3d", "n3d"), ("", "wrapped"), ("___", "wrapped"),
    ("é", "wrapped"), ("_x", "n_x"), ("a b", "a_b"), ("x__", "x__"),
])
def test_node_stem(name, stem):
    assert node_stem(name) == stem


def test_a_wrapped_objective_hands_on_eval_and_gradient():
    objective = WrappedObjective(Loss())
    assert objective.describe() == "Loss" and objective.short_name == "loss"
    assert WrappedObjective(type("3Loss", (Loss,), {})()).short_name == "n3loss"
    Y, Yhat = np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])
    value = objective.eval(Y, Yhat)
    assert type(value) is float and value == 0.25
    assert np.array_equal(objective.gradient(Y, Yhat), [[-1.0, 1.0]])


def test_a_wrapped_objective_says_what_eval_and_gradient_returned_wrong():
    per_row = WrappedObjective(type("PerRow", (Loss,), {"eval": lambda self, Y, Yhat: np.ones((3, 1))})())
    with pytest.raises(ValueError) as err:
        per_row.eval(np.ones((3, 1)), np.ones((3, 1)))
    assert str(err.value) == ("PerRow: eval returned 3 values (shape (3, 1)), not one number: J is the mean of the "
                              "losses over the observations (np.mean of them)")
    text = WrappedObjective(type("Text", (Loss,), {"eval": lambda self, Y, Yhat: "0.5x"})())
    with pytest.raises(ValueError) as err:
        text.eval(1, 1)
    assert str(err.value) == "Text: eval returned '0.5x', not a number"
    boxed = WrappedObjective(type("Boxed", (Loss,), {"eval": lambda self, Y, Yhat: [[2]]})())
    assert boxed.eval(1, 1) == 2.0
    shaped = WrappedObjective(type("Shaped", (Loss,), {"gradient": lambda self, Y, Yhat: (Y - Yhat).T})())
    with pytest.raises(ValueError) as err:
        shaped.gradient(np.ones((3, 2)), np.zeros((3, 2)))
    assert str(err.value) == "Shaped: gradient returned 2 x 3, but Yhat is 3 x 2: it must be dJ/dYhat, shaped like Yhat"
    flat = WrappedObjective(type("Flat", (Loss,), {"gradient": lambda self, Y, Yhat: np.ones(3)})())
    with pytest.raises(ValueError, match="^Flat: the result of gradient must be "):
        flat.gradient(np.ones((3, 1)), np.zeros((3, 1)))


def test_wrap_picks_the_adapter_or_says_what_is_missing():
    native = gn.ReLULayer()
    assert wrap(native) is native
    assert isinstance(wrap(Loss()), WrappedObjective)
    assert isinstance(wrap(Dense()), WrappedLayer)
    assert wrap(Dense(), "sum").parameter_convention == "sum"
    with pytest.raises(TypeError) as err:
        wrap(Dense)
    assert str(err.value) == "wrap: pass an instance (Dense()), not the class Dense"
    with pytest.raises(TypeError) as err:
        wrap(type("Half", (), {"forward": Dense.forward})())
    assert str(err.value) == ("wrap: Half has neither a layer's interface (forward, gradient, backward) nor an "
                              "objective's (eval, gradient(Y, Yhat))")


# ---------------------------------------------------------------- report.py


def _report(strict=False):
    rows = [Check("forward values", True, "max error 1e-12"),
            Check("backward", False, "relative error 2e-01", "is a factor missing?", failing_input="[[1. 2.]]"),
            Check("wrong shapes refused", False, "accepted 3 x 5", advice=True),
            Check("extreme inputs", True, "no warnings", advice=True)]
    return ContractReport("ReLULayer", rows, {"gradient()": "N x D"}, strict, ["sizeIn is 3.0"])


def test_a_report_decides_on_contract_rows_and_lists_advice():
    loose = _report()
    assert not loose.passed and not bool(loose)
    assert loose.failed == ["backward"]
    assert loose.advice == ["wrong shapes refused"]
    strict = _report(strict=True)
    assert strict.failed == ["backward", "wrong shapes refused"]
    assert strict.advice == ["wrong shapes refused"]
    advice_only = ContractReport("X", [Check("a", True, ""), Check("b", False, "", advice=True)])
    assert advice_only.passed and bool(advice_only) and advice_only.failed == []
    assert not ContractReport("X", advice_only.rows, strict=True).passed
    assert advice_only.conventions == {} and advice_only.notes == [] and advice_only.strict is False
    assert loose["backward"] is loose.rows[1]
    with pytest.raises(KeyError) as err:
        loose["gradient"]
    assert err.value.args[0] == ("no check named 'gradient'; checks: forward values, backward, wrong shapes refused, "
                                 "extreme inputs")


def test_a_reports_table():
    assert str(_report()) == "\n".join([
        "ReLULayer: contract checks",
        "  check                 result  numbers",
        "  forward values        ok      max error 1e-12",
        "  backward              FAIL    relative error 2e-01",
        "                                input: [[1. 2.]]",
        "                                hint: is a factor missing?",
        "  wrong shapes refused  advice  accepted 3 x 5",
        "  extreme inputs        ok      no warnings",
        "  convention: gradient(): N x D",
        "  note: sizeIn is 3.0",
        "FAILED 1 of 2 (advice: wrong shapes refused): ReLULayer"])
    strict = str(_report(strict=True)).splitlines()
    assert strict[6] == "  wrong shapes refused  FAIL    accepted 3 x 5"
    assert strict[-1] == "FAILED 2 of 4: ReLULayer"
    passed = ContractReport("Ok", [Check("ab", True, "1"), Check("c", False, "2", advice=True)])
    assert repr(passed) == str(passed)
    assert str(passed).splitlines()[-1] == "PASSED (advice: c): Ok"


def test_a_reports_header_lines_up_with_names_shorter_than_it():
    assert str(ContractReport("Ok", [Check("a", True, "1")])).splitlines() == [
        "Ok: contract checks", "  check  result  numbers", "  a      ok      1", "PASSED: Ok"]


def test_a_report_as_plain_data():
    data = _report().to_dict()
    assert data == {
        "subject": "ReLULayer", "passed": False, "strict": False, "conventions": {"gradient()": "N x D"},
        "notes": ["sizeIn is 3.0"],
        "rows": [
            {"name": "forward values", "passed": True, "numbers": "max error 1e-12", "hint": "", "advice": False,
             "failing_input": ""},
            {"name": "backward", "passed": False, "numbers": "relative error 2e-01", "hint": "is a factor missing?",
             "advice": False, "failing_input": "[[1. 2.]]"},
            {"name": "wrong shapes refused", "passed": False, "numbers": "accepted 3 x 5", "hint": "", "advice": True,
             "failing_input": ""},
            {"name": "extreme inputs", "passed": True, "numbers": "no warnings", "hint": "", "advice": True,
             "failing_input": ""}]}
    assert _report(strict=True).to_dict()["strict"] is True


def test_describe_error():
    assert report.describe_error(ValueError("bad\nsecond line")) == "ValueError: bad"
    assert report.describe_error(KeyError()) == "KeyError"
    assert report.describe_error(SystemExit(3)) == "SystemExit: the code called sys.exit(3)"
    assert report.describe_error(SystemExit("bye")) == "SystemExit: the code called sys.exit('bye')"
    assert report.describe_error(ValueError("x" * 110)) == "ValueError: " + "x" * 110
    assert report.describe_error(ValueError("x" * 111)) == "ValueError: " + "x" * 107 + "..."
    assert report.describe_error(ValueError("\nafter")) == "ValueError"


class Context:
    """What a check receives, with an ``explain`` like the kit's (``DtypeNotes.explain``)."""

    def __init__(self, notes=()):
        self.notes = list(notes)
        self.explained = []

    def explain(self, failure):
        self.explained.append(failure)
        return CheckFailure("explained: " + failure.numbers, "float32", failure.failing_input, True)


def _raise(error):
    def check(context):
        raise error
    return check


def test_run_check_makes_each_outcome_a_row():
    context = Context()
    assert report.run_check("a", lambda c: "all fine", context) == Check("a", True, "all fine")
    assert report.run_check("a", lambda c: "fine", context, advice=True) == Check("a", True, "fine", advice=True)
    failure = CheckFailure("off by 2", "a hint", "[[1.]]")
    assert report.run_check("b", _raise(failure), context) == \
        Check("b", False, "explained: off by 2", "float32", False, "[[1.]]")
    assert context.explained == [failure]
    assert report.run_check("b", _raise(failure), context, advice=True) == \
        Check("b", False, "off by 2", "a hint", True, "[[1.]]")
    done = CheckFailure("named", "its cause", explained=True)
    assert report.run_check("b", _raise(done), context) == Check("b", False, "named", "its cause")
    assert len(context.explained) == 1
    assert report.run_check("b", _raise(failure), object()) == Check("b", False, "off by 2", "a hint", False, "[[1.]]")
    assert report.run_check("c", _raise(ZeroDivisionError("division by zero")), context) == \
        Check("c", False, "raised ZeroDivisionError: division by zero", "", False)
    assert report.run_check("c", _raise(SystemExit(1)), context, advice=True) == \
        Check("c", False, "raised SystemExit: the code called sys.exit(1)",
              "never call sys.exit (or exit()) in a class: it stops whoever uses it", True)


def test_run_check_turns_warnings_into_errors_in_advice_rows_only():
    def overflow(context):
        return f"{float(np.exp(np.array(1000.0)))}"

    assert report.run_check("c", overflow, Context()) == Check("c", True, "inf")
    row = report.run_check("c", overflow, Context(), advice=True)
    assert row == Check("c", False, "raised RuntimeWarning: overflow encountered in exp",
                        "a numpy warning: compute so that nothing overflows or divides by zero (clip, or a stable "
                        "formula)", True)
    assert report.run_check("d", lambda c: f"{np.log(np.array(0.0))}", Context(), advice=True).numbers == \
        "raised RuntimeWarning: divide by zero encountered in log"
    assert report.run_check("u", lambda c: f"{np.exp(np.array(-1000.0))}", Context(), advice=True).passed
    assert report.run_check("i", lambda c: f"{np.sqrt(np.array(-1.0))}", Context(), advice=True).numbers == \
        "raised RuntimeWarning: invalid value encountered in sqrt"
    assert report.run_check("i", lambda c: f"{np.sqrt(np.array(-1.0))}", Context()) == Check("i", True, "nan")
    import warnings

    def warn(context):
        warnings.warn("careful", UserWarning)
        return "warned"

    assert report.run_check("w", warn, Context()) == Check("w", True, "warned")
    assert report.run_check("w", warn, Context(), advice=True).numbers == "raised UserWarning: careful"


class Slow:
    def backward(self, gradIn=None):
        while True:
            pass


loop = lambda context: Slow().backward()  # noqa: E731 -- a check as a lambda, as the kit writes them


def test_run_check_times_out_a_loop():
    row = report.run_check("slow", loop, Context(), seconds=0.05)
    assert row == Check("slow", False, "Slow.backward timed out after 0.05 s", report.TIMEOUT_HINT, False)
    assert report.TIMEOUT_HINT == "an endless loop, or far too slow (a loop over entries numpy could do)"


def test_finish_runs_the_checks_and_stops_after_a_timeout():
    checks = [("first", lambda c: "1"), ("endless", loop), ("after", lambda c: "never"), ("advice", lambda c: "x")]
    found = {"eval": "mean over N"}
    result = report.finish("Slow", checks, Context(["a note"]), conventions=found, advice=("advice",), seconds=0.05)
    assert result.subject == "Slow" and result.conventions is found and result.notes == ["a note"]
    assert result.rows == [
        Check("first", True, "1"),
        Check("endless", False, "Slow.backward timed out after 0.05 s", report.TIMEOUT_HINT),
        Check("after", False, "not run: 'endless' timed out"),
        Check("advice", False, "not run: 'endless' timed out", advice=True)]
    assert result.failed == ["endless", "after"]
    plain = report.finish("Fine", [("a", lambda c: "1"), ("b", _raise(CheckFailure("no"))), ("c", lambda c: "3")],
                          object(), advice=("b",), strict=True)
    assert plain.conventions == {} and plain.notes == [] and plain.strict
    assert [row.passed for row in plain.rows] == [True, False, True] and plain.rows[1].advice
    assert report.finish("Fine", [("a", lambda c: "1")], object(), raise_on_failure=True).passed
    with pytest.raises(AssertionError) as err:
        report.finish("Bad", [("a", _raise(CheckFailure("wrong")))], object(), raise_on_failure=True)
    assert str(err.value).startswith("\nBad: contract checks\n") and str(err.value).endswith("FAILED 1 of 1: Bad")


def test_a_timed_out_build_fails_the_first_check_and_skips_the_others():
    checks = [("forward", None), ("backward", None), ("advice", None)]
    err = limits.CheckTimeout("Slow.__init__ timed out after 5 s")
    result = report.timed_out_report(Dense, checks, ("advice",), err)
    assert result.subject == "Dense" and result.strict is False and result.conventions == {}
    assert result.rows == [
        Check("forward", False, "Slow.__init__ timed out after 5 s (while building the class, before the checks)",
              report.TIMEOUT_HINT, False),
        Check("backward", False, "not run: building the class timed out"),
        Check("advice", False, "not run: building the class timed out", advice=True)]
    first_advice = report.timed_out_report(lambda: 1, [("advice", None)], ("advice",), err, strict=True)
    assert first_advice.subject == "<lambda>" and first_advice.rows[0].advice and first_advice.strict
    assert report.timed_out_report(Dense(), checks, (), err).subject == "Dense"
    with pytest.raises(AssertionError, match="^\nDense: contract checks\n"):
        report.timed_out_report(Dense, checks, (), err, raise_on_failure=True)


# ---------------------------------------------------------------- conventions.py


def test_pinned_conventions_are_validated():
    assert conventions.validate_conventions(None) == {}
    pinned = {"gradient()": "K x D", "eval": "mean over N x K"}
    assert conventions.validate_conventions(pinned) == pinned and conventions.validate_conventions(pinned) is not pinned
    with pytest.raises(ValueError) as err:
        conventions.validate_conventions({"gradients": "N x D"})
    assert str(err.value) == ("conventions: unknown 'gradients'; known: 'gradient()', 'weights', 'parameter "
                              "gradients', 'eval', 'standard deviation'")
    with pytest.raises(ValueError) as err:
        conventions.validate_conventions({"weights": "DxK"})
    assert str(err.value) == "conventions: 'weights' is one of 'D x K', 'K x D', not 'DxK'"
    for what, allowed in conventions.CONVENTIONS.items():
        for convention in allowed:
            assert conventions.validate_conventions([(what, convention)]) == {what: convention}


def test_a_convention_is_noted_or_refused():
    found = {}
    conventions.note_convention(found, {}, "weights", "D x K")
    conventions.note_convention(found, {"weights": "D x K"}, "weights", "D x K", "biases")
    assert found == {"weights": "D x K"}
    with pytest.raises(CheckFailure) as err:
        conventions.note_convention(found, {"eval": "mean over N"}, "eval", "mean over N x K")
    assert err.value.numbers == "eval: the class follows 'mean over N x K'; the teacher asks for 'mean over N'"
    assert err.value.hint == "this course uses eval as 'mean over N'"
    with pytest.raises(CheckFailure) as err:
        conventions.note_convention(found, {"weights": "D x K"}, "weights", "K x D", "biases")
    assert err.value.numbers == "weights: the class follows 'K x D' for biases; the teacher asks for 'D x K'"
    with pytest.raises(CheckFailure) as err:
        conventions.note_convention(found, {}, "weights", "K x D", "biases")
    assert err.value.numbers == "weights: 'K x D' for biases, but 'D x K' elsewhere in the class"
    assert err.value.hint == "follow one convention throughout the class"
    with pytest.raises(CheckFailure) as err:
        conventions.note_convention(found, {}, "weights", "K x D")
    assert err.value.numbers == "weights: 'K x D', but 'D x K' elsewhere in the class"
    assert found == {"weights": "D x K"}
    conventions.note_convention(found, {"weights": "D x K"}, "eval", "mean over N")
    assert found == {"weights": "D x K", "eval": "mean over N"}


# ---------------------------------------------------------------- inputs.py


def test_inputs_away_from_zero():
    make = inputs.away_from_zero_inputs(3, (2, 4, 4))
    a, b = make(np.random.default_rng(0), 5)
    assert a.shape == (5, 3) and b.shape == (5, 2, 4, 4)
    assert np.abs(a).min() >= 0.1 and np.abs(b).min() >= 0.1
    rng = np.random.default_rng(0)
    raw = rng.standard_normal((5, 3))
    assert np.array_equal(a, np.sign(raw) * np.maximum(np.abs(raw), 0.1))
    (wide,) = inputs.away_from_zero_inputs(400, margin=1.0)(np.random.default_rng(1), 2)
    assert np.abs(wide).min() == 1.0 and (wide > 0).any() and (wide < 0).any()
    zero = inputs.away_from_zero_inputs(1, margin=0.5)(type("R", (), {"standard_normal": np.zeros})(), 2)
    assert np.array_equal(zero[0], [[0.5], [0.5]])


def test_input_layer_data_has_columns_of_different_means_and_spreads():
    X = inputs.input_layer_data(3)
    assert X.shape == (20, 3)
    rng = np.random.default_rng(19)
    assert np.array_equal(X, rng.standard_normal((20, 3)) * [0.5, 2.0, 8.0] + [-5.0, 7.5, 20.0])
    assert inputs.input_layer_data(2, n=4, seed=3).shape == (4, 2)
    assert np.array_equal(inputs.input_layer_data(2, n=4, seed=3),
                          np.random.default_rng(3).standard_normal((4, 2)) * [0.5, 8.0] + [-5.0, 20.0])


def test_distribution_pairs():
    Y, Yhat = inputs.distribution_pair(np.random.default_rng(0), 5, 3)
    assert Y.shape == Yhat.shape == (5, 3)
    assert np.allclose(Y.sum(axis=1), 1) and np.allclose(Yhat.sum(axis=1), 1)
    assert set(np.unique(Y[0::2])) == {0.0, 1.0} and (Y[0::2] == 1).sum() == 3
    assert ((Y[1::2] > 0) & (Y[1::2] < 1)).all() and ((Yhat > 0) & (Yhat < 1)).all()
    rng = np.random.default_rng(0)
    hot = rng.integers(0, 3, size=5)
    assert np.array_equal(Y[0::2].argmax(axis=1), hot[0::2])
    Z = rng.standard_normal((2, 3))
    assert np.allclose(Y[1::2], np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True))
    Z = rng.standard_normal((5, 3))
    assert np.allclose(Yhat, np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True))
    big = inputs.distribution_pair(np.random.default_rng(1), 2, 2)[1]
    assert np.isfinite(big).all()
    Y1, Yhat1 = inputs.distribution_pair(np.random.default_rng(2), 50, 1)
    assert np.array_equal(Y1, np.ones((50, 1))) and 0.05 <= Yhat1.min() and Yhat1.max() <= 0.95
    assert np.array_equal(Yhat1, np.random.default_rng(2).uniform(0.05, 0.95, size=(50, 1)))


def test_softmax_is_stable():
    assert np.allclose(inputs._softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])), [[0.5, 0.5], [0.25, 0.75]])


def test_kind_of_and_show_input():
    assert inputs.kind_of(np.zeros((2, 3))) == "an array of shape (2, 3)"
    assert inputs.kind_of([1]) == "a list" and inputs.kind_of(None) == "None"
    assert inputs.show_input(np.arange(6.0).reshape(2, 3)) == "[[0. 1. 2.] [3. 4. 5.]]"
    assert inputs.show_input(np.arange(12.0).reshape(6, 2) / 3) == (
        "[[0.     0.3333] [0.6667 1.    ] [1.3333 1.6667] [2.     2.3333] [2.6667 3.    ] [3.3333 3.6667]]")
    assert inputs.show_input(np.arange(14.0).reshape(7, 2)) == "7 x 2, first row [[0. 1.]]"
    assert inputs.show_input(np.arange(14.0).reshape(7, 2), limit=7).startswith("[[ 0.  1.] [ 2.  3.]")
    assert inputs.show_input(np.arange(12.0).reshape(1, 2, 3, 2)) == \
        "1 x 2 x 3 x 2, first image first channel [[0. 1.] [2. 3.] [4. 5.]]"
    assert inputs.show_input(np.arange(12.0).reshape(2, 3, 2)) == "2 x 3 x 2, first image [[0. 1.] [2. 3.] [4. 5.]]"
    assert inputs.show_input([1e-9, 2.0]) == "[0. 2.]"
    assert inputs.show_input(np.arange(8.0)) == "[0. 1. 2. 3. 4. 5. 6. 7.]"
    # one line of up to 200 characters: no wrapping, no spaces left where it would have wrapped
    assert inputs.show_input(np.arange(30.0)[None]) == "[[" + " ".join(f"{i:2d}." for i in range(30)) + "]]"


def test_numeric_jacobians_difference_each_entry_and_restore_it():
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    original = x.copy()
    calls = []

    def forward(a, b):
        calls.append(1)
        return np.stack([a[:, 0] * a[:, 1], a[:, 0] ** 2, b[:, 0] + a[:, 1]], axis=1)

    b = np.ones((3, 1))
    jac = inputs.numeric_jacobians(forward, (x, b), 0)
    assert jac.shape == (3, 3, 2) and len(calls) == 12
    expected = np.array([[[r[1], r[0]], [2 * r[0], 0.0], [0.0, 1.0]] for r in original])
    assert np.allclose(jac, expected, atol=1e-7)
    assert np.array_equal(x, original)
    jb = inputs.numeric_jacobians(forward, (x, b), 1, eps=1e-3)
    assert np.allclose(jb, np.array([[[0.0], [0.0], [1.0]]] * 3), atol=1e-9)
    images = np.arange(8.0).reshape(2, 1, 2, 2)
    ji = inputs.numeric_jacobians(lambda v: v * 3, (images,), 0)
    assert ji.shape == (2, 4, 4) and np.allclose(ji, 3 * np.eye(4), atol=1e-7)
    # only the row that moved counts: each observation's own Jacobian
    mixing = inputs.numeric_jacobians(lambda v: np.tile(v.sum(axis=0), (len(v), 1)), (np.ones((2, 1)),), 0)
    assert np.allclose(mixing, [[[1.0]], [[1.0]]], atol=1e-7)

    def fails(v):
        raise RuntimeError("student code")

    y = np.ones((1, 1))
    with pytest.raises(RuntimeError):
        inputs.numeric_jacobians(fails, (y,), 0)
    assert np.array_equal(y, np.ones((1, 1)))


def test_as_jacobians_reads_every_form():
    J3 = np.arange(12.0).reshape(2, 2, 3)
    assert inputs.as_jacobians(J3, 2, 2, 3)[1] == "N x K x D" and inputs.as_jacobians(J3, 2, 2, 3)[0] is not None
    diag, form = inputs.as_jacobians([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], 3, 2, 2)
    assert form == "N x D" and np.array_equal(diag[1], [[3.0, 0.0], [0.0, 4.0]]) and diag.shape == (3, 2, 2)
    shared, form = inputs.as_jacobians(np.arange(6.0).reshape(2, 3), 4, 2, 3)
    assert form == "K x D" and shared.shape == (4, 2, 3) and np.array_equal(shared[3], np.arange(6.0).reshape(2, 3))
    square = np.arange(4.0).reshape(2, 2)
    assert inputs.as_jacobians(square, 2, 2, 2)[1] == "N x D"
    assert inputs.as_jacobians(square, 2, 2, 2, shared_first=True)[1] == "K x D"
    assert inputs.as_jacobians(square, 3, 2, 2, shared_first=False)[1] == "K x D"
    assert inputs.as_jacobians(np.ones((2, 3)), 2, 3, 3)[1] == "N x D"


def test_as_jacobians_names_the_allowed_shapes():
    with pytest.raises(CheckFailure) as err:
        inputs.as_jacobians(np.ones((3, 2)), 4, 2, 3)
    assert err.value.numbers == ("gradient() returned an array of shape (3, 2); the assignment allows N x K x D = "
                                 "4 x 2 x 3 or K x D = 2 x 3 (one Jacobian for every row, like W^T)")
    assert err.value.hint == "gradient() is shaped (3, 2), the transpose of (2, 3): is it transposed (W instead of W^T)?"
    with pytest.raises(CheckFailure) as err:
        inputs.as_jacobians(np.ones((2, 2, 2)), 4, 2, 2)
    assert err.value.numbers == ("gradient() returned an array of shape (2, 2, 2); the assignment allows N x D = 4 x 2 "
                                 "(the diagonal of each Jacobian) or N x K x D = 4 x 2 x 2 or K x D = 2 x 2 (one "
                                 "Jacobian for every row, like W^T)")
    assert err.value.hint == ""
    with pytest.raises(CheckFailure, match="^gradient\\(\\) returned a list; "):
        inputs.as_jacobians([1.0], 1, 1, 1)
    with pytest.raises(CheckFailure):
        inputs.as_jacobians(np.ones((4, 3)), 4, 2, 3)  # N x D but K != D


def test_contract_multiplies_by_each_form():
    G = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert np.array_equal(inputs.contract(G, [[1.0, 0.5], [2.0, 1.0]], "N x D"), [[1.0, 1.0], [6.0, 4.0]])
    W = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    assert np.array_equal(inputs.contract(G, W, "K x D"), G @ W)
    J = np.stack([W, 2 * W])
    assert np.array_equal(inputs.contract(G, J, "N x K x D"), np.stack([G[0] @ W, G[1] @ (2 * W)]))


def test_compare_returns_the_error_or_says_where_it_is_worst():
    assert inputs.compare([1.0, 2.0], [1.0, 2.0], 1e-6, "same") == 0.0
    assert inputs.compare([1.0, 2.0 + 1e-9], [1.0, 2.0], 1e-6, "close") == pytest.approx(5e-10)
    assert inputs.compare([0.0, 1e-9], [0.0, 0.0], 1e-6, "floor", floor=1.0) == pytest.approx(1e-9)
    with pytest.raises(CheckFailure) as err:
        inputs.compare([1.0, 2.0], [1.0, 2.0], 0.0, "none")
    with pytest.raises(CheckFailure) as err:
        inputs.compare([[1.0, 4.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]], 1e-6, "N = 2: backward",
                       failing_input="[[1.]]", gradIn=np.ones((2, 2)))
    assert err.value.numbers == "N = 2: backward: relative error 5.00e-01 > 1e-06; worst at [0, 1]: 4 vs 2"
    assert err.value.failing_input == "[[1.]]"
    with pytest.raises(CheckFailure) as err:
        inputs.compare([[2.0, 4.0]], [[1.0, 2.0]], 1e-3, "x", what="gradient()")
    assert err.value.hint == "gradient() is about 2 times the finite differences everywhere: is a factor of the " \
                             "local derivative missing?"
    with pytest.raises(CheckFailure) as err:
        inputs.compare([[1.0, np.nan]], [[1.0, 3.0]], 1e-3, "nan")
    assert err.value.numbers == "nan: relative error nan > 1e-03; worst at [0, 1]: nan vs 3"
    with pytest.raises(CheckFailure) as err:
        inputs.compare(np.ones((2, 3)), np.ones((3, 2)), 1e-3, "shape", failing_input="in", what="gradient()")
    assert err.value.numbers == "shape: shape (2, 3), expected (3, 2)"
    assert err.value.hint == "gradient() is shaped (2, 3), the transpose of (3, 2): is it transposed (W instead of W^T)?"
    assert err.value.failing_input == "in"
    with pytest.raises(CheckFailure) as err:
        inputs.compare([2.0], [1.0], 0.5, "edge")
    assert err.value.numbers.startswith("edge: relative error 5.00e-01 > 5e-01; worst at [0]: 2 vs 1")


# ---------------------------------------------------------------- limits.py


class Looping:
    """A student's layer whose methods loop: ``forward`` forever, ``backward`` through a
    helper of its own, ``stubborn`` swallowing the first timeout as a bare ``except`` does."""

    def forward(self, dataIn=None):
        while True:
            pass

    def backward(self, gradIn=None):
        return self._helper()

    def _helper(self):
        while True:
            pass

    def stubborn(self):
        caught = 0
        while True:
            try:
                while True:
                    pass
            except BaseException:  # noqa: B036 -- as a student's bare except does
                caught += 1
                self.caught = caught
                if caught > 1:
                    raise


def in_thread(function):
    """``function()`` in a thread of its own; returns ``(value, error)``."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as err:  # noqa: handed back
            outcome["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    return outcome.get("value"), outcome.get("error")


def test_no_limit_runs_the_block_as_it_is():
    for seconds in (None, 0):
        with limits.time_limit(seconds):
            time.sleep(0.01)
        assert limits.call_with_time_limit(lambda: 7, seconds) == 7
    assert in_thread(lambda: limits.call_with_time_limit(lambda: 8, 0)) == (8, None)


def test_a_limit_names_the_method_that_was_running():
    with pytest.raises(limits.CheckTimeout) as err:
        limits.call_with_time_limit(lambda: Looping().forward(), 0.05)
    assert str(err.value) == "Looping.forward timed out after 0.05 s"
    with pytest.raises(limits.CheckTimeout) as err:
        limits.call_with_time_limit(lambda: Looping().backward(), 0.1)
    assert str(err.value) == "Looping.backward (in Looping._helper) timed out after 0.1 s"
    with pytest.raises(limits.CheckTimeout) as err:
        with limits.time_limit(0.05):
            Looping().forward()
    assert str(err.value) == "test_a_limit_names_the_method_that_was_running timed out after 0.05 s"  # no owner
    assert limits._message(2, None) == "timed out after 2 s"
    assert limits.call_with_time_limit(lambda: "done", 1.0) == "done"


def test_a_swallowed_timeout_comes_back():
    student = Looping()
    with pytest.raises(limits.CheckTimeout) as err:
        limits.call_with_time_limit(student.stubborn, 0.05)
    assert student.caught == 2
    assert str(err.value) == "Looping.stubborn timed out after 0.05 s"
    student = Looping()
    _, error = in_thread(lambda: limits.call_with_time_limit(student.stubborn, 0.05))
    assert isinstance(error, limits.CheckTimeout) and student.caught == 2


def test_an_inner_limits_message_is_kept():
    with pytest.raises(limits.CheckTimeout) as err:
        with limits.time_limit(5):
            limits.call_with_time_limit(lambda: Looping().forward(), 0.05)
    assert str(err.value) == "Looping.forward timed out after 0.05 s"


def test_an_outer_timer_and_handler_are_put_back():
    import signal

    def outer(signum, frame):
        raise AssertionError("the outer timer fired too early")

    previous = signal.signal(signal.SIGALRM, outer)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        with pytest.raises(limits.CheckTimeout):
            limits.call_with_time_limit(lambda: Looping().forward(), 0.05)
        left, interval = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < left < 30 and interval == 0
        assert signal.getsignal(signal.SIGALRM) is outer
        assert limits.call_with_time_limit(lambda: 3, 0.5) == 3
        assert 25 < signal.getitimer(signal.ITIMER_REAL)[0] < 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    with limits.time_limit(1.0):
        assert signal.getitimer(signal.ITIMER_REAL)[1] == limits.REPEAT
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_outside_the_main_thread_the_same_limits_hold():
    assert limits._usable_signal()
    assert in_thread(limits._usable_signal) == (False, None)
    assert in_thread(lambda: limits.call_with_time_limit(lambda: 5, 1.0)) == (5, None)
    _, error = in_thread(lambda: limits.call_with_time_limit(lambda: Looping().backward(), 0.1))
    assert type(error) is limits.CheckTimeout
    assert str(error) == "Looping.backward (in Looping._helper) timed out after 0.1 s"
    _, error = in_thread(lambda: limits.call_with_time_limit(lambda: {}["missing"], 1.0))
    assert type(error) is KeyError and error.args == ("missing",)
    _, error = in_thread(lambda: limits.call_with_time_limit(lambda: Looping().forward(), 0.05))
    assert str(error) == "Looping.forward timed out after 0.05 s"

    def blocks():
        with limits.time_limit(0.05):
            Looping().forward()

    _, error = in_thread(blocks)
    assert type(error) is limits.CheckTimeout and str(error) == "blocks timed out after 0.05 s"

    def fine():
        with limits.time_limit(0.2):
            return "no exception after the block"

    assert in_thread(lambda: (fine(), time.sleep(0.4))[0]) == ("no exception after the block", None)


def test_outside_the_main_thread_a_call_stuck_in_c_is_left_behind():
    _, error = in_thread(lambda: limits.call_with_time_limit(lambda: time.sleep(1.6), 0.1))
    assert type(error) is limits.CheckTimeout
    assert str(error) == ("timed out after 0.1 s, stuck outside Python code (a long numpy or C call); it is left "
                          "running in the background")


def test_raising_in_a_thread_and_taking_it_back():
    assert limits._raise_in(threading.get_ident(), None) is True


def test_without_cpythons_api_no_exception_is_raised_in_a_thread(monkeypatch):
    """Where ``ctypes.pythonapi`` is missing (an interpreter other than CPython), or lacks
    ``PyThreadState_SetAsyncExc``, ``_raise_in`` says it could not, and raises nothing."""
    import types

    monkeypatch.setattr(limits, "ctypes", types.SimpleNamespace(c_ulong=int, py_object=object))
    assert limits._raise_in(threading.get_ident(), limits.CheckTimeout) is False
    monkeypatch.setattr(limits, "ctypes", types.SimpleNamespace(pythonapi=object(), c_ulong=int, py_object=object))
    assert limits._raise_in(threading.get_ident(), limits.CheckTimeout) is False


# ---------------------------------------------------------------- copies and dtypes


def test_a_check_failures_defaults():
    failure = CheckFailure("numbers")
    assert (failure.numbers, failure.hint, failure.failing_input, failure.explained) == ("numbers", "", "", False)
    assert str(failure) == "numbers"


def test_a_parameter_put_through_the_setter_is_a_float_copy():
    layer = Dense()
    layer.weights = np.zeros((3, 2))
    (weights, _) = student_parameters(layer)
    value = np.ones((2, 3))
    weights.put(value)
    assert layer.weights is not value and np.array_equal(layer.weights, value)
    value[0, 0] = 5.0
    assert layer.weights[0, 0] == 1.0
    layer.weights = np.zeros((2, 3), dtype=int)
    assert weights.get().dtype == np.float64 and weights.raw().dtype == int


def test_update_weights_receives_a_float_copy_of_gradIn():
    got = {}

    class Keeps(Dense):
        def updateWeights(self, gradIn, eta):
            got["gradIn"] = gradIn
            super().updateWeights(gradIn, eta)

    layer = Keeps()
    layer.forward(np.ones((1, 2)))
    G = np.array([[1, 2, 3]])
    gradients = parameter_gradients(layer, G)
    assert got["gradIn"].dtype == np.float64 and got["gradIn"] is not G
    assert np.array_equal(gradients["biases"], [[1.0, 2.0, 3.0]])


def test_jacobians_and_their_contraction_are_floats():
    J, form = inputs.as_jacobians(np.ones((2, 3), dtype=int), 4, 2, 3)
    assert form == "K x D" and J.dtype == np.float64
    J, form = inputs.as_jacobians(np.ones((4, 2, 3), dtype=int), 4, 2, 3)
    assert form == "N x K x D" and J.dtype == np.float64
    G = np.array([[1, 2]])
    assert inputs.contract(G, np.array([[1, 2], [3, 4]]), "K x D").dtype == np.float64
    assert inputs.contract(G, np.array([[1, 2]]), "N x D").dtype == np.float64
    assert inputs.contract(G, np.ones((1, 2, 2), dtype=int), "N x K x D").dtype == np.float64


class Spinning:
    @classmethod
    def spin(cls):
        while True:
            pass

    def deep(self, depth=0):
        if depth < 2:
            return self.deep(depth + 1)
        while True:
            pass


def test_a_classmethod_and_a_recursion_are_named_once():
    with pytest.raises(limits.CheckTimeout) as err:
        limits.call_with_time_limit(lambda: Spinning.spin(), 0.05)
    assert str(err.value) == "Spinning.spin timed out after 0.05 s"
    with pytest.raises(limits.CheckTimeout) as err:
        limits.call_with_time_limit(lambda: Spinning().deep(), 0.05)
    assert str(err.value) == "Spinning.deep timed out after 0.05 s"


def test_an_outer_timer_past_its_time_fires_at_once_after_the_block():
    import signal

    fired = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        assert limits.call_with_time_limit(lambda: time.sleep(0.8) or "slept", 5.0) == "slept"
        assert fired == []  # the block's own timer held it back
        time.sleep(0.3)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_callable_layer_instance_is_refused_asking_for_the_class():
    # a student's layer that defines __call__ (as torch modules do) is callable, yet an instance
    class CallableTanh:
        def forward(self, X):
            return np.tanh(X)

        def __call__(self, X):
            return self.forward(X)

    with pytest.raises(TypeError, match=r"^check_layer: pass the class or a function of no arguments that makes one "
                                        r"\(check_layer\(lambda: CallableTanh\(\.\.\.\)\)\), not a 'CallableTanh' "
                                        r"object"):
        gn.check_layer(CallableTanh())
