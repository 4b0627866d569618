"""``from_onnx``: a ``Graph`` from an ONNX model made of operators graphnn has layers for (the
model read and checked by ``graphnn.export.onnx_file.load_onnx``)."""
import re

import numpy as np

from ..graph import Graph
from ..layers import (
    AddLayer, BatchNormLayer, ConcatLayer, DropoutLayer, FullyConnectedLayer, InitialStateLayer,
    LinearLayer, LogisticSigmoidLayer, MultiplyLayer, OneMinusLayer, ReLULayer, SliceLayer,
    SoftmaxLayer, TanhLayer,
)
from .common import ExportError, optional_import, z_scoring_layer
from .onnx_file import Unusable, constant_value, load_onnx, sparse_array, tensor_array
from .onnx_images import IMAGE_OPERATORS, Refused, image_layer, image_z_scoring, inferred_shapes

__all__ = ["from_onnx", "IMPORT_OPSETS"]

#: the default-domain opsets ``from_onnx`` reads; for 2-D values every operator it maps means
#: the same in all of them (before 13, Softmax flattens to 2-D, which a 2-D value already is)
IMPORT_OPSETS = range(9, 23)
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
    and ``Sum`` of computed values (``AddLayer``), ``Concat`` on axis 1 (``ConcatLayer``),
    ``Mul`` of computed values (``MultiplyLayer``), ``Sub`` from 1 (``OneMinusLayer``), ``Slice``
    of columns (``SliceLayer``), ``Dropout`` (``DropoutLayer``), ``BatchNormalization`` with
    constant statistics (``BatchNormLayer``, its running ones), the ``Expand`` of a constant row
    ``to_onnx`` writes for an ``InitialStateLayer``;
    ``Conv``, ``MaxPool``, ``Flatten`` at axis 1 and the ``Reshape`` that flattens each
    observation (``graphnn.export.onnx_images``: what graphnn's image layers cannot represent,
    such as dilation, groups or asymmetric pads, is refused saying why);
    ``Cast`` to a floating type is skipped (graphnn computes in its inputs' dtype). A fused
    layer is named after its first ONNX node. Fully connected layers that read one
    initializer (with the same ``alpha`` and ``transB``) share one weight ``Parameter`` (and
    likewise their biases), as tied weights do: training updates it once for all of them.

    Every layer is built in one dtype: float64 if any floating input or constant of the model
    is float64, else float32 (float16 and bfloat16 constants are exact in it). Constants come
    from initializers (sparse ones too) and ``Constant`` nodes (``value``, ``sparse_value``,
    ``value_float(s)``, ``value_int(s)``); one holding text is refused only if a layer
    needs it. Tensor data saved outside the model is read from the model's folder (see
    ``load_onnx``). A model of any length imports (no recursion per node).

    Raises ``ExportError`` for a file that is not ONNX (or is truncated), a default-domain
    opset outside ``IMPORT_OPSETS``, ``outputs`` that name nothing (``[]``), an unknown value
    or a model input, a needed input that is not ``N x D`` or ``N x C x H x W`` (``N x 3 x 4`` can never run as a
    graphnn graph) or holds text, weights holding NaN or inf, and any other operator, naming
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
        onnx = optional_import("onnx", "onnx")
        self.helper, self.numpy_helper, self.TensorProto = onnx.helper, onnx.numpy_helper, onnx.TensorProto
        self.onnx_graph = model.graph
        self.constants = {t.name: tensor_array(t, f"initializer {t.name!r}") for t in model.graph.initializer}
        for sparse in model.graph.sparse_initializer:
            self.constants[sparse.values.name] = sparse_array(sparse, f"sparse initializer {sparse.values.name!r}")
        self.producer = {}
        for node in model.graph.node:
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
                self.constants[node.output[0]] = constant_value(node)
            else:
                for value in node.output:
                    self.producer[value] = node
        self.consumers = {}
        for node in model.graph.node:
            for value in node.input:
                self.consumers.setdefault(value, []).append(node)
        self.graph_outputs = [o.name for o in model.graph.output]
        self.dtype = self._network_dtype()
        # the shapes onnx's shape inference knows: a Reshape that flattens, the number of columns
        # a scalar mean or scale stretches to
        self.shapes = inferred_shapes(onnx, model)
        self.widths = {v: s[1] for v, s in self.shapes.items() if len(s) == 2 and s[1] is not None}

    def _network_dtype(self):
        """The one dtype of every layer imported: float64 if any floating input or constant of
        the model is float64, else float32 if any is floating (float16 and bfloat16 are exact
        in float32), else float64 (a model of integers)."""
        found = {c.dtype for c in self.constants.values() if isinstance(c, np.ndarray) and c.dtype.kind == "f"}
        for onnx_input in self.onnx_graph.input:
            elem = onnx_input.type.tensor_type.elem_type if onnx_input.type.HasField("tensor_type") else 0
            if elem in self.FLOAT_TYPES:
                found.add(np.dtype(np.float64) if elem == 11 else np.dtype(np.float32))
        if found and np.dtype(np.float64) not in found:
            return np.dtype(np.float32)
        return np.dtype(np.float64)

    def _number(self, name, node, output):
        """Constant ``name`` as a numpy array, or the refusal of ``node`` that reads it."""
        value = self.constants[name]
        if isinstance(value, Unusable):
            raise self._refuse(node, output, value.why)
        return value

    # ------------------------------------------------------------------ the graph
    def graph(self, outputs):
        outputs = self._checked_outputs(outputs)
        leads_to = self._needed(outputs)
        self.g, self.names, self.node_of, self.shared = Graph(), _Names(), {}, {}
        for onnx_input in self.onnx_graph.input:  # in the model's order, as a reader expects
            if onnx_input.name not in self.constants and onnx_input.name in leads_to:
                self._check_input(onnx_input, leads_to[onnx_input.name])
                self.node_of[onnx_input.name] = self.g.input(self.names(onnx_input.name, "X"))
        self._resolve_in_order(leads_to)
        for output in outputs:
            node = self._value(output, output)
            if self.g.nx.nodes[node]["kind"] == "input":  # Identity-like ops only (Cast, Sum of one)
                self.node_of[output] = self.g.add(LinearLayer(), node, name=self.names(output, "identity"))
        return self.g

    def _checked_outputs(self, outputs):
        given = outputs
        if outputs is None:
            outputs = self.graph_outputs
        elif isinstance(outputs, str):
            outputs = [outputs]
        else:
            try:
                outputs = list(outputs)
            except TypeError:
                raise ExportError(f"outputs must be a value's name or a list of names, got {given!r}") from None
        if not outputs:
            raise ExportError(
                f"outputs={given!r} names no value to import: give one or more, e.g. outputs="
                f"{self.graph_outputs[:1]!r} (the model's outputs: {', '.join(map(repr, self.graph_outputs))})"
            )
        inputs = {i.name for i in self.onnx_graph.input}
        known = set(self.producer) | inputs
        for output in outputs:
            if not isinstance(output, str):
                raise ExportError(f"outputs must name values by string, got {output!r} in {given!r}")
            if output not in known:
                raise ExportError(
                    f"the model has no value {output!r}; its outputs: {', '.join(map(repr, self.graph_outputs))}"
                )
            if output in inputs and output not in self.constants:
                raise ExportError(f"output {output!r} is an input of the model: nothing computes it")
        return list(dict.fromkeys(outputs))

    def _needed(self, outputs):
        """``{value: output}``: every value the ``outputs`` depend on, with the first output
        that reads it (for messages), found without recursion."""
        leads_to = {}
        for output in outputs:
            stack = [output]
            while stack:
                value = stack.pop()
                if value in leads_to or value in self.constants:
                    continue
                leads_to[value] = output
                producer = self.producer.get(value)
                if producer is not None:  # a Reshape's target shape is worked out, not imported
                    stack.extend(i for i in producer.input[:1 if producer.op_type == "Reshape" else None] if i)
        return leads_to

    def _check_input(self, onnx_input, output):
        """A model input graphnn can feed: a tensor of numbers, ``N x D`` where its shape is known."""
        kind = onnx_input.type.WhichOneof("value")
        if kind != "tensor_type":
            raise ExportError(f"input {onnx_input.name!r} (needed by output {output!r}) is a {kind}, "
                              "not a tensor; graphnn reads N x D matrices")
        tensor = onnx_input.type.tensor_type
        name = self.TensorProto.DataType.Name(tensor.elem_type)
        if name in ("STRING", "COMPLEX64", "COMPLEX128", "UNDEFINED"):
            raise ExportError(f"input {onnx_input.name!r} (needed by output {output!r}) holds {name} "
                              "values; graphnn reads real numbers")
        if tensor.HasField("shape") and len(tensor.shape.dim) not in (2, 4):
            dims = " x ".join(d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "?")
                              for d in tensor.shape.dim) or "a scalar"
            raise ExportError(
                f"input {onnx_input.name!r} (needed by output {output!r}) is {dims}, "
                f"{len(tensor.shape.dim)}-D: graphnn's values are N x D matrices or N x C x H x W images "
                "(one row or image per observation), so this model cannot run as a graphnn graph"
            )

    # Values that a consumer may fuse into its own layer (MatMul + Add of a bias, Sub/Add of a
    # mean + Mul/Div by a scale): those are left for that consumer to read.
    FUSED_INTO = {"MatMul": ("Add",), "Sub": ("Mul", "Div"), "Add": ("Mul", "Div")}

    def _resolve_in_order(self, leads_to):
        """Import the needed values in the model's (topological) order, so that reading any
        value recurses one or two steps only: a chain of thousands of nodes imports without
        Python's recursion limit. What cannot be imported is left for the reading of the
        outputs, which refuses it with the message naming the output it leads to."""
        for node in self.onnx_graph.node:
            for value in node.output:
                if value not in leads_to or value in self.node_of or value in self.constants:
                    continue
                consumers = self.consumers.get(value, [])
                fusing = self.FUSED_INTO.get(node.op_type, ())
                if len(consumers) == 1 and consumers[0].op_type in fusing and value not in self.graph_outputs:
                    continue
                try:
                    self._value(value, leads_to[value])
                except (ExportError, ValueError):  # ExportError, GraphError: raised again below
                    pass

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
            "Sub/Mul/Div by constants, Relu, Sigmoid, Tanh, Softmax, Identity, Add, Sum, Concat, Mul, "
            "1 - x, Slice, Dropout, BatchNormalization, Conv, MaxPool, Flatten, the Reshape that flattens "
            "and float Cast"
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
        if op == "Mul" and not any(i in self.constants for i in inputs):
            return self._add(MultiplyLayer(), node, inputs, output)
        if op == "Sub" and inputs[0] in self.constants and inputs[1] not in self.constants \
                and np.all(np.asarray(self.constants[inputs[0]]) == 1.0):
            return self._add(OneMinusLayer(), node, inputs[1:], output)
        if op in ("Sub", "Add", "Mul", "Div"):
            return self._normalisation(node, output)
        if op == "Slice":
            return self._slice(node, output)
        if op == "Dropout":
            ratio = float(np.ravel(self.constants[inputs[1]])[0]) if len(inputs) > 1 and inputs[1] \
                else attributes.get("ratio", 0.5)
            return self._add(DropoutLayer(ratio), node, inputs[:1], output)
        if op == "BatchNormalization":
            return self._batch_norm(node, attributes, output)
        if op == "Expand":
            return self._initial_state(node, output)
        if op in IMAGE_OPERATORS:
            try:
                layer, sources = image_layer(self, node, attributes)
            except Refused as refused:
                raise self._refuse(node, output, refused.why) from None
            return self._add(layer, node, sources, output)
        raise self._refuse(node, output)

    def _slice(self, node, output):
        """``Slice`` of constant starts and ends on axis 1, step 1, as a ``SliceLayer``."""
        inputs = list(node.input) + [""] * (5 - len(node.input))
        if any(i and i not in self.constants for i in inputs[1:]):
            raise self._refuse(node, output, "a Slice with computed starts, ends, axes or steps")
        starts, ends = (np.ravel(self.constants[i]) for i in inputs[1:3])
        axes = np.ravel(self.constants[inputs[3]]) if inputs[3] else np.arange(len(starts))
        steps = np.ravel(self.constants[inputs[4]]) if inputs[4] else np.ones(len(starts), dtype=np.int64)
        if list(axes) not in ([1], [-1]) or list(steps) != [1] or starts[0] < 0 or ends[0] <= starts[0]:
            raise self._refuse(node, output, "a Slice other than columns start:stop (axis 1, step 1, start >= 0)")
        return self._add(SliceLayer(int(starts[0]), int(ends[0])), node, inputs[:1], output)

    def _batch_norm(self, node, attributes, output):
        """``BatchNormalization`` (inference: its mean and variance constants), as a
        ``BatchNormLayer`` holding them as its running statistics."""
        inputs = list(node.input)
        if any(i not in self.constants for i in inputs[1:5]) or attributes.get("training_mode", 0):
            raise self._refuse(node, output, "a BatchNormalization in training mode or with computed statistics")
        scale, shift, mean, var = (np.asarray(self.constants[i]).reshape(1, -1) for i in inputs[1:5])
        layer = BatchNormLayer(scale.size, momentum=1.0 - attributes.get("momentum", 0.9),
                               eps=attributes.get("epsilon", 1e-5), dtype=self.dtype)
        layer.scale.value, layer.shift.value = scale.astype(self.dtype), shift.astype(self.dtype)
        layer.running_mean, layer.running_var = mean.astype(self.dtype), var.astype(self.dtype)
        return self._add(layer, node, inputs[:1], output)

    def _initial_state(self, node, output):
        """``Expand`` of a constant ``1 x H`` row to ``[rows of x, H]`` (as ``to_onnx`` writes an
        ``InitialStateLayer``: ``Shape``, ``Gather`` of entry 0, ``Concat`` with ``H``)."""
        state, size = node.input
        concat = self.producer.get(size)
        gather = self.producer.get(concat.input[0]) if concat is not None and concat.op_type == "Concat" else None
        shape = self.producer.get(gather.input[0]) if gather is not None and gather.op_type == "Gather" else None
        if state not in self.constants or shape is None or shape.op_type != "Shape":
            raise self._refuse(node, output, "an Expand other than a constant row repeated for each row of a value")
        value = np.asarray(self.constants[state])
        layer = InitialStateLayer(value.size, dtype=self.dtype)
        layer.state.value = value.reshape(1, -1).astype(self.dtype)
        return self._add(layer, node, [shape.input[0]], output)

    def _fully_connected(self, weights, biases, node, source, output, first, shared=(None, None)):
        """A ``FullyConnectedLayer`` ``x weights + biases`` reading ``source``. ``shared``: the
        keys (initializer and transformation) of the weights and biases; layers whose keys are
        equal share one ``Parameter``, as the model's layers share one initializer."""
        if weights.ndim != 2:
            raise self._refuse(first, output, f"a weight matrix of shape {weights.shape}, not 2-D")
        if not (np.all(np.isfinite(weights)) and np.all(np.isfinite(biases))):
            raise self._refuse(first, output, "weights or biases that hold NaN or inf")
        layer = FullyConnectedLayer(*weights.shape, dtype=self.dtype)
        layer.setWeights(weights)
        try:
            layer.setBiases(np.broadcast_to(biases, (1, weights.shape[1])))
        except ValueError:
            raise self._refuse(node, output, f"a bias of shape {np.shape(biases)} for {weights.shape[1]} outputs") from None
        for attribute, key in zip(("weights", "biases"), shared):
            if key is not None:
                parameter = self.shared.setdefault((attribute, key), getattr(layer, attribute))
                if parameter.shape == getattr(layer, attribute).shape:
                    setattr(layer, attribute, parameter)
        return self._add(layer, node, [source], output, first=first)

    def _gemm(self, node, attributes, output):
        inputs = list(node.input)
        if attributes.get("transA", 0) or inputs[1] not in self.constants:
            raise self._refuse(node, output, "Gemm with transA=1 or a computed (not constant) B")
        with np.errstate(over="ignore", invalid="ignore"):  # inf or NaN: refused as such below
            weights = self._number(inputs[1], node, output) * attributes.get("alpha", 1.0)
        if attributes.get("transB", 0):
            weights = weights.T
        if len(inputs) > 2 and inputs[2]:
            if inputs[2] not in self.constants:
                raise self._refuse(node, output, "Gemm with a computed (not constant) C")
            with np.errstate(over="ignore", invalid="ignore"):
                biases = self._number(inputs[2], node, output) * attributes.get("beta", 1.0)
        else:
            biases = np.zeros(weights.shape[1], dtype=weights.dtype)
        shared = ((inputs[1], attributes.get("alpha", 1.0), attributes.get("transB", 0)),
                  (inputs[2], attributes.get("beta", 1.0)) if len(inputs) > 2 and inputs[2] else None)
        return self._fully_connected(weights, biases.astype(weights.dtype), node, inputs[0], output, node, shared)

    def _matmul(self, node, output, add=None):
        """``x W`` (and ``+ b`` when ``add`` is the Add of a constant bias that follows)."""
        source, weights = node.input
        if weights not in self.constants or source in self.constants:
            raise self._refuse(node, output, "MatMul of two computed values (graphnn multiplies by weights only)")
        key = (weights, 1.0, 0)  # shared with a Gemm reading the same initializer as it is
        weights = self._number(weights, node, output)
        if add is None:  # no bias: the layer's biases are zeros
            return self._fully_connected(weights, np.zeros(weights.shape[1:], weights.dtype), node, source, output, node,
                                         (key, None))
        bias = next(i for i in add.input if i in self.constants)
        return self._fully_connected(weights, self._number(bias, add, output), add, source, output, node,
                                     (key, (bias, 1.0)))

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
                with np.errstate(over="ignore"):  # 1 / 1e-320 is inf: refused below
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
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
            raise self._refuse(first, output, "a mean or scale that holds NaN or inf")
        mean, scale = (np.asarray(a, dtype=self.dtype) for a in (mean, scale))
        try:  # images z-scored channel by channel (None: the value is not an image)
            layer = image_z_scoring(self, computed, mean, scale)
        except Refused as refused:
            raise self._refuse(first, output, refused.why) from None
        if layer is not None:
            return self._add(layer, first, [computed], output)
        width = max(np.size(mean), np.size(scale))
        if width == 1:  # one mean and one scale for every column: as many as the value has
            width = self.widths.get(computed, 1)
        if np.ndim(mean) > 2 or np.ndim(scale) > 2 or {np.size(mean), np.size(scale)} - {1, width}:
            raise self._refuse(first, output, "constants that are not one value per column")
        return self._add(z_scoring_layer(mean, scale, width), first, [computed], output)

    def _computed_and_constant(self, node, output, ordered):
        a, b = node.input
        if b in self.constants and a not in self.constants:
            return a, self._number(b, node, output)
        if not ordered and a in self.constants and b not in self.constants:
            return b, self._number(a, node, output)
        raise self._refuse(
            node, output,
            f"{node.op_type} of two computed values, or of a constant by a value (graphnn's z-scoring "
            "layer reads (x - mean) * scale)"
        )

