"""A catalogue of bad inputs across the public API (issue 8).

Each row of ``CATALOGUE`` is one mistake a user can make: a callable that makes it, the exact
exception type it must raise, and what the message must say (plain substrings, or compiled
regexes) so that the user can find the culprit: the node, the argument, the shapes, the value.
Every error must also be raised by graphnn itself (the innermost traceback frame is in the
``graphnn`` package), so that no bare numpy or pandas traceback reaches the user.

To add a case, add a row; its id names it in pytest's output
(``pytest tests/test_bad_inputs.py -k logloss``).
"""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Tuple, Union

import numpy as np
import pytest

import graphnn
from graphnn import (
    AddLayer, ConcatLayer, CrossEntropy, FullyConnectedLayer, Graph, GraphError, InputLayer, Layer, LinearLayer,
    LogisticSigmoidLayer, LogLoss, ReLULayer, SoftmaxLayer, SquaredError, TanhLayer,
)
from graphnn.datasets import KIDCREATIVE_COLUMNS, DatasetError, load_kidcreative
from graphnn.grading.gradcheck import gradcheck, numerical_gradient
from graphnn.training.optim import SGD
from graphnn.training.fit import fit
from graphnn.training.persistence import ParameterFileError, load_parameters, save_parameters
from graphnn.views.render import RenderError

PACKAGE = Path(graphnn.__file__).resolve().parent


@dataclass(frozen=True)
class BadInput:
    id: str
    trigger: Callable[["Env"], object]  # makes the mistake
    raises: type                        # the exact exception type expected
    says: Tuple[Union[str, "re.Pattern"], ...]  # substrings / regexes the message must contain


@dataclass
class Env:
    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch


# --- helpers that build the patients ------------------------------------------------------

def ones(*shape):
    return np.ones(shape)


def small_graph(width=3, out=2, dtype=np.float64, fc_name="fc", requires_grad=False):
    """X (N x 3) -> fc (3 -> 2) -> sigmoid -> loss (LogLoss, reading Y)."""
    g = Graph()
    x, y = g.input("X", requires_grad=requires_grad), g.input("Y")
    g.add(FullyConnectedLayer(width, out, seed=0, dtype=dtype), x, name=fc_name)
    g.add(LogisticSigmoidLayer(), fc_name, name="sigmoid")
    g.add(LogLoss(), y, "sigmoid", name="loss")
    return g


def feed(n=4, **changes):
    values = {"X": ones(n, 3), "Y": np.zeros((n, 2))}
    values.update(changes)
    return values


def with_nan(shape, at):
    array = np.ones(shape)
    array[at] = np.nan
    return array


def graph_with_open_slot():
    """X -> a (AddLayer, slot 1 still empty) -> b (Tanh)."""
    g = Graph()
    g.input("X")
    g.add(AddLayer(), "X", name="a")
    g.add(TanhLayer(), "a", name="b")
    return g


class NaNGradientLayer(FullyConnectedLayer):
    """A user-written layer with a bug: its weights' gradient gets a NaN, its input's none."""

    def backward_parameters(self, gradIn):
        super().backward_parameters(gradIn)
        self.weights.grad[0, 0] = np.nan


def small_graph_with(fc):
    """``small_graph``'s shape with ``fc`` as its layer 'fc'."""
    g = Graph()
    g.add(fc, g.input("X"), name="fc")
    g.add(LogisticSigmoidLayer(), "fc", name="sigmoid")
    g.add(LogLoss(), g.input("Y"), "sigmoid", name="loss")
    return g


def swapped_objective(by_connect=False):
    """``small_graph`` with LogLoss reading (prediction, target), PyTorch's order."""
    g = Graph()
    g.add(FullyConnectedLayer(3, 2, seed=0), g.input("X"), name="fc")
    g.add(LogisticSigmoidLayer(), "fc", name="sigmoid")
    if by_connect:  # filled slot by slot: caught when the plan is made
        g.add(LogLoss(), name="loss")
        g.connect("sigmoid", "loss", 0)
        g.connect(g.input("Y"), "loss", 1)
    else:
        g.add(LogLoss(), "sigmoid", g.input("Y"), name="loss")
    return g


def backward_after_the_other_graphs_forward():
    """Layer 'fc' of one graph is 'dense' of another, which runs forward in between."""
    g = small_graph()
    other = Graph()
    other.add(g.op("fc"), other.input("X"), name="dense")
    g.forward(**feed())
    other.forward(X=2 * ones(4, 3))
    g.backward()


def forward_after(build, **feed_values):
    g = build()
    return g.forward(**feed_values)


def connect(g, *args):
    g.connect(*args)
    return g


def set_nan_weight(g):
    # setWeights refuses NaN (see 'set-weights-nan'): a weight can still turn NaN in place,
    # as a diverging optimizer would make it, and check_finite is what catches that.
    g.op("fc").getWeights()[1, 0] = np.nan
    return g


def set_nan_weight_by_setter(g):
    weights = g.op("fc").getWeights().copy()
    weights[1, 0] = np.nan
    g.op("fc").setWeights(weights)


def kidcreative_file(env, lines):
    path = env.tmp_path / "KidCreative.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


HEADER = ",".join(KIDCREATIVE_COLUMNS)
ROW = "1,0,24000,1,0,1,1,0,0,26,0,0,0,1,0,0,0,0"


def saved(env, graph, name="params.npz"):
    path = env.tmp_path / name
    save_parameters(graph, path)
    return path


def without_dot(env):
    empty = env.tmp_path / "empty-bin"
    empty.mkdir()
    env.monkeypatch.setenv("PATH", str(empty))


def render_svg_without_dot(env):
    without_dot(env)
    g = small_graph()
    g.forward(**feed())
    return g.render(env.tmp_path / "model.svg")


def hugely_claimed_npz(env):
    """A parameter file for small_graph() whose weights header claims 3e11 x 2 entries."""
    import io
    import zipfile

    def member(array, shape_text=None):
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array)
        raw = buffer.getvalue()
        return raw if shape_text is None else raw.replace(b"(3, 2)", shape_text)

    path = env.tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fc/weights.npy", member(np.zeros((3, 2)), b"(300000000000, 2)"))
        archive.writestr("fc/biases.npy", member(np.zeros((1, 2))))
    return path


def nan_weights_npz(env):
    path = env.tmp_path / "nan.npz"
    weights = np.zeros((3, 2))
    weights[2, 1] = np.nan
    np.savez(path, **{"fc/weights": weights, "fc/biases": np.zeros((1, 2))})
    return path


def diverging_fit(env):
    """Linear regression by SGD with a step far too large for its data: the loss grows by
    ~1e17 per epoch and overflows within 25 epochs."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1000, (20, 3))
    Y = X @ np.array([[1.0], [2.0], [3.0]])
    g = Graph.sequential(FullyConnectedLayer(3, 1, seed=0), objective=SquaredError())
    return fit(g, X, Y, epochs=100, optimizer=SGD(g.parameters(), lr=0.1), progress=False)


class NotALayer:
    def forward(self, X):
        return X


# --- the catalogue ------------------------------------------------------------------------

CATALOGUE = [
    # ---------------------------------------------------------------- layers: shapes
    BadInput("layer-1d-input",
             lambda env: FullyConnectedLayer(3, 2).forward(np.ones(3)),
             ValueError, ("FullyConnectedLayer 3->2: input must be a 2-D", "1-D shape (3,)", "reshape(1, -1)")),
    BadInput("layer-3d-input",
             lambda env: SoftmaxLayer().forward(ones(2, 3, 4)),
             ValueError, ("SoftmaxLayer", "2-D", "3-D shape (2, 3, 4)")),
    BadInput("elementwise-layer-1d-input",  # takes any rank from 2 on (N x C x H x W images)
             lambda env: TanhLayer().forward(np.ones(3)),
             ValueError, ("TanhLayer: input must be a 2-D", "higher rank with the batch first",
                          "1-D shape (3,)", "reshape(1, -1)")),
    BadInput("layer-scalar-input",
             lambda env: SoftmaxLayer().forward(5.0),
             ValueError, ("SoftmaxLayer", "0-D shape ()")),
    BadInput("layer-no-observations",
             lambda env: ReLULayer().forward(np.zeros((0, 3))),
             ValueError, ("ReLULayer", "no observations", "0 x 3")),
    BadInput("layer-ragged-rows",
             lambda env: ReLULayer().forward([[1.0, 2.0], [3.0]]),
             ValueError, ("ReLULayer", "could not be read as an array")),
    BadInput("layer-text-input",
             lambda env: LogisticSigmoidLayer().forward(np.array([["a", "b"]])),
             ValueError, ("LogisticSigmoidLayer", "must be numeric", "<U1")),
    BadInput("fc-wrong-width",
             lambda env: FullyConnectedLayer(3, 2).forward(ones(4, 5)),
             ValueError, ("FullyConnectedLayer 3->2", "3 columns", "4 x 5")),
    BadInput("fc-set-weights-wrong-shape",
             lambda env: FullyConnectedLayer(3, 2).setWeights(ones(2, 3)),
             ValueError, ("FullyConnectedLayer 3->2: weights must be 3 x 2, got 2 x 3",)),
    BadInput("fc-set-biases-1d",
             lambda env: FullyConnectedLayer(3, 2).setBiases(np.zeros(2)),
             ValueError, ("FullyConnectedLayer 3->2: biases must be a 2-D", "1-D shape (2,)")),
    BadInput("fc-size-zero",
             lambda env: FullyConnectedLayer(0, 2),
             ValueError, ("FullyConnectedLayer: sizeIn must be a positive integer, got 0",)),
    BadInput("fc-size-not-integer",
             lambda env: FullyConnectedLayer(3, 2.5),
             ValueError, ("FullyConnectedLayer: sizeOut must be a positive integer, got 2.5",)),
    BadInput("fc-integer-dtype",
             lambda env: FullyConnectedLayer(3, 2, dtype=np.int64),
             ValueError, ("FullyConnectedLayer", "dtype", "floating", "int64")),
    BadInput("fc-rng-an-integer",
             lambda env: FullyConnectedLayer(3, 2, rng=3),
             ValueError, ("FullyConnectedLayer", "rng must be a numpy Generator", "got 3", "seed=3")),
    BadInput("fc-rng-a-string",
             lambda env: FullyConnectedLayer(3, 2, rng="x"),
             ValueError, (re.compile(r"^FullyConnectedLayer: rng must be a numpy Generator "
                                     r"\(np\.random\.default_rng\(\.\.\.\)\), got 'x'$"),)),
    BadInput("fc-seed-a-string",
             lambda env: FullyConnectedLayer(3, 2, seed="abc"),
             ValueError, ("FullyConnectedLayer: seed must be an integer >= 0, got 'abc'",)),
    BadInput("fc-seed-negative",
             lambda env: FullyConnectedLayer(3, 2, seed=-1),
             ValueError, ("FullyConnectedLayer", "seed must be an integer >= 0", "got -1")),
    BadInput("fc-seed-and-rng",
             lambda env: FullyConnectedLayer(3, 2, seed=1, rng=np.random.default_rng(1)),
             ValueError, (re.compile(r"^FullyConnectedLayer: give either seed or rng, not both$"),)),
    BadInput("backward-before-forward",
             lambda env: TanhLayer().backward(ones(2, 3)),
             ValueError, ("TanhLayer", "backward called before forward")),
    BadInput("gradient-before-forward",
             lambda env: SoftmaxLayer().gradient(),
             ValueError, ("SoftmaxLayer", "gradient called before forward")),
    BadInput("backward-wrong-shape",
             lambda env: (lambda layer: (layer.forward(ones(4, 3)), layer.backward(ones(4, 2))))(
                 LogisticSigmoidLayer()),
             ValueError, ("LogisticSigmoidLayer: gradIn (shaped like the output) must be 4 x 3, got 4 x 2",)),
    BadInput("backward-1d-gradin",
             lambda env: (lambda layer: (layer.forward(ones(1, 2)), layer.backward([1.0, 2.0])))(TanhLayer()),
             ValueError, ("TanhLayer: gradIn must be a 2-D", "1-D shape (2,)")),
    BadInput("add-mismatched-shapes",
             lambda env: AddLayer().forward(ones(2, 3), ones(2, 4)),
             ValueError, ("AddLayer 2 inputs", "input 1", "2 x 3", "got 2 x 4")),
    BadInput("add-wrong-number-of-inputs",
             lambda env: AddLayer().forward(ones(2, 3)),
             ValueError, ("AddLayer 2 inputs", "takes 2 arrays, got 1")),
    BadInput("add-one-input",
             lambda env: AddLayer(1),
             ValueError, ("AddLayer: n_inputs must be an integer >= 2, got 1",)),
    BadInput("add-n-inputs-a-float",
             lambda env: AddLayer(3.0),
             ValueError, ("AddLayer", "n_inputs", ">= 2", "got 3.0")),
    BadInput("concat-one-input",
             lambda env: ConcatLayer(1),
             ValueError, ("ConcatLayer: n_inputs must be an integer >= 2, got 1",)),
    BadInput("concat-n-inputs-a-float",
             lambda env: ConcatLayer(2.5),
             ValueError, ("ConcatLayer", "n_inputs", ">= 2", "got 2.5")),
    BadInput("softmax-no-columns",
             lambda env: SoftmaxLayer().forward(np.zeros((3, 0))),
             ValueError, ("SoftmaxLayer: input 3 x 0 has no columns; the softmax of a row needs at least one entry",)),
    BadInput("add-second-input-1d",
             lambda env: AddLayer().forward(ones(2, 3), np.ones(3)),
             ValueError, ("AddLayer 2 inputs: input 1 must be a 2-D", "1-D shape (3,)")),
    BadInput("concat-second-input-1d",
             lambda env: ConcatLayer().forward(ones(2, 3), np.ones(3)),
             ValueError, ("ConcatLayer 2 inputs: input 1 must be a 2-D", "1-D shape (3,)")),
    BadInput("concat-wrong-number-of-inputs",
             lambda env: ConcatLayer().forward(ones(2, 3)),
             ValueError, ("ConcatLayer 2 inputs: forward takes 2 arrays, got 1",)),
    BadInput("input-layer-1d-data",
             lambda env: InputLayer(np.ones(3)),
             ValueError, ("InputLayer: dataIn must be a 2-D", "1-D shape (3,)")),
    BadInput("concat-row-mismatch",
             lambda env: ConcatLayer().forward(ones(2, 1), ones(3, 2)),
             ValueError, ("ConcatLayer 2 inputs", "same number of rows", "2 x 1, 3 x 2")),
    # ---------------------------------------------------------------- layers: NaN and inf
    BadInput("input-layer-nan-in-data",
             lambda env: InputLayer(with_nan((5, 3), (1, 2))),
             ValueError, ("InputLayer: dataIn (5 x 3) holds 1 NaN or inf", "row 1, column 2")),
    BadInput("input-layer-inf-at-forward",
             lambda env: InputLayer(np.arange(12.0).reshape(4, 3)).forward(
                 np.array([[0.0, np.inf, 1.0], [2.0, 3.0, -np.inf]])),
             ValueError, ("InputLayer 3", "2 x 3", "2 NaN or inf", "row 0, column 1", "(inf)")),
    BadInput("input-layer-wrong-width",
             lambda env: InputLayer(ones(4, 3)).forward(ones(2, 4)),
             ValueError, ("InputLayer 3", "3 columns", "2 x 4")),
    # ---------------------------------------------------------------- objectives
    BadInput("objective-shape-mismatch",
             lambda env: SquaredError().eval(ones(3, 1), ones(3, 2)),
             ValueError, ("SquaredError", "Yhat", "Y (targets)", "Y 3 x 1", "Yhat 3 x 2")),
    BadInput("objective-1d-targets",
             lambda env: SquaredError().gradient(np.zeros(3), ones(3, 1)),
             ValueError, ("SquaredError", "Y (targets)", "1-D shape (3,)", "y.reshape(-1, 1)")),
    BadInput("objective-1d-estimates",
             lambda env: SquaredError().eval(ones(3, 1), np.ones(3)),
             ValueError, ("SquaredError: Yhat (estimates) must be a 2-D", "1-D shape (3,)")),
    BadInput("logloss-label-above-1-beside-a-1",
             lambda env: LogLoss().eval(np.array([[1.0, 2.0]]), np.full((1, 2), 0.5)),
             ValueError, ("LogLoss: Y (targets) must lie in [0, 1]; 1 entries do not, the first at row 0, "
                          "column 1 (2.0)",)),
    BadInput("logloss-label-above-1",
             lambda env: LogLoss().eval(np.array([[0.0], [2.0]]), np.full((2, 1), 0.5)),
             ValueError, ("LogLoss: Y (targets) must lie in [0, 1]", "1 entries", "row 1, column 0",
                          "(2.0)")),
    BadInput("logloss-negative-label",
             lambda env: LogLoss().gradient(np.array([[0.0, -1.0]]), np.full((1, 2), 0.5)),
             ValueError, ("LogLoss", "Y (targets)", "[0, 1]", "row 0, column 1", "(-1.0)")),
    BadInput("logloss-nan-label",
             lambda env: LogLoss().eval(np.array([[np.nan]]), np.full((1, 1), 0.5)),
             ValueError, ("LogLoss", "Y (targets)", "row 0, column 0", "(nan)")),
    BadInput("logloss-estimate-outside-0-1",
             lambda env: LogLoss().eval(np.zeros((2, 1)), np.array([[0.5], [1.5]])),
             ValueError, ("LogLoss: Yhat (estimates) must lie in [0, 1]", "row 1, column 0", "(1.5)")),
    BadInput("crossentropy-row-not-a-distribution",
             lambda env: CrossEntropy().eval(np.array([[1.0, 0.0], [0.5, 0.0]]), np.full((2, 2), 0.5)),
             ValueError, ("CrossEntropy", "distribution summing to 1", "1 rows", "row 1",
                          "sum 0.5")),
    BadInput("crossentropy-targets-outside-0-1",
             lambda env: CrossEntropy().gradient(np.array([[1.5, -0.5]]), np.full((1, 2), 0.5)),
             ValueError, ("CrossEntropy: Y (targets) must lie in [0, 1]", "row 0, column 0", "(1.5)")),
    BadInput("logloss-no-columns",
             lambda env: LogLoss().eval(np.zeros((3, 0)), np.zeros((3, 0))),
             ValueError, ("LogLoss", "Y (targets) and Yhat (estimates) are 3 x 0", "without columns")),
    BadInput("crossentropy-no-columns",
             lambda env: CrossEntropy().gradient(np.zeros((2, 0)), np.zeros((2, 0))),
             ValueError, ("CrossEntropy", "2 x 0", "without columns")),
    BadInput("squarederror-no-columns",
             lambda env: SquaredError().eval(np.zeros((2, 0)), np.zeros((2, 0))),
             ValueError, ("SquaredError: Y (targets) and Yhat (estimates) are 2 x 0, without columns; a loss "
                         "needs at least one output per observation",)),
    BadInput("squarederror-nan-estimate",
             lambda env: SquaredError().eval(np.zeros((3, 2)), with_nan((3, 2), (2, 1))),
             ValueError, ("SquaredError: Yhat (estimates) (3 x 2) holds 1 NaN or inf", "row 2, column 1")),
    BadInput("squarederror-inf-target-in-gradient",
             lambda env: SquaredError().gradient(np.array([[0.0, -np.inf]]), np.zeros((1, 2))),
             ValueError, ("SquaredError: Y (targets) (1 x 2) holds", "row 0, column 1", "(-inf)")),
    BadInput("crossentropy-inf-estimate",
             lambda env: CrossEntropy().eval(np.array([[1.0, 0.0]]), np.array([[np.inf, 0.5]])),
             ValueError, ("CrossEntropy: Yhat (estimates) must lie in [0, 1]", "row 0, column 0", "(inf)")),
    # ---------------------------------------------------------------- building a graph
    BadInput("graph-unknown-input-node",
             lambda env: small_graph().add(TanhLayer(), "hidden"),
             GraphError, ("reads 'hidden'", "not in the graph", "'X'", "'fc'")),
    BadInput("graph-duplicate-node-name",
             lambda env: small_graph().add(TanhLayer(), "X", name="fc"),
             GraphError, ("node name 'fc' is already used",)),
    BadInput("graph-invalid-node-name",
             lambda env: Graph().input("1st input"),
             GraphError, ("node name '1st input'", "letters, digits")),
    BadInput("graph-reserved-input-name",
             lambda env: Graph().input("feed"),
             GraphError, ("'feed'", "reserved")),
    BadInput("graph-too-many-inputs",
             lambda env: small_graph().add(TanhLayer(), "X", "fc", name="t"),
             GraphError, ("node 't'", "TanhLayer", "takes 1 input(s), got 2", "'X', 'fc'")),
    BadInput("graph-layer-used-twice",
             lambda env: (lambda g: g.add(g.op("fc"), "X", name="fc_again"))(small_graph()),
             GraphError, ("FullyConnectedLayer 3->2", "already node 'fc'")),
    BadInput("graph-not-a-layer",
             lambda env: small_graph().add(NotALayer(), "X"),
             GraphError, ("takes a Layer or an Objective", "NotALayer")),
    BadInput("graph-reads-an-objective",
             lambda env: small_graph().add(TanhLayer(), "loss", name="t"),
             GraphError, ("node 't'", "reads objective 'loss'")),
    BadInput("graph-cycle",
             lambda env: connect(graph_with_open_slot(), "b", "a", 1),
             GraphError, ("'b' -> 'a'", "cycle", "a -> b -> a")),
    BadInput("graph-self-loop",
             lambda env: connect(graph_with_open_slot(), "a", "a", 1),
             GraphError, ("'a' -> 'a'", "cycle")),
    BadInput("graph-slot-filled-twice",
             lambda env: connect(small_graph(), "X", "sigmoid", 0),
             GraphError, ("slot 0 of node 'sigmoid'", "already filled by 'fc'")),
    BadInput("graph-slot-out-of-range",
             lambda env: connect(graph_with_open_slot(), "X", "a", 2),
             GraphError, ("node 'a'", "slots 0..1", "got slot 2")),
    BadInput("graph-dangling-input-slot",
             lambda env: forward_after(graph_with_open_slot, X=ones(2, 3)),
             GraphError, ("node 'a'", "AddLayer 2 inputs", "slot(s) 1 left empty")),
    BadInput("graph-weight-on-a-layer",
             lambda env: Graph().add(TanhLayer(), weight=2.0, name="t"),
             GraphError, ("node 't'", "only objectives take a weight")),
    BadInput("graph-infinite-objective-weight",
             lambda env: Graph().add(SquaredError(), weight=np.inf, name="se"),
             GraphError, ("node 'se'", "weight must be finite", "inf")),
    BadInput("graph-objective-weight-a-string",
             lambda env: Graph().add(SquaredError(), weight="0.5", name="se"),
             GraphError, ("node 'se'", "weight must be a number", "str '0.5'")),
    BadInput("graph-objective-weight-none",
             lambda env: Graph().add(SquaredError(), weight=None, name="se"),
             GraphError, ("node 'se'", "weight must be a number", "NoneType None")),
    BadInput("graph-objective-weight-an-array",
             lambda env: Graph().add(SquaredError(), weight=np.array([0.5, 0.5]), name="se"),
             GraphError, ("node 'se'", "weight must be a number", "ndarray")),
    BadInput("graph-a-layer-class-not-an-instance",
             lambda env: (lambda g: g.add(ReLULayer, g.input("X")))(Graph()),
             GraphError, ("got the class ReLULayer", "pass an instance, ReLULayer()")),
    BadInput("graph-a-class-needing-arguments",
             lambda env: Graph.sequential(FullyConnectedLayer, objective=LogLoss()),
             GraphError, ("got the class FullyConnectedLayer", "pass an instance, FullyConnectedLayer(...)")),
    BadInput("graph-an-objective-class-not-an-instance",
             lambda env: Graph.sequential(LinearLayer(), objective=SquaredError),
             GraphError, ("got the class SquaredError", "pass an instance, SquaredError()")),
    BadInput("graph-objective-slots-swapped",
             lambda env: swapped_objective(),
             GraphError, ("node 'loss' (LogLoss)", "slots look swapped", "target (slot 0) 'sigmoid'",
                          "trainable layer(s) 'fc'", "estimate (slot 1) 'Y' is a fed input",
                          "g.add(LogLoss(), 'Y', 'sigmoid')", "PyTorch")),
    BadInput("graph-objective-slots-swapped-by-connect",
             lambda env: swapped_objective(by_connect=True).forward(**feed()),
             GraphError, ("node 'loss' (LogLoss)", "slots look swapped", "g.add(LogLoss(), 'Y', 'sigmoid')")),
    # ---------------------------------------------------------------- feeding a graph
    BadInput("feed-missing-input",
             lambda env: small_graph().forward(X=ones(4, 3)),
             GraphError, ("no value fed for input 'Y'", "['X', 'Y']")),
    BadInput("feed-unknown-name",
             lambda env: small_graph().forward(**feed(), Z=ones(4, 3)),
             GraphError, ("'Z' is not an input", "['X', 'Y']")),
    BadInput("feed-targets-to-a-graph-without-objective",
             lambda env: Graph.sequential(FullyConnectedLayer(3, 2)).forward(**feed()),
             GraphError, ("'Y' is not an input", "['X']", "no objective",
                          "Graph.sequential(..., objective=LogLoss())", "g.add(LogLoss(), g.input('Y'), 'fc1')")),
    BadInput("feed-wrong-width",
             lambda env: small_graph().forward(**feed(X=ones(4, 5))),
             GraphError, ("node 'fc'", "FullyConnectedLayer 3->2", "X 4 x 5", "3 columns")),
    BadInput("feed-rows-disagree",
             lambda env: small_graph().forward(**feed(Y=np.zeros((3, 2)))),
             GraphError, ("node 'loss'", "LogLoss", "Y 3 x 2", "sigmoid 4 x 2")),
    BadInput("feed-1d-vector",
             lambda env: small_graph().forward(**feed(X=np.ones(3))),
             ValueError, ("input 'X'", "1-D shape (3,)", "reshape(1, -1)")),
    BadInput("feed-labels-outside-0-1",
             lambda env: small_graph().forward(**feed(Y=np.full((4, 2), 2.0))),
             GraphError, ("node 'loss'", "LogLoss", "Y (targets)", "[0, 1]", "8 entries")),
    BadInput("feed-nan-with-check-finite",
             lambda env: small_graph().forward(**feed(X=with_nan((4, 3), (2, 1))), check_finite=True),
             FloatingPointError, ("node 'X'", "input", "4 x 3", "1 NaN or inf entries of 12")),
    BadInput("set-weights-nan",
             lambda env: set_nan_weight_by_setter(small_graph()),
             ValueError, ("FullyConnectedLayer 3->2", "weights", "3 x 2", "NaN or inf")),
    BadInput("nan-weight-with-check-finite",
             lambda env: set_nan_weight(small_graph()).forward(**feed(), check_finite=True),
             FloatingPointError, ("node 'fc'", "FullyConnectedLayer 3->2", "output 4 x 2",
                                  "4 NaN or inf entries of 8")),
    # ---------------------------------------------------------------- training
    BadInput("fit-nan-in-X",
             lambda env: fit(small_graph(), with_nan((4, 3), (2, 1)), np.zeros((4, 2)), epochs=1),
             ValueError, ("fit", "input 'X'", "4 x 3", "1 NaN or inf", "row 2, column 1")),
    BadInput("fit-inf-in-validation-targets",
             lambda env: fit(small_graph(), ones(4, 3), np.zeros((4, 2)), epochs=1,
                             validation_data=(ones(2, 3), np.array([[0.0, np.inf], [0.0, 1.0]]))),
             ValueError, ("fit (validation_data)", "input 'Y'", "row 0, column 1", "(inf)")),
    BadInput("fit-diverging",
             diverging_fit,
             FloatingPointError, (re.compile(r"diverged at epoch \d+ \(minibatch 1 of 1\)"),
                                  "node 'squarederror1' (SquaredError): value is inf",
                                  re.compile(r"weights of epoch \d+ \(the last finite ones\) were restored"),
                                  "lower the learning rate")),
    # ---------------------------------------------------------------- using a graph
    BadInput("graph-backward-before-forward",
             lambda env: small_graph().backward(),
             GraphError, ("backward", "call forward first")),
    BadInput("graph-backward-without-objective",
             lambda env: (lambda g: (g.forward(X=ones(2, 3)), g.backward()))(
                 Graph.sequential(FullyConnectedLayer(3, 1))),
             GraphError, ("backward", "no objective", "forward returned None",
                          "g.add(LogLoss(), g.input('Y'), 'fc1')", "objective=LogLoss()")),
    BadInput("graph-backward-after-another-graph-ran-a-shared-layer",
             lambda env: backward_after_the_other_graphs_forward(),
             GraphError, ("backward", "layer 'fc' (FullyConnectedLayer 3->2)", "node 'dense' of another graph",
                          "forward pass ran after this graph's", "wrong gradients", "Run this graph's forward again")),
    BadInput("nan-parameter-gradient-with-check-finite",
             lambda env: (lambda g: (g.forward(**feed()), g.backward(check_finite=True)))(
                 small_graph_with(NaNGradientLayer(3, 2, seed=0))),
             FloatingPointError, ("node 'fc'", "FullyConnectedLayer 3->2", "gradient of parameter 'weights'", "3 x 2",
                                  "1 NaN or inf entries of 6")),
    BadInput("graph-gradient-before-backward",
             lambda env: (lambda g: (g.forward(**feed()), g.grad("fc")))(small_graph()),
             GraphError, ("'fc'", "call forward, then backward")),
    BadInput("graph-value-of-unknown-node",
             lambda env: small_graph().value("fc2"),
             GraphError, ("unknown node 'fc2'", "'fc'", "'sigmoid'")),
    BadInput("graph-gradient-of-a-constant-input",
             lambda env: (lambda g: (g.forward(**feed()), g.backward(), g.grad("X")))(small_graph()),
             GraphError, ("input 'X' is a constant", "g.input('X', requires_grad=True)",
                          "g.set_requires_grad('X')")),
    BadInput("graph-gradient-out-of-a-layer-reading-a-constant",
             lambda env: (lambda g: (g.forward(**feed()), g.backward(), g.grad_out("fc")))(small_graph()),
             GraphError, ("gradient out of node 'fc' was not computed", "'X'", "requires_grad=True")),
    BadInput("graph-set-requires-grad-on-a-layer",
             lambda env: small_graph().set_requires_grad("fc"),
             GraphError, ("set_requires_grad", "node 'fc' is not an input", "['X', 'Y']")),
    BadInput("graph-missing-edge",
             lambda env: (lambda g: (g.forward(**feed()), g.backward(), g.edge_grad("X", "loss")))(
                 small_graph()),
             GraphError, ("no edge 'X' -> 'loss'", "slot 0")),
    BadInput("graph-missing-slot-of-an-existing-edge",
             lambda env: (lambda g: (g.forward(**feed()), g.backward(), g.edge_grad("fc", "sigmoid", 1)))(
                 small_graph()),
             GraphError, ("no edge 'fc' -> 'sigmoid' into slot 1",)),
    BadInput("graph-edge-gradient-into-a-target",
             lambda env: (lambda g: (g.forward(**feed()), g.backward(), g.edge_grad("Y", "loss")))(small_graph()),
             GraphError, ("no gradient flows along edge 'Y' -> 'loss' (slot 0)", "its target, a constant",
                          "'sigmoid' (slot 1)")),
    BadInput("graph-edge-gradient-from-a-constant-input",
             lambda env: (lambda g: (g.forward(**feed()), g.backward(), g.edge_grad("X", "fc")))(small_graph()),
             GraphError, ("edge 'X' -> 'fc' (slot 0)", "input 'X' is a constant",
                          "g.input('X', requires_grad=True)")),
    BadInput("gradcheck-float32-parameters",
             lambda env: gradcheck(small_graph(dtype=np.float32), feed()),
             ValueError, ("gradcheck: parameter 'weights' is float32; finite differences need float64 (build the "
                         "layers with dtype=np.float64)",)),
    BadInput("numerical-gradient-float32",
             lambda env: numerical_gradient(lambda: 0.0, np.ones((2, 2), np.float32)),
             ValueError, ("numerical_gradient", "float64", "float32")),
    # ---------------------------------------------------------------- the data loader
    BadInput("loader-missing-file",
             lambda env: load_kidcreative(env.tmp_path / "nope.csv"),
             DatasetError, ("not found", "nope.csv")),
    BadInput("loader-empty-file",
             lambda env: load_kidcreative(kidcreative_file(env, [""])),
             DatasetError, ("KidCreative.csv", "empty")),
    BadInput("loader-missing-column",
             lambda env: load_kidcreative(kidcreative_file(
                 env, [HEADER.replace(",Income", ""), ROW.replace(",24000", "")])),
             DatasetError, ("header", "missing column(s) 'Income'")),
    BadInput("loader-non-numeric-cell",
             lambda env: load_kidcreative(kidcreative_file(
                 env, [HEADER, ROW.replace("24000", "24k")])),
             DatasetError, ("row 1 (line 2)", "column 'Income'", "'24k'")),
    BadInput("loader-label-not-binary",
             lambda env: load_kidcreative(kidcreative_file(env, [HEADER, "1,2" + ROW[3:]])),
             DatasetError, ("column 'Buy'", "0 or 1", "row 1 (line 2): '2'")),
    BadInput("loader-ragged-row",
             lambda env: load_kidcreative(kidcreative_file(env, [HEADER, ROW + ",7"])),
             DatasetError, ("line 2", "19 fields", "18")),
    # ---------------------------------------------------------------- save / load
    BadInput("load-weights-of-another-width",
             lambda env: load_parameters(small_graph(out=4), saved(env, small_graph(out=2))),
             ParameterFileError, ("does not fit this graph", "node 'fc' parameter 'weights'",
                                  "3 x 2", "3 x 4")),
    BadInput("load-weights-of-other-nodes",
             lambda env: load_parameters(small_graph(fc_name="dense"), saved(env, small_graph())),
             ParameterFileError, ("missing from the file: node 'dense'",
                                  "in the file but not in the graph: node 'fc'")),
    BadInput("load-weights-of-another-dtype",
             lambda env: load_parameters(small_graph(), saved(env, small_graph(dtype=np.float32))),
             ParameterFileError, ("node 'fc' parameter 'weights'", "dtype float32", "float64")),
    BadInput("load-a-file-that-is-not-npz",
             lambda env: load_parameters(small_graph(), kidcreative_file(env, [HEADER, ROW])),
             ParameterFileError, ("KidCreative.csv", "not a readable .npz parameter file")),
    BadInput("load-a-missing-file",
             lambda env: load_parameters(small_graph(), env.tmp_path / "missing.npz"),
             FileNotFoundError, ("missing.npz",)),
    BadInput("load-nan-weights",
             lambda env: load_parameters(small_graph(), nan_weights_npz(env)),
             ParameterFileError, ("node 'fc' parameter 'weights'", "1 NaN or inf", "(2, 1)", "(nan)")),
    BadInput("load-a-header-claiming-a-huge-array",
             lambda env: load_parameters(small_graph(), hugely_claimed_npz(env)),
             ParameterFileError, ("huge.npz", "damaged", "'fc/weights.npy'", "300000000000 x 2",
                                  "holds")),
    BadInput("save-into-a-missing-directory",
             lambda env: save_parameters(small_graph(), env.tmp_path / "nope" / "params.npz"),
             FileNotFoundError, ("no such directory", "nope'", "nope/params.npz")),
    BadInput("save-something-that-is-not-a-graph",
             lambda env: save_parameters(FullyConnectedLayer(3, 2), env.tmp_path / "p.npz"),
             TypeError, ("expected a graphnn Graph", "FullyConnectedLayer")),
    # ---------------------------------------------------------------- rendering
    BadInput("render-without-dot-program",
             render_svg_without_dot,
             RenderError, ("model.svg", "'dot'", "Graphviz", "not on the PATH", "model.dot")),
    BadInput("render-unknown-extension",
             lambda env: small_graph().render(env.tmp_path / "model.txt"),
             ValueError, ("model.txt", "'.txt'", ".svg")),
    BadInput("render-unknown-view",
             lambda env: small_graph().to_dot(view="grads"),
             ValueError, ("unknown view 'grads'", "'network'", "'gradients'")),
    BadInput("render-gradients-before-backward",
             lambda env: small_graph().to_dot(view="gradients"),
             GraphError, ("no gradients yet", "backward()")),
]


@pytest.fixture
def env(tmp_path, monkeypatch):
    return Env(tmp_path, monkeypatch)


def test_the_catalogue_is_large_and_ids_are_distinct():
    ids = [case.id for case in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert len(CATALOGUE) >= 30


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.id for case in CATALOGUE])
def test_bad_input_is_refused_naming_the_culprit(case, env):
    with pytest.raises(Exception) as info:
        case.trigger(env)
    error = info.value
    assert type(error) is case.raises, f"expected {case.raises.__name__}, got {info.typename}: {error}"
    message = str(error)
    for expected in case.says:
        if isinstance(expected, re.Pattern):
            assert expected.search(message), f"{expected.pattern!r} not found in: {message}"
        else:
            assert expected in message, f"{expected!r} not in: {message}"
    # Raised by graphnn on purpose, not escaping from numpy or pandas internals.
    innermost = Path(info.traceback[-1].path).resolve()
    assert PACKAGE in innermost.parents, f"raised in {innermost}, not by graphnn: {message}"
    assert not type(error).__module__.startswith(("numpy", "pandas"))


# --- the finite-check mode, in more detail --------------------------------------------------

class HoleyLayer(Layer):
    """A user-written layer with a bug: ``y = x`` forward, but ``backward`` sends NaN back
    for the observations whose input is negative."""

    def forward(self, dataIn):
        self._prevIn = self._prevOut = self._checked_input(dataIn)
        return self._prevOut

    def gradient(self):
        return np.ones_like(self._prevIn)

    def backward(self, gradIn):
        gradIn = self._checked_gradIn(gradIn)
        return np.where(self._prevIn < 0, np.nan, gradIn)


def holey_graph():
    g = Graph()
    g.input("X", requires_grad=True)  # the NaN is followed all the way back
    g.add(FullyConnectedLayer(3, 2, seed=0), "X", name="fc")
    g.add(HoleyLayer(), "fc", name="holey")
    g.add(SquaredError(), g.input("Y"), "holey", name="se")
    return g


def test_check_finite_backward_names_the_edge_the_class_the_shape_and_the_count():
    g = holey_graph()
    X = np.array([[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0], [1.0, 2.0, 3.0]])
    g.op("fc").setWeights(np.eye(3)[:, :2])  # row 1 of fc's output is negative
    g.forward(X=X, Y=np.zeros((3, 2)), check_finite=True)  # the forward pass is clean
    g.backward()  # off by default: the NaN flows on quietly ...
    assert np.isnan(g.grad("X")).any()
    with pytest.raises(FloatingPointError) as info:
        g.backward(check_finite=True)  # ... and on, it is caught where it starts
    message = str(info.value)
    for expected in ("holey -> fc", "HoleyLayer", "gradient 3 x 2", "2 NaN or inf entries of 6"):
        assert expected in message, message


def test_check_finite_reports_the_first_bad_node_in_topological_order():
    g = Graph()
    g.input("X")
    g.add(FullyConnectedLayer(2, 2, seed=0), "X", name="fc")
    g.add(TanhLayer(), "fc", name="t")  # NaN in, NaN out: the check must stop at fc
    g.add(SquaredError(), g.input("Y"), "t", name="se")
    g.op("fc").getBiases()[0, 0] = np.inf  # in place: setBiases refuses inf
    with pytest.raises(FloatingPointError, match=r"node 'fc' \(FullyConnectedLayer 2->2\): "
                                                 r"output 3 x 2 holds 3 NaN or inf entries of 6"):
        g.forward(X=np.ones((3, 2)), Y=np.zeros((3, 2)), check_finite=True)


def test_check_finite_catches_an_objective_that_overflows_from_finite_outputs():
    # Every layer output is finite; only the squared error of 1e200 overflows.
    g = Graph.sequential(LinearLayer(), objective=SquaredError())
    assert g.forward(X=np.array([[1e200]]), Y=np.array([[0.0]])) == np.inf  # unchecked: silent
    with pytest.raises(FloatingPointError, match=r"node 'squarederror1' \(SquaredError\): value is inf"):
        g.forward(X=np.array([[1e200]]), Y=np.array([[0.0]]), check_finite=True)


def test_check_finite_passes_finite_values_unchanged():
    g = small_graph(requires_grad=True)
    J_checked = g.forward(**feed(), check_finite=True)
    g.backward(check_finite=True)
    checked = g.grad("X").copy()
    assert J_checked == small_graph().forward(**feed())
    g.forward(**feed())
    g.backward()
    np.testing.assert_array_equal(checked, g.grad("X"))
