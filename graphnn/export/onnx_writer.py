"""``to_onnx``: a graph's prediction (and, if asked, its objectives) as an ONNX model, checked
by onnx's own checker; onnxruntime and any other ONNX engine run it."""
import numpy as np

from ..layers import (
    AddLayer, BatchNormLayer, ConcatLayer, DropoutLayer, FullyConnectedLayer, InitialStateLayer, InputLayer,
    LinearLayer, LogisticSigmoidLayer, MultiplyLayer, OneMinusLayer, ReLULayer, SliceLayer, SoftmaxLayer,
    TanhLayer,
)
from ..objectives import CrossEntropy, LogLoss, SquaredError
from .common import ExportError, needed_nodes, optional_import, predictions

__all__ = ["to_onnx", "OPSET", "EXPORT_OPSETS", "BATCH"]

#: the ONNX opset ``to_onnx`` writes by default (default domain ``ai.onnx``)
OPSET = 17
#: the opsets ``to_onnx`` writes: every operator used keeps one meaning across them (Softmax's
#: per-axis meaning dates from 13; ReduceMean takes its axes as an input from 18 on)
EXPORT_OPSETS = range(13, 22)
#: the name ONNX models give the dynamic batch dimension (the ``N`` of ``N x D``)
BATCH = "N"


def _widths(graph):
    """``{node: D}``, the number of columns of each node's value, deduced from the layers that
    fix one (fully connected, z-scoring) and the rules that carry it (element-wise layers keep
    it, Add shares it, Concat sums it, an objective's target is shaped like its estimate); the
    last forward pass fills what the layers leave open. Nodes still unknown are missing."""
    widths = {}
    if graph.has_values:
        for name in graph.nodes:
            if graph.nx.nodes[name]["kind"] != "objective":
                widths[name] = graph.value(name).shape[1]
    changed = True
    while changed:
        changed = False

        def know(node, width):
            nonlocal changed
            if width is not None and node not in widths:
                widths[node] = int(width)
                changed = True

        for name in graph.nodes:
            op, sources = graph.op(name), graph.predecessors(name)
            if isinstance(op, FullyConnectedLayer):
                know(sources[0], op.sizeIn)
                know(name, op.sizeOut)
            elif isinstance(op, InputLayer):
                know(sources[0], op.width)
                know(name, op.width)
            elif isinstance(op, BatchNormLayer):
                know(sources[0], op.width)
                know(name, op.width)
            elif isinstance(op, SliceLayer):
                know(name, op.stop - op.start)
            elif isinstance(op, InitialStateLayer):
                know(name, op.width)
            elif isinstance(op, ConcatLayer):
                parts = [widths.get(s) for s in sources]
                if None not in parts:
                    know(name, sum(parts))
                elif parts.count(None) == 1 and name in widths:
                    know(sources[parts.index(None)], widths[name] - sum(p for p in parts if p))
            elif op is not None:  # element-wise, softmax, Add, an objective: one width for all
                group = [s for s in sources] + ([name] if graph.nx.nodes[name]["kind"] == "layer" else [])
                width = next((widths[n] for n in group if n in widths), None)
                for node in group:
                    know(node, width)
    return widths


def _graph_dtype(graph, dtype):
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ExportError(f"dtype must be float32 or float64, got {dtype}")
        return dtype
    dtypes = {p.value.dtype for p in graph.parameters()}
    dtypes |= {graph.op(n).meanX.dtype for n in graph.nodes if isinstance(graph.op(n), InputLayer)}
    dtypes |= {graph.op(n).running_mean.dtype for n in graph.nodes if isinstance(graph.op(n), BatchNormLayer)}
    return np.dtype(np.float32) if dtypes == {np.dtype(np.float32)} else np.dtype(np.float64)



def to_onnx(graph, path=None, *, dtype=None, objective=False, opset=OPSET):
    """An ONNX model (``onnx.ModelProto``) of ``graph``'s prediction; written to ``path`` too
    when given.

    The model's inputs are the graph's inputs the prediction reads, by name, each ``N x D``
    with a dynamic ``N``; its outputs are the prediction nodes (see ``predictions``), named
    after them, and with ``objective=True`` also each objective's value (a scalar, named after
    the objective node, equal to ``graph.value(name)``), which adds the targets as inputs.
    Parameters and z-scoring statistics are initializers named ``node.weights``,
    ``node.biases``, ``node.mean``, ``node.inverse_std``. ONNX node names are graphnn's node
    names (``node.scale`` for the second operator of a z-scoring layer).

    ``dtype``: ``float32`` or ``float64``; by default float32 when every parameter and every
    z-scoring layer's statistics are (a graph of activations only needs it said), else float64. ``opset`` must lie in ``EXPORT_OPSETS``. Layers map to ``Gemm`` (fully
    connected), ``Sub`` and ``Mul`` (z-scoring: ``(x - mean) * inverse_std``, 0 for constant
    columns, as ``InputLayer`` computes), ``Identity``, ``Relu``, ``Sigmoid``, ``Tanh``,
    ``Softmax`` (axis 1), ``Add``/``Sum`` and ``Concat`` (axis 1), ``Mul`` (``MultiplyLayer``),
    ``Sub`` from 1 (``OneMinusLayer``), ``Slice`` on axis 1 (``SliceLayer``), ``Expand`` of the
    state to ``N`` rows (``InitialStateLayer``, initializer ``node.state``), ``Dropout`` (the
    identity: a model predicts, in inference mode) and ``BatchNormalization`` with the running
    statistics (initializers ``node.scale``, ``node.shift``, ``node.running_mean``,
    ``node.running_var``: inference mode; ONNX holds ``epsilon`` as a float32 attribute, so an
    ``eps`` float32 cannot hold exactly, such as 1e-5, moves float64 results in about the
    eleventh digit). A recurrent network unrolled by ``graphnn.unroll`` is
    these plain operators, one copy per time step, its tied weights one initializer each
    time. The model passes ``onnx.checker.check_model(model, full_check=True)``.

    Raises ``ExportError`` for a graph with no prediction, a layer with no ONNX counterpart,
    an unknown opset or dtype.
    """
    onnx = optional_import("onnx", "onnx")
    if opset not in EXPORT_OPSETS:
        raise ExportError(
            f"opset {opset!r} is not one graphnn writes: choose one of "
            f"{EXPORT_OPSETS.start}..{EXPORT_OPSETS.stop - 1} (default {OPSET})"
        )
    dtype = _graph_dtype(graph, dtype)
    outputs = predictions(graph)
    objectives = list(graph.objectives) if objective else []
    if objective and not objectives:
        raise ExportError("objective=True, but the graph has no objective")
    writer = _OnnxWriter(onnx, dtype, opset)
    widths = _widths(graph)
    for name in needed_nodes(graph, outputs + objectives):
        kind = graph.nx.nodes[name]["kind"]
        if kind == "input":
            writer.input(name, widths.get(name))
        elif kind == "layer":
            writer.layer(name, graph.op(name), graph.predecessors(name))
        else:
            writer.objective(name, graph.op(name), graph.predecessors(name))
    for name in outputs:
        writer.output(name, [BATCH, widths.get(name, f"{name}_width")])
    for name in objectives:
        writer.output(name, [])
    model = writer.model()
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        onnx.save(model, str(path))
    return model


class _OnnxWriter:
    """Collects ONNX nodes, initializers, inputs and outputs for ``to_onnx``."""

    SIMPLE = {LinearLayer: "Identity", ReLULayer: "Relu", LogisticSigmoidLayer: "Sigmoid", TanhLayer: "Tanh"}

    def __init__(self, onnx, dtype, opset):
        self.onnx, self.helper, self.dtype, self.opset = onnx, onnx.helper, dtype, opset
        self.elem = onnx.helper.np_dtype_to_tensor_dtype(dtype)
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []

    def constant(self, name, array):
        array = np.asarray(array, dtype=self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op_type, inputs, output, name, **attributes):
        self.nodes.append(self.helper.make_node(op_type, inputs, [output], name=name, **attributes))
        return output

    def input(self, name, width):
        shape = [BATCH, width if width is not None else f"{name}_width"]
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
            weights = self.constant(f"{name}.weights", op.weights.value)
            biases = self.constant(f"{name}.biases", op.biases.value)
            self.node("Gemm", [sources[0], weights, biases], name, name)
        elif kind is InputLayer:
            mean = self.constant(f"{name}.mean", op.meanX)
            # Times 1/std, not divided by std: constant columns (std 0) stay at 0, as in graphnn.
            scale = self.constant(f"{name}.inverse_std", op.inverse_std)
            centred = self.node("Sub", [sources[0], mean], f"{name}.centred", name)
            self.node("Mul", [centred, scale], name, f"{name}.scale")
        elif kind is AddLayer:
            self.node("Add" if len(sources) == 2 else "Sum", sources, name, name)
        elif kind is ConcatLayer:
            self.node("Concat", sources, name, name, axis=1)
        elif kind is MultiplyLayer:
            self.node("Mul", sources, name, name)
        elif kind is OneMinusLayer:
            self.node("Sub", [self.constant(f"{name}.one", 1.0), sources[0]], name, name)
        elif kind is SliceLayer:
            ints = self.onnx.numpy_helper.from_array
            for part, value in (("starts", op.start), ("ends", op.stop), ("axes", 1)):
                self.initializers.append(ints(np.array([value], dtype=np.int64), f"{name}.{part}"))
            self.node("Slice", [sources[0], f"{name}.starts", f"{name}.ends", f"{name}.axes"], name, name)
        elif kind is InitialStateLayer:
            state = self.constant(f"{name}.state", op.state.value)
            shape = self.node("Shape", [sources[0]], f"{name}.shape", f"{name}.shape")
            ints = self.onnx.numpy_helper.from_array
            self.initializers.append(ints(np.array([0], dtype=np.int64), f"{name}.first"))
            self.initializers.append(ints(np.array([op.width], dtype=np.int64), f"{name}.width"))
            rows = self.node("Gather", [shape, f"{name}.first"], f"{name}.rows", f"{name}.rows", axis=0)
            size = self.node("Concat", [rows, f"{name}.width"], f"{name}.size", f"{name}.size", axis=0)
            self.node("Expand", [state, size], name, name)
        elif kind is DropoutLayer:
            ratio = self.constant(f"{name}.ratio", op.p)
            self.node("Dropout", [sources[0], ratio], name, name)
        elif kind is BatchNormLayer:
            inputs = [sources[0]] + [self.constant(f"{name}.{part}", value[0]) for part, value in (
                ("scale", op.scale.value), ("shift", op.shift.value),
                ("running_mean", op.running_mean), ("running_var", op.running_var))]
            self.node("BatchNormalization", inputs, name, name, epsilon=op.eps, momentum=1.0 - op.momentum)
        else:
            raise ExportError(f"node {name!r} ({op.describe()}): no ONNX counterpart for {kind.__name__}")

    def objective(self, name, op, sources):
        """``J = mean_n sum_k l(y_nk, yhat_nk)``, as the objective's ``eval`` computes it."""
        target, estimate = sources
        def part(suffix):  # the names of this objective's ONNX nodes and values
            return f"{name}.{suffix}"

        if isinstance(op, SquaredError):
            diff = self.node("Sub", [target, estimate], part("diff"), part("diff"))
            loss = self.node("Mul", [diff, diff], part("terms"), part("terms"))
        elif isinstance(op, (LogLoss, CrossEntropy)):
            eps = self.constant(part("epsilon"), 1e-7)  # the objectives' EPSILON
            limits = [eps, self.constant(part("one_minus_epsilon"), 1 - 1e-7)] if isinstance(op, LogLoss) else [eps]
            p = self.node("Clip", [estimate] + limits, part("clipped"), part("clipped"))
            terms = self.node("Mul", [target, self.node("Log", [p], part("log"), part("log"))], part("yes"), part("yes"))
            if isinstance(op, LogLoss):
                one = self.constant(part("one"), 1.0)
                not_y = self.node("Sub", [one, target], part("not_y"), part("not_y"))
                not_p = self.node("Sub", [one, p], part("not_p"), part("not_p"))
                log_not_p = self.node("Log", [not_p], part("log_not_p"), part("log_not_p"))
                no = self.node("Mul", [not_y, log_not_p], part("no"), part("no"))
                terms = self.node("Add", [terms, no], part("both"), part("both"))
            loss = self.node("Neg", [terms], part("terms"), part("terms"))
        else:
            raise ExportError(f"objective {name!r} ({op.describe()}): no ONNX counterpart")
        axes = self.onnx.numpy_helper.from_array(np.array([1], dtype=np.int64), part("columns"))
        self.initializers.append(axes)
        rows = self.node("ReduceSum", [loss, part("columns")], part("per_row"), part("per_row"), keepdims=0)
        self.node("ReduceMean", [rows], name, name, keepdims=0)

    def model(self):
        graph = self.helper.make_graph(self.nodes, "graphnn", self.inputs, self.outputs, self.initializers)
        model = self.helper.make_model(
            graph, opset_imports=[self.helper.make_opsetid("", self.opset)], producer_name="graphnn"
        )
        model.ir_version = min(model.ir_version, 8)  # readable by onnxruntime releases of 2022 on
        return model

