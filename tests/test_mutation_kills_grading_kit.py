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
])
def test_update_style_reads_the_signature(function, style):
    assert update_style(_with_update(function)) == style


def test_update_style_without_a_readable_signature_or_method():
    assert update_style(object()) is None
    assert update_style(_with_update(np.add)) == "gradIn, eta"  # a ufunc: no signature


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
