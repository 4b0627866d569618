"""``to_onnx``: a graph's prediction (and, if asked, its objectives) as an ONNX model, checked
by onnx's own checker; onnxruntime and any other ONNX engine run it."""
import os

import numpy as np

from ..layers import (
    AddLayer, BatchNormLayer, ConcatLayer, ConvolutionalLayer, DropoutLayer, FlatteningLayer, FullyConnectedLayer,
    InitialStateLayer, InputLayer, LinearLayer, LogisticSigmoidLayer, MaxPoolLayer, MultiplyLayer, OneMinusLayer,
    ReLULayer, SliceLayer, SoftmaxLayer, TanhLayer,
)
from ..objectives import CrossEntropy, LogLoss, SquaredError
from .common import ExportError, needed_nodes, network_dtype, optional_import, predictions, unique_names, value_shapes

__all__ = ["to_onnx", "OPSET", "EXPORT_OPSETS", "BATCH"]

#: the ONNX opset ``to_onnx`` writes by default (default domain ``ai.onnx``)
OPSET = 17
#: the opsets ``to_onnx`` writes: every operator used keeps one meaning across them (Softmax's
#: per-axis meaning dates from 13; ReduceMean takes its axes as an input from 18 on)
EXPORT_OPSETS = range(13, 22)
#: the name ONNX models give the dynamic batch dimension (the ``N`` of ``N x D``)
BATCH = "N"
#: what a size the graph leaves open is called in the model (``X_height``), by rank
_DIM_NAMES = {1: ("width",), 3: ("channels", "height", "width")}


def to_onnx(graph, path=None, *, dtype=None, objective=False, opset=OPSET):
    """An ONNX model (``onnx.ModelProto``) of ``graph``'s prediction; written to ``path`` too
    when given.

    The model's inputs are the graph's inputs the prediction reads, by name, each ``N x D``
    or ``N x C x H x W`` (images) with a dynamic ``N`` and the sizes the layers or the last
    forward pass fix (``X_height`` for one left open; ``N x D`` when no layer fixes the rank); its outputs are the prediction nodes (see ``predictions``), named
    after them, and with ``objective=True`` also each objective's value (a scalar, named after
    the objective node, equal to ``graph.value(name)``), which adds the targets as inputs.
    Parameters and z-scoring statistics are initializers named ``node.weights``,
    ``node.biases``, ``node.mean``, ``node.inverse_std``. ONNX node names are graphnn's node
    names (``node.scale`` for the second operator of a z-scoring layer). A parameter shared by
    several layers is one initializer, named after the first of them. A made name that is
    already a node's name (a node called ``enc.weights`` beside a layer ``enc``) or another
    made name gets ``_2``, ``_3``, ... added: every ONNX value keeps one name.

    ``dtype``: ``float32`` or ``float64``, the one dtype of the whole model, its inputs and
    outputs included; by default the network's (``graphnn.export.common.network_dtype``): that
    of its parameters, float64 when they differ; z-scoring statistics, computed from data,
    follow the parameters (a float64 ``InputLayer`` before float32 layers exports in float32);
    a graph of activations only is float64 unless told. ``opset`` must lie in ``EXPORT_OPSETS``. Layers map to ``Gemm`` (fully
    connected), ``Sub`` and ``Mul`` (z-scoring: ``(x - mean) * inverse_std``, 0 for constant
    columns, as ``InputLayer`` computes), ``Identity``, ``Relu``, ``Sigmoid``, ``Tanh``,
    ``Softmax`` (axis 1), ``Add``/``Sum`` and ``Concat`` (axis 1), ``Mul`` (``MultiplyLayer``),
    ``Sub`` from 1 (``OneMinusLayer``), ``Slice`` on axis 1 (``SliceLayer``), ``Conv``
    (``ConvolutionalLayer``: ``pads [ph, pw, ph, pw]``, group and dilations 1), ``MaxPool``
    (no pads, floor), ``Flatten`` at axis 1, ``Expand`` of the
    state to ``N`` rows (``InitialStateLayer``, initializer ``node.state``), ``Dropout`` (the
    identity: a model predicts, in inference mode) and ``BatchNormalization`` with the running
    statistics (initializers ``node.scale``, ``node.shift``, ``node.running_mean``,
    ``node.running_var``: inference mode; ONNX holds ``epsilon`` as a float32 attribute, so an
    ``eps`` float32 cannot hold exactly, such as 1e-5, moves float64 results in about the
    eleventh digit). A recurrent network unrolled by ``graphnn.unroll`` is these plain
    operators, one copy per time step, its tied weights one initializer. The model passes
    ``onnx.checker.check_model(model, full_check=True)``.

    Raises ``ExportError`` for a graph with no prediction, a layer with no ONNX counterpart,
    an unknown opset or dtype.
    """
    onnx = optional_import("onnx", "onnx")
    if opset not in EXPORT_OPSETS:
        raise ExportError(
            f"opset {opset!r} is not one graphnn writes: choose one of "
            f"{EXPORT_OPSETS.start}..{EXPORT_OPSETS.stop - 1} (default {OPSET})"
        )
    outputs = predictions(graph)
    objectives = list(graph.objectives) if objective else []
    if objective and not objectives:
        raise ExportError("objective=True, but the graph has no objective")
    needed = needed_nodes(graph, outputs + objectives)
    dtype = network_dtype(graph, needed, dtype)
    writer = _OnnxWriter(onnx, dtype, opset, graph.nodes)
    shapes = value_shapes(graph)
    for name in needed:
        kind = graph.nx.nodes[name]["kind"]
        if kind == "input":
            writer.input(name, _dims(name, shapes.get(name)))
        elif kind == "layer":
            writer.layer(name, graph.op(name), graph.predecessors(name))
        else:
            writer.objective(name, graph.op(name), graph.predecessors(name))
    for name in outputs:
        writer.output(name, _dims(name, shapes.get(name)))
    for name in objectives:
        writer.output(name, [])
    model = writer.model()
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        _save(onnx, model, path)
    return model


def _dims(name, shape):
    """The dimensions a model declares for value ``name`` of per-observation ``shape`` (see
    ``value_shapes``): ``[N, D]`` or ``[N, C, H, W]``, a size the graph leaves open named after
    the value (``X_height``); ``[N, name_width]`` when even the rank is unknown."""
    shape = (None,) if shape is None else shape
    labels = _DIM_NAMES.get(len(shape), [f"dim{k}" for k in range(1, len(shape) + 1)])
    return [BATCH] + [f"{name}_{label}" if size is None else size for size, label in zip(shape, labels)]


def _save(onnx, model, path):
    """Write ``model`` to ``path``; ``FileNotFoundError`` or ``IsADirectoryError`` naming the
    path and what is wrong with it (onnx's own message names the path only)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"to_onnx: {path!r} is a directory; give a file name, e.g. {os.path.join(path, 'model.onnx')!r}")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"to_onnx: cannot write {path!r}: the directory {folder!r} does not exist")
    onnx.save(model, path)


class _OnnxWriter:
    """Collects ONNX nodes, initializers, inputs and outputs for ``to_onnx``."""

    SIMPLE = {LinearLayer: "Identity", ReLULayer: "Relu", LogisticSigmoidLayer: "Sigmoid", TanhLayer: "Tanh"}

    def __init__(self, onnx, dtype, opset, node_names):
        self.onnx, self.helper, self.dtype, self.opset = onnx, onnx.helper, dtype, opset
        self.elem = onnx.helper.np_dtype_to_tensor_dtype(dtype)
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        # graphnn's node names are the values and ONNX nodes of their own layers; every other
        # value (an initializer, an intermediate result) or ONNX node gets a name of its own
        self.value_name, self.node_name = unique_names(node_names), unique_names(node_names)
        self.parameters = {}  # id(Parameter) -> its initializer's name

    def constant(self, name, array):
        """An initializer holding ``array`` in the model's dtype, named ``name`` (made unique)."""
        name = self.value_name(name)
        array = np.asarray(array, dtype=self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def integers(self, name, value):
        """An int64 initializer holding ``[value]`` (a ``Slice`` bound, a shape), named ``name``
        (made unique)."""
        name = self.value_name(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.array([value], dtype=np.int64), name))
        return name

    def parameter(self, name, parameter):
        """The initializer of ``parameter``: one per ``Parameter``, so that layers sharing
        weights read one initializer (named after the first), as they share them in graphnn."""
        if id(parameter) not in self.parameters:
            self.parameters[id(parameter)] = self.constant(name, parameter.value)
        return self.parameters[id(parameter)]

    def node(self, op_type, inputs, output, name, **attributes):
        """An ONNX node; ``output`` and ``name`` are used as they are (a graphnn node's)."""
        self.nodes.append(self.helper.make_node(op_type, inputs, [output], name=name, **attributes))
        return output

    def step(self, op_type, inputs, part, **attributes):
        """An ONNX node computing an intermediate value; both named ``part`` (made unique)."""
        return self.node(op_type, inputs, self.value_name(part), self.node_name(part), **attributes)

    def input(self, name, shape):
        self.inputs.append(self.helper.make_tensor_value_info(name, self.elem, shape))

    def output(self, name, shape):
        self.outputs.append(self.helper.make_tensor_value_info(name, self.elem, shape))

    def layer(self, name, op, sources):
        kind = type(op)
        if kind in self.SIMPLE:
            self.node(self.SIMPLE[kind], sources, name, name)
        elif kind is SoftmaxLayer:
            self.node("Softmax", sources, name, name, axis=1)
        elif kind is FullyConnectedLayer:
            weights = self.parameter(f"{name}.weights", op.weights)
            biases = self.parameter(f"{name}.biases", op.biases)
            self.node("Gemm", [sources[0], weights, biases], name, name)
        elif kind is InputLayer:
            mean = self.constant(f"{name}.mean", op.meanX)
            # Times 1/std, not divided by std: constant columns (std 0) stay at 0, as in graphnn.
            scale = self.constant(f"{name}.inverse_std", op.inverse_std)
            centred = self.node("Sub", [sources[0], mean], self.value_name(f"{name}.centred"), name)
            self.node("Mul", [centred, scale], name, self.node_name(f"{name}.scale"))
        elif kind is AddLayer:
            self.node("Add" if len(sources) == 2 else "Sum", sources, name, name)
        elif kind is ConcatLayer:
            self.node("Concat", sources, name, name, axis=1)
        elif kind is MultiplyLayer:
            self.node("Mul", sources, name, name)
        elif kind is OneMinusLayer:
            self.node("Sub", [self.constant(f"{name}.one", 1.0), sources[0]], name, name)
        elif kind is SliceLayer:
            limits = [self.integers(f"{name}.{part}", value)
                      for part, value in (("starts", op.start), ("ends", op.stop), ("axes", 1))]
            self.node("Slice", [sources[0]] + limits, name, name)
        elif kind is InitialStateLayer:
            state = self.parameter(f"{name}.state", op.state)
            shape = self.step("Shape", [sources[0]], f"{name}.shape")
            rows = self.step("Gather", [shape, self.integers(f"{name}.first", 0)], f"{name}.rows", axis=0)
            size = self.step("Concat", [rows, self.integers(f"{name}.width", op.width)], f"{name}.size", axis=0)
            self.node("Expand", [state, size], name, name)
        elif kind is ConvolutionalLayer:
            weights = self.parameter(f"{name}.weights", op.weights)
            biases = self.parameter(f"{name}.biases", op.biases)
            (ph, pw) = op.padding
            self.node("Conv", [sources[0], weights, biases], name, name, kernel_shape=list(op.kernel_size),
                      strides=list(op.stride), pads=[ph, pw, ph, pw], dilations=[1, 1], group=1)
        elif kind is MaxPoolLayer:
            self.node("MaxPool", sources, name, name, kernel_shape=list(op.size), strides=list(op.stride))
        elif kind is FlatteningLayer:
            self.node("Flatten", sources, name, name, axis=1)
        elif kind is DropoutLayer:
            self.node("Dropout", [sources[0], self.constant(f"{name}.ratio", op.p)], name, name)
        elif kind is BatchNormLayer:
            inputs = [sources[0], self.constant(f"{name}.scale", op.scale.value[0]),
                      self.constant(f"{name}.shift", op.shift.value[0]),
                      self.constant(f"{name}.running_mean", op.running_mean[0]),
                      self.constant(f"{name}.running_var", op.running_var[0])]
            self.node("BatchNormalization", inputs, name, name, epsilon=op.eps, momentum=1.0 - op.momentum)
        else:
            raise ExportError(f"node {name!r} ({op.describe()}): no ONNX counterpart for {kind.__name__}")

    def objective(self, name, op, sources):
        """``J = mean_n sum_k l(y_nk, yhat_nk)``, as the objective's ``eval`` computes it."""
        target, estimate = sources

        def part(suffix):  # the names of this objective's ONNX nodes and values
            return f"{name}.{suffix}"

        if isinstance(op, SquaredError):
            diff = self.step("Sub", [target, estimate], part("diff"))
            loss = self.step("Mul", [diff, diff], part("terms"))
        elif isinstance(op, (LogLoss, CrossEntropy)):
            eps = self.constant(part("epsilon"), 1e-7)  # the objectives' EPSILON
            limits = [eps, self.constant(part("one_minus_epsilon"), 1 - 1e-7)] if isinstance(op, LogLoss) else [eps]
            p = self.step("Clip", [estimate] + limits, part("clipped"))
            terms = self.step("Mul", [target, self.step("Log", [p], part("log"))], part("yes"))
            if isinstance(op, LogLoss):
                one = self.constant(part("one"), 1.0)
                not_y = self.step("Sub", [one, target], part("not_y"))
                not_p = self.step("Sub", [one, p], part("not_p"))
                log_not_p = self.step("Log", [not_p], part("log_not_p"))
                no = self.step("Mul", [not_y, log_not_p], part("no"))
                terms = self.step("Add", [terms, no], part("both"))
            loss = self.step("Neg", [terms], part("terms"))
        else:
            raise ExportError(f"objective {name!r} ({op.describe()}): no ONNX counterpart")
        columns = self.value_name(part("columns"))
        self.initializers.append(self.onnx.numpy_helper.from_array(np.array([1], dtype=np.int64), columns))
        rows = self.step("ReduceSum", [loss, columns], part("per_row"), keepdims=0)
        self.node("ReduceMean", [rows], name, name, keepdims=0)

    def model(self):
        graph = self.helper.make_graph(self.nodes, "graphnn", self.inputs, self.outputs, self.initializers)
        model = self.helper.make_model(
            graph, opset_imports=[self.helper.make_opsetid("", self.opset)], producer_name="graphnn"
        )
        model.ir_version = min(model.ir_version, 8)  # readable by onnxruntime releases of 2022 on
        return model

