"""The way out and the way in: a ``Graph`` as an ONNX model or a PyTorch module, and back.

- ``to_onnx(graph, path)``: the graph's prediction as an ONNX model (opset ``OPSET``), to run
  in onnxruntime or any other ONNX engine; ``from_onnx(path)``: a ``Graph`` from an ONNX model
  made of operators graphnn has layers for.
- ``to_torch(graph)``: a ``torch.nn.Module`` with the same weights (and ``.objective(...)``,
  the same ``J``); ``from_torch(module)``: a ``Graph`` from an ``nn.Sequential``.

The graph is read through its public API only (``nodes``, ``inputs``, ``objectives``, ``op``,
``predecessors``, ``nx``). onnx and torch are optional: a missing one raises ``ImportError``
saying which extra to install (``pip install -e ".[onnx]"`` or ``".[torch]"``). Every value is
``N x D``; ONNX models get a dynamic batch dimension ``N``. docs/export.md has worked examples.
"""
import re

import numpy as np

from .graph import Graph
from .layers import (
    AddLayer, ConcatLayer, FullyConnectedLayer, InputLayer, LinearLayer, LogisticSigmoidLayer, ReLULayer,
    SoftmaxLayer, TanhLayer,
)
from .objectives import CrossEntropy, LogLoss, SquaredError

#: the ONNX opset ``to_onnx`` writes by default (default domain ``ai.onnx``)
OPSET = 17
#: the opsets ``to_onnx`` writes: every operator used keeps one meaning across them (Softmax's
#: per-axis meaning dates from 13; ReduceMean takes its axes as an input from 18 on)
EXPORT_OPSETS = range(13, 22)
#: the default-domain opsets ``from_onnx`` reads; for 2-D values every operator it maps means
#: the same in all of them (before 13, Softmax flattens to 2-D, which a 2-D value already is)
IMPORT_OPSETS = range(9, 23)
#: the name ONNX models give the dynamic batch dimension (the ``N`` of ``N x D``)
BATCH = "N"


class ExportError(ValueError):
    """A graph, ONNX model or torch module that cannot be converted; the message names the node,
    operator or layer at fault."""


def _require(module, extra):
    """Import an optional dependency, or say which extra brings it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"graphnn.export needs {module.split('.')[0]!r} for this: pip install -e \".[{extra}]\" "
            "(run it in the root of your graphnn checkout)"
        ) from err


# ---------------------------------------------------------------------------- reading a graph
def predictions(graph):
    """The nodes whose values are the graph's prediction: the estimates its objectives read,
    then every other layer that feeds nothing, in node order. Raises ``ExportError`` when there
    is none (a graph of inputs, or one whose objectives read inputs only)."""
    order = graph.nodes
    estimates = {graph.predecessors(o)[1] for o in graph.objectives}
    sinks = {n for n in order if graph.nx.nodes[n]["kind"] == "layer" and graph.nx.out_degree(n) == 0}
    found = [n for n in order if (n in estimates or n in sinks) and graph.nx.nodes[n]["kind"] == "layer"]
    if not found:
        raise ExportError(
            f"the graph has no prediction to export: no layer output is read by an objective or "
            f"left unread (nodes: {', '.join(order) or 'none'})"
        )
    return found


def _needed(graph, outputs):
    """Every node the ``outputs`` depend on (themselves included), in node order."""
    import networkx as nx

    wanted = set(outputs)
    for name in outputs:
        wanted |= nx.ancestors(graph.nx, name)
    return [n for n in graph.nodes if n in wanted]


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
    return np.dtype(np.float32) if dtypes == {np.dtype(np.float32)} else np.dtype(np.float64)


# ---------------------------------------------------------------------------- to ONNX
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
    ``Softmax`` (axis 1), ``Add``/``Sum`` and ``Concat`` (axis 1). The model passes
    ``onnx.checker.check_model(model, full_check=True)``.

    Raises ``ExportError`` for a graph with no prediction, a layer with no ONNX counterpart,
    an unknown opset or dtype.
    """
    onnx = _require("onnx", "onnx")
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
    for name in _needed(graph, outputs + objectives):
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


# ---------------------------------------------------------------------------- from ONNX
_VALID = re.compile(r"[^A-Za-z0-9_.\-]")
_RESERVED_INPUTS = {"feed", "outputs", "check_finite"}


class _Names:
    """ONNX names made into graphnn node names (letters, digits, ``_ . -``), each once."""

    def __init__(self):
        self.used = set()

    def __call__(self, raw, fallback):
        name = _VALID.sub("_", raw or fallback) or fallback
        if not re.match(r"[A-Za-z_]", name) or name in _RESERVED_INPUTS:
            name = f"n_{name}"
        unique, k = name, 1
        while unique in self.used:
            k += 1
            unique = f"{name}_{k}"
        self.used.add(unique)
        return unique


def load_onnx(source):
    """An ``onnx.ModelProto`` from a path, bytes or a model, checked by ``onnx.checker``;
    ``ExportError`` naming the file for one that is not ONNX, is truncated or is invalid."""
    onnx = _require("onnx", "onnx")
    if isinstance(source, onnx.ModelProto):
        model, where = source, "the model"
    else:
        if isinstance(source, (bytes, bytearray)):
            data, where = bytes(source), "the given bytes"
        else:
            where = repr(str(source))
            try:
                with open(source, "rb") as handle:
                    data = handle.read()
            except OSError as err:
                raise ExportError(f"cannot read ONNX file {where}: {err.strerror}") from None
        if not data:
            raise ExportError(f"{where} is empty, not an ONNX model")
        try:
            model = onnx.load_from_string(data)
        except Exception as err:  # protobuf's DecodeError: garbage or a cut-off file
            raise ExportError(
                f"{where} is not an ONNX model, or is truncated ({len(data)} bytes): {err}"
            ) from None
    try:
        onnx.checker.check_model(model)
    except Exception as err:  # onnx.checker.ValidationError, or a cut that still parsed
        raise ExportError(f"{where} is not a valid ONNX model: {str(err).splitlines()[0]}") from None
    return model


def from_onnx(source, outputs=None):
    """A ``Graph`` computing the ONNX model ``source`` (a path, bytes or ``onnx.ModelProto``).

    ``outputs``: the ONNX values to import as the graph's prediction, by name (graph outputs
    or any value inside); by default every graph output. Only the operators those values
    depend on are imported; each becomes a layer, a node named after the ONNX node (made
    into a valid graphnn name: ``/0/Gemm`` becomes ``_0_Gemm``). The model's non-constant
    inputs become graph inputs, by name. Then add an objective reading a target input and a
    prediction node, and the graph trains and draws like any other.

    Operators: ``Gemm`` (``transA=0``), or ``MatMul`` by a constant followed by ``Add`` of a
    constant, as ``FullyConnectedLayer``; ``Sub`` of a constant then ``Mul``/``Div`` by a
    constant (or either alone) as ``InputLayer`` (``(x - mean) * inverse_std``); ``Relu``,
    ``Sigmoid``, ``Tanh``, ``Softmax`` (last axis), ``Identity`` (``LinearLayer``), ``Add``
    and ``Sum`` of computed values (``AddLayer``), ``Concat`` on axis 1 (``ConcatLayer``);
    ``Cast`` to a floating type is skipped (graphnn computes in its inputs' dtype). A fused
    layer is named after its first ONNX node.

    Raises ``ExportError`` for a file that is not ONNX (or is truncated), a default-domain
    opset outside ``IMPORT_OPSETS``, an unknown output name, and any other operator, naming
    it, its node and the output it leads to.
    """
    model = load_onnx(source)
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx") and entry.version not in IMPORT_OPSETS:
            raise ExportError(
                f"the model uses ONNX opset {entry.version}, which graphnn does not know: it reads "
                f"opsets {IMPORT_OPSETS.start}..{IMPORT_OPSETS.stop - 1}"
            )
    return _OnnxReader(model).graph(outputs)


class _OnnxReader:
    """Turns the part of an ONNX graph that some outputs depend on into graphnn layers."""

    ACTIVATIONS = {"Relu": ReLULayer, "Sigmoid": LogisticSigmoidLayer, "Tanh": TanhLayer, "Identity": LinearLayer}
    FLOAT_TYPES = {1, 10, 11, 16}  # FLOAT, FLOAT16, DOUBLE, BFLOAT16

    def __init__(self, model):
        onnx = _require("onnx", "onnx")
        self.helper, self.numpy_helper = onnx.helper, onnx.numpy_helper
        self.onnx_graph = model.graph
        self.constants = {t.name: self.numpy_helper.to_array(t) for t in model.graph.initializer}
        self.producer = {}
        for node in model.graph.node:
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
                self.constants[node.output[0]] = self._constant_value(node)
            else:
                for value in node.output:
                    self.producer[value] = node
        self.consumers = {}
        for node in model.graph.node:
            for value in node.input:
                self.consumers.setdefault(value, []).append(node)
        self.graph_outputs = [o.name for o in model.graph.output]

    def _constant_value(self, node):
        attribute = node.attribute[0]
        value = self.helper.get_attribute_value(attribute)
        return self.numpy_helper.to_array(value) if attribute.name == "value" else np.asarray(value)

    def graph(self, outputs):
        outputs = list(self.graph_outputs if outputs is None else [outputs] if isinstance(outputs, str) else outputs)
        known = set(self.producer) | {i.name for i in self.onnx_graph.input}
        for output in outputs:
            if output not in known:
                raise ExportError(
                    f"the model has no value {output!r}; its outputs: {', '.join(map(repr, self.graph_outputs))}"
                )
        self.g, self.names, self.node_of = Graph(), _Names(), {}
        for onnx_input in self.onnx_graph.input:  # in the model's order, as a reader expects
            if onnx_input.name not in self.constants and self._reaches(onnx_input.name, outputs):
                self.node_of[onnx_input.name] = self.g.input(self.names(onnx_input.name, "X"))
        for output in outputs:
            self._value(output, output)
        return self.g

    def _reaches(self, value, outputs):
        import networkx as nx

        edges = nx.DiGraph()
        for node in self.onnx_graph.node:
            edges.add_edges_from((i, o) for i in node.input for o in node.output)
        return any(value == o or (value in edges and o in edges and nx.has_path(edges, value, o)) for o in outputs)

    def _value(self, value, output):
        """The graphnn node computing ONNX value ``value`` (on the way to ``output``)."""
        if value in self.node_of:
            return self.node_of[value]
        if value in self.constants:
            raise ExportError(f"output {output!r} is a constant, not computed from the model's inputs")
        node = self.producer[value]
        self.node_of[value] = node_name = self._node(node, output)
        return node_name

    def _refuse(self, node, output, why=None):
        where = f"node {node.name or '(unnamed)'!r} ({node.op_type}"
        where += f", domain {node.domain})" if node.domain not in ("", "ai.onnx") else ")"
        reason = why or (
            f"graphnn has no layer for the ONNX operator {node.op_type}: it reads Gemm, MatMul+Add, "
            "Sub/Mul/Div by constants, Relu, Sigmoid, Tanh, Softmax, Identity, Add, Sum, Concat and "
            "float Cast"
        )
        floats = [o.name for o in self.onnx_graph.output if o.type.tensor_type.elem_type in self.FLOAT_TYPES]
        hint = f"; import other values with from_onnx(..., outputs=[...]) (float outputs: {', '.join(map(repr, floats))})"
        return ExportError(f"{where} on the way to output {output!r}: {reason}{hint}")

    def _attributes(self, node):
        return {a.name: self.helper.get_attribute_value(a) for a in node.attribute}

    def _add(self, layer, node, inputs, output, first=None):
        name = self.names((first or node).name, (first or node).op_type.lower())
        return self.g.add(layer, *[self._value(i, output) for i in inputs], name=name)

    def _node(self, node, output):
        op, inputs = node.op_type, list(node.input)
        if node.domain not in ("", "ai.onnx"):
            raise self._refuse(node, output)
        attributes = self._attributes(node)
        if op in self.ACTIVATIONS:
            return self._add(self.ACTIVATIONS[op](), node, inputs, output)
        if op == "Softmax":
            if attributes.get("axis", -1) not in (1, -1):
                raise self._refuse(node, output, f"Softmax over axis {attributes['axis']}; graphnn's runs over axis 1")
            return self._add(SoftmaxLayer(), node, inputs, output)
        if op == "Cast":
            if attributes.get("to") not in self.FLOAT_TYPES:
                raise self._refuse(node, output, "a Cast to a non-floating type")
            return self._value(inputs[0], output)
        if op == "Concat":
            if attributes.get("axis") not in (1, -1) or len(inputs) < 2:
                raise self._refuse(node, output, "Concat of fewer than 2 values or not on axis 1")
            return self._add(ConcatLayer(len(inputs)), node, inputs, output)
        if op == "Gemm":
            return self._gemm(node, attributes, output)
        if op == "MatMul":
            return self._matmul(node, output)
        if op in ("Add", "Sum") and not any(i in self.constants for i in inputs):
            if len(inputs) == 1:
                return self._value(inputs[0], output)
            return self._add(AddLayer(len(inputs)), node, inputs, output)
        if op in ("Sub", "Add", "Mul", "Div"):
            return self._normalisation(node, output)
        raise self._refuse(node, output)

    def _fully_connected(self, weights, biases, node, source, output, first):
        if weights.ndim != 2:
            raise self._refuse(first, output, f"a weight matrix of shape {weights.shape}, not 2-D")
        layer = FullyConnectedLayer(*weights.shape, dtype=weights.dtype if weights.dtype.kind == "f" else np.float64)
        layer.setWeights(weights)
        try:
            layer.setBiases(np.broadcast_to(biases, (1, weights.shape[1])))
        except ValueError:
            raise self._refuse(node, output, f"a bias of shape {np.shape(biases)} for {weights.shape[1]} outputs") from None
        return self._add(layer, node, [source], output, first=first)

    def _gemm(self, node, attributes, output):
        inputs = list(node.input)
        if attributes.get("transA", 0) or inputs[1] not in self.constants:
            raise self._refuse(node, output, "Gemm with transA=1 or a computed (not constant) B")
        weights = self.constants[inputs[1]] * attributes.get("alpha", 1.0)
        if attributes.get("transB", 0):
            weights = weights.T
        if len(inputs) > 2 and inputs[2]:
            if inputs[2] not in self.constants:
                raise self._refuse(node, output, "Gemm with a computed (not constant) C")
            biases = self.constants[inputs[2]] * attributes.get("beta", 1.0)
        else:
            biases = np.zeros(weights.shape[1], dtype=weights.dtype)
        return self._fully_connected(weights, biases.astype(weights.dtype), node, inputs[0], output, node)

    def _matmul(self, node, output, add=None):
        """``x W`` (and ``+ b`` when ``add`` is the Add of a constant bias that follows)."""
        source, weights = node.input
        if weights not in self.constants or source in self.constants:
            raise self._refuse(node, output, "MatMul of two computed values (graphnn multiplies by weights only)")
        weights = self.constants[weights]
        if add is None:  # no bias: the layer's biases are zeros
            return self._fully_connected(weights, np.zeros(weights.shape[1:], weights.dtype), node, source, output, node)
        bias = next(i for i in add.input if i in self.constants)
        return self._fully_connected(weights, self.constants[bias], add, source, output, node)

    def _fused_producer(self, node, value, op_types):
        """The node producing ``value`` if it is one of ``op_types`` and feeds only ``node``."""
        producer = self.producer.get(value)
        if producer is None or producer.op_type not in op_types or value in self.graph_outputs:
            return None
        return producer if self.consumers.get(value) == [node] else None

    def _normalisation(self, node, output):
        """``(x - mean) * scale`` by constants, as an ``InputLayer``: one shift (Sub or Add of
        a constant), then one scale (Mul or Div by a constant), or either alone. An Add of a
        constant after a MatMul by a constant is that layer's bias instead."""
        op = node.op_type
        computed, constant = self._computed_and_constant(node, output, ordered=op in ("Sub", "Div"))
        if op == "Add":
            matmul = self._fused_producer(node, computed, ("MatMul",))
            if matmul is not None and matmul.input[1] in self.constants:
                return self._matmul(matmul, output, add=node)
        first, mean, scale = node, 0.0, 1.0
        if op in ("Mul", "Div"):
            if op == "Div":
                if np.any(constant == 0):
                    raise self._refuse(node, output, "a division by a constant that holds zeros")
                constant = 1.0 / constant
            scale = constant
            shift = self._fused_producer(node, computed, ("Sub", "Add"))
            if shift is not None:
                try:
                    computed, constant = self._computed_and_constant(shift, output, ordered=shift.op_type == "Sub")
                except ExportError:
                    shift = None  # not by a constant: the shift is a node of its own
            if shift is not None:
                first, op = shift, shift.op_type
        if op in ("Sub", "Add"):
            mean = constant if op == "Sub" else -constant
        dtype = np.result_type(mean, scale)
        dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
        mean, scale = (np.asarray(a, dtype=dtype) for a in (mean, scale))
        width = max(np.size(mean), np.size(scale))
        if np.ndim(mean) > 2 or np.ndim(scale) > 2 or {np.size(mean), np.size(scale)} - {1, width}:
            raise self._refuse(first, output, "constants that are not one value per column")
        layer = InputLayer(np.zeros((1, width), dtype=dtype))  # its statistics are set next
        layer.meanX = np.broadcast_to(mean.reshape(1, -1), (1, width)).copy()
        layer.inverse_std = np.broadcast_to(scale.reshape(1, -1), (1, width)).copy()
        constant_columns = layer.inverse_std == 0
        layer.stdX = np.where(constant_columns, 0.0, 1.0 / np.where(constant_columns, 1.0, layer.inverse_std))
        return self._add(layer, first, [computed], output)

    def _computed_and_constant(self, node, output, ordered):
        a, b = node.input
        if b in self.constants and a not in self.constants:
            return a, self.constants[b]
        if not ordered and a in self.constants and b not in self.constants:
            return b, self.constants[a]
        raise self._refuse(
            node, output,
            f"{node.op_type} of two computed values, or of a constant by a value (graphnn's z-scoring "
            "layer reads (x - mean) * scale)"
        )


# ---------------------------------------------------------------------------- PyTorch
def _torch_parts():
    """The PyTorch modules ``to_torch`` builds (defined on first use: torch is optional)."""
    torch = _require("torch", "torch")
    nn = torch.nn

    class ZScore(nn.Module):
        """``(x - mean) * inverse_std``, graphnn's ``InputLayer``, with fixed statistics."""

        def __init__(self, mean, inverse_std):
            super().__init__()
            self.register_buffer("mean", torch.as_tensor(mean))
            self.register_buffer("inverse_std", torch.as_tensor(inverse_std))

        def forward(self, x):
            return (x - self.mean) * self.inverse_std

    class Sum(nn.Module):
        def forward(self, *xs):
            out = xs[0]
            for x in xs[1:]:
                out = out + x
            return out

    class Concat(nn.Module):
        def forward(self, *xs):
            return torch.cat(xs, dim=1)

    class GraphModule(nn.Module):
        """A graphnn ``Graph`` as a ``torch.nn.Module``: ``forward(*inputs)`` takes the graph's
        prediction inputs in ``input_names`` order (or by name) and returns the prediction (a
        tensor, or a tuple when there are several, in ``output_names`` order);
        ``objective(**feed)`` is the graph's ``J``, the same weighted sum of mean losses."""

        def __init__(self, steps, modules, input_names, output_names, objectives):
            super().__init__()
            self.layers = nn.ModuleDict(modules)
            self.steps, self.input_names, self.output_names = steps, input_names, output_names
            self.objectives = objectives  # (name, weight, kind, target, estimate)

        def _run(self, feed):
            values = dict(feed)
            for name, key, sources in self.steps:
                values[name] = self.layers[key](*[values[s] for s in sources])
            return values

        def _feed(self, args, kwargs, names):
            feed = dict(zip(self.input_names, args))
            feed.update(kwargs)
            missing = [n for n in names if n not in feed]
            if missing:
                raise TypeError(f"missing input(s) {', '.join(map(repr, missing))}; the module reads {names}")
            return feed

        def forward(self, *args, **kwargs):
            values = self._run(self._feed(args, kwargs, self.input_names))
            outputs = tuple(values[n] for n in self.output_names)
            return outputs[0] if len(outputs) == 1 else outputs

        def objective(self, **feed):
            """``J = sum_i weight_i J_i``, a 0-d tensor, from every input fed by name."""
            if not self.objectives:
                raise ExportError("the graph this module came from has no objective")
            needed = sorted({t for _, _, _, t, _ in self.objectives} | set(self.input_names))
            values = self._run(self._feed((), feed, needed))
            total = 0
            for _, weight, loss, target, estimate in self.objectives:
                total = total + weight * loss(values[target], values[estimate])
            return total

    def squared_error(y, p):
        return ((y - p) ** 2).sum(dim=1).mean()

    def log_loss(y, p):
        p = p.clamp(1e-7, 1 - 1e-7)
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum(dim=1).mean()

    def cross_entropy(y, p):
        return -(y * torch.log(p.clamp(min=1e-7))).sum(dim=1).mean()

    losses = {SquaredError: squared_error, LogLoss: log_loss, CrossEntropy: cross_entropy}
    return torch, ZScore, Sum, Concat, GraphModule, losses


def to_torch(graph):
    """A ``torch.nn.Module`` (a ``GraphModule``) computing ``graph``'s prediction with the
    same weights, copied into ``torch.nn.Linear`` layers (a parameter shared by two layers
    stays shared), in the parameters' dtype.

    ``module(X)`` (inputs in ``module.input_names`` order, or by name) equals
    ``graph.forward``'s prediction; ``module.objective(X=..., Y=...)`` is the graph's ``J``
    (clipping as graphnn's objectives clip), so ``module.objective(...).backward()`` leaves
    in each ``weight.grad`` the transpose of graphnn's ``weights.grad`` (both the gradient of
    the mean ``J``). ``module.layers[key]`` holds node ``name``'s module, ``key`` being the
    name with ``.`` replaced by ``_``. Raises ``ExportError`` for a graph with no prediction
    or a layer or objective with no torch counterpart.
    """
    torch, ZScore, Sum, Concat, GraphModule, losses = _torch_parts()
    nn = torch.nn
    simple = {LinearLayer: nn.Identity, ReLULayer: nn.ReLU, LogisticSigmoidLayer: nn.Sigmoid, TanhLayer: nn.Tanh}
    outputs = predictions(graph)
    shared, modules, steps = {}, {}, []

    def parameter(p, transpose):
        if id(p) not in shared:
            value = p.value.T if transpose else p.value.reshape(-1)
            shared[id(p)] = nn.Parameter(torch.tensor(np.ascontiguousarray(value)))
        return shared[id(p)]

    objectives = []
    for name in _needed(graph, outputs + list(graph.objectives)):
        op, kind = graph.op(name), graph.nx.nodes[name]["kind"]
        if kind == "input":
            continue
        if kind == "objective":
            if type(op) not in losses:
                raise ExportError(f"objective {name!r} ({op.describe()}): no torch counterpart")
            target, estimate = graph.predecessors(name)
            objectives.append((name, graph.nx.nodes[name]["weight"], losses[type(op)], target, estimate))
            continue
        if type(op) in simple:
            module = simple[type(op)]()
        elif type(op) is SoftmaxLayer:
            module = nn.Softmax(dim=1)
        elif type(op) is FullyConnectedLayer:
            module = nn.Linear(op.sizeIn, op.sizeOut, dtype=torch.float64)
            module.weight = parameter(op.weights, transpose=True)
            module.bias = parameter(op.biases, transpose=False)
        elif type(op) is InputLayer:
            module = ZScore(op.meanX, op.inverse_std)
        elif type(op) is AddLayer:
            module = Sum()
        elif type(op) is ConcatLayer:
            module = Concat()
        else:
            raise ExportError(f"node {name!r} ({op.describe()}): no torch counterpart for {type(op).__name__}")
        key = name.replace(".", "_")
        modules[key] = module
        steps.append((name, key, graph.predecessors(name)))
    needed_inputs = [n for n in graph.inputs if n in set(_needed(graph, outputs))]
    return GraphModule(steps, modules, needed_inputs, outputs, objectives)


def from_torch(module, input="X"):
    """A ``Graph`` from a ``torch.nn.Sequential`` of ``Linear``, ``ReLU``, ``Sigmoid``,
    ``Tanh``, ``Softmax`` (over dimension 1 or -1) and ``Identity``, with the same weights
    (copied, in their dtype), reading the input named ``input``.

    Nodes are named after the Sequential's children when those names are valid graphnn names
    (an ``OrderedDict`` of names), else generated (``fc1``, ``relu1``, ...). Add an objective
    to train it or draw its gradients. Raises ``ExportError`` for a module that is not an
    ``nn.Sequential``, or naming the child that graphnn cannot map.
    """
    torch = _require("torch", "torch")
    nn = torch.nn
    if not isinstance(module, nn.Sequential):
        raise ExportError(f"from_torch takes an nn.Sequential, got {type(module).__name__}")
    simple = {nn.ReLU: ReLULayer, nn.Sigmoid: LogisticSigmoidLayer, nn.Tanh: TanhLayer, nn.Identity: LinearLayer}
    g = Graph()
    node = g.input(input)
    for child_name, child in module.named_children():
        kind = type(child)
        if kind in simple:
            layer = simple[kind]()
        elif kind is nn.Softmax and child.dim in (1, -1):
            layer = SoftmaxLayer()
        elif kind is nn.Linear:
            weight = child.weight.detach().cpu().numpy()
            layer = FullyConnectedLayer(child.in_features, child.out_features, dtype=weight.dtype)
            layer.setWeights(weight.T)
            if child.bias is not None:
                layer.setBiases(child.bias.detach().cpu().numpy().reshape(1, -1))
            else:
                layer.setBiases(np.zeros((1, child.out_features)))
        else:
            detail = f"Softmax over dim {child.dim}" if kind is nn.Softmax else kind.__name__
            raise ExportError(
                f"layer {child_name!r} of the Sequential ({detail}): graphnn maps Linear, ReLU, "
                "Sigmoid, Tanh, Softmax (dim 1) and Identity only"
            )
        name = child_name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", child_name) and child_name not in g.nx else None
        node = g.add(layer, node, name=name)
    return g
