"""``to_torch``: a graph as a ``torch.nn.Module`` with the same weights and the same ``J``;
``from_torch``: a ``Graph`` from a ``torch.nn.Sequential``."""
import re

import numpy as np

from ..graph import Graph
from ..layers import (
    AddLayer, ConcatLayer, FullyConnectedLayer, InputLayer, LinearLayer, LogisticSigmoidLayer, ReLULayer,
    SoftmaxLayer, TanhLayer,
)
from ..objectives import CrossEntropy, LogLoss, SquaredError
from .common import (
    ExportError, column_widths, needed_nodes, network_dtype, optional_import, predictions, unique_names,
)

__all__ = ["to_torch", "from_torch"]


def _torch_parts():
    """The PyTorch modules ``to_torch`` builds (defined on first use: torch is optional)."""
    torch = optional_import("torch", "torch")
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

        def __init__(self, steps, modules, input_names, output_names, objectives, dtype, widths=None):
            super().__init__()
            self.widths = dict(widths or {})  # input -> its number of columns, where the graph fixes it
            self.layers = nn.ModuleDict(modules)
            self.steps, self.input_names, self.output_names = steps, input_names, output_names
            self.objectives = objectives  # (name, weight, kind, target, estimate)
            self.dtype = dtype
            self.keys = {name: key for name, key, _ in steps}

        def layer(self, name):
            """The module computing graphnn node ``name``."""
            if name not in self.keys:
                raise KeyError(f"no layer node {name!r} in this module; its layers: {list(self.keys)}")
            return self.layers[self.keys[name]]

        def _run(self, feed):
            values = dict(feed)
            for name, key, sources in self.steps:
                values[name] = self.layers[key](*[values[s] for s in sources])
            return values

        def _feed(self, args, kwargs, names):
            if len(args) > len(self.input_names):
                raise TypeError(f"{len(args)} inputs given; the module reads {self.input_names}")
            feed = dict(zip(self.input_names, args))
            feed.update(kwargs)
            missing = [n for n in names if n not in feed]
            if missing:
                raise TypeError(f"missing input(s) {', '.join(map(repr, missing))}; the module reads {names}")
            # graphnn takes data of any numeric dtype and computes in the network's: so does the
            # module (one of activations only computes in its input's floating dtype)
            feed = {name: _as_float(torch.as_tensor(value), self.dtype) for name, value in feed.items()}
            for name, value in feed.items():  # N x D, as graphnn reads: torch would broadcast a vector
                width = self.widths.get(name)
                if value.dim() != 2 or (width is not None and value.shape[1] != width):
                    wanted = f"N x {width}" if width is not None else "N x D"
                    raise ValueError(f"input {name!r} is {' x '.join(map(str, value.shape)) or 'a scalar'}; "
                                     f"the module reads it {wanted}, one row per observation")
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

    def _as_float(tensor, dtype):
        if dtype is None:
            dtype = tensor.dtype if tensor.is_floating_point() else torch.float64
        return tensor.to(dtype)

    def squared_error(y, p):
        return ((y - p) ** 2).sum(dim=1).mean()

    def log_loss(y, p):
        p = p.clamp(1e-7, 1 - 1e-7)
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum(dim=1).mean()

    def cross_entropy(y, p):
        return -(y * torch.log(p.clamp(min=1e-7))).sum(dim=1).mean()

    losses = {SquaredError: squared_error, LogLoss: log_loss, CrossEntropy: cross_entropy}
    return torch, ZScore, Sum, Concat, GraphModule, losses


def to_torch(graph, *, dtype=None):
    """A ``torch.nn.Module`` (a ``GraphModule``) computing ``graph``'s prediction with the
    same weights, copied into ``torch.nn.Linear`` layers (a parameter shared by two layers
    stays shared), in one dtype, ``module.dtype``: ``dtype`` (float32 or float64) when given,
    else the network's, decided as ``to_onnx`` decides it (the parameters' dtype; z-scoring
    statistics follow it). Inputs of another dtype (float64 data for a float32 network,
    integers) are converted to it, as graphnn converts what it is fed. A network of
    activations only has no dtype of its own (``module.dtype`` is ``None``): it computes in
    its input's floating dtype (float64 for integers). Each input must be ``N x D`` (``D`` as
    the graph fixes it): anything else is a ``ValueError`` naming the input, where torch would
    broadcast a vector into a wrong answer or fail inside a layer.

    ``module(X)`` (inputs in ``module.input_names`` order, or by name) equals
    ``graph.forward``'s prediction; ``module.objective(X=..., Y=...)`` is the graph's ``J``
    (clipping as graphnn's objectives clip), so ``module.objective(...).backward()`` leaves
    in each ``weight.grad`` the transpose of graphnn's ``weights.grad`` (both the gradient of
    the mean ``J``). ``module.layer(name)`` is node ``name``'s module; it is
    ``module.layers[key]``, ``key`` being the name with ``.`` replaced by ``_`` (``module.keys``
    maps each node to its key), with ``_2``, ``_3``, ... added where that key is another
    node's (``enc.fc`` and ``enc_fc``) or a name ``nn.ModuleDict`` uses itself (``train``,
    ``forward``). Raises ``ExportError`` for a graph with no prediction or a layer or
    objective with no torch counterpart.
    """
    torch, ZScore, Sum, Concat, GraphModule, losses = _torch_parts()
    nn = torch.nn
    simple = {LinearLayer: nn.Identity, ReLULayer: nn.ReLU, LogisticSigmoidLayer: nn.Sigmoid, TanhLayer: nn.Tanh}
    outputs = predictions(graph)
    needed = needed_nodes(graph, outputs + list(graph.objectives))
    dtype = network_dtype(graph, needed, dtype, default=None)
    torch_dtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64, None: None}[dtype]
    shared, modules, steps = {}, {}, []
    reserved = nn.ModuleDict()
    module_key = unique_names(allowed=lambda key: not hasattr(reserved, key))

    def parameter(p, transpose):
        if id(p) not in shared:
            value = p.value.T if transpose else p.value.reshape(-1)
            shared[id(p)] = nn.Parameter(torch.tensor(np.ascontiguousarray(value, dtype=dtype)))
        return shared[id(p)]

    objectives = []
    for name in needed:
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
            module = nn.Linear(op.sizeIn, op.sizeOut, dtype=torch_dtype)
            module.weight = parameter(op.weights, transpose=True)
            module.bias = parameter(op.biases, transpose=False)
        elif type(op) is InputLayer:
            module = ZScore(np.asarray(op.meanX, dtype=dtype), np.asarray(op.inverse_std, dtype=dtype))
        elif type(op) is AddLayer:
            module = Sum()
        elif type(op) is ConcatLayer:
            module = Concat()
        else:
            raise ExportError(f"node {name!r} ({op.describe()}): no torch counterpart for {type(op).__name__}")
        key = module_key(name.replace(".", "_"))
        modules[key] = module
        steps.append((name, key, graph.predecessors(name)))
    needed_inputs = [n for n in graph.inputs if n in set(needed_nodes(graph, outputs))]
    widths = column_widths(graph)
    inputs = [n for n in graph.nodes if graph.nx.nodes[n]["kind"] == "input"]
    return GraphModule(steps, modules, needed_inputs, outputs, objectives, torch_dtype,
                       {n: widths[n] for n in inputs if n in widths})


def from_torch(module, input="X"):
    """A ``Graph`` from a ``torch.nn.Sequential`` of ``Linear``, ``ReLU``, ``Sigmoid``,
    ``Tanh``, ``Softmax`` (over dimension 1 or -1) and ``Identity`` (and Sequentials of those,
    read in order), with the same weights, reading the input named ``input``.

    Every use of a child is a layer: a module that appears twice (the same ``Tanh``, or a
    ``Linear`` whose weights are shared) gives two nodes, and a shared ``Linear``'s two layers
    share one weight ``Parameter`` and one bias ``Parameter``, as in torch. The weights are
    copied in one dtype for the whole network: float64 if any ``Linear`` is float64, else
    float32 (float16 and bfloat16 weights become float32 exactly; numpy has no bfloat16).

    Nodes are named after the Sequential's children when those names are valid graphnn names
    (an ``OrderedDict`` of names; ``outer.inner`` inside a nested Sequential), else generated
    (``fc1``, ``relu1``, ...). Add an objective to train it or draw its gradients. Raises
    ``ExportError`` for a module that is not an ``nn.Sequential``, or naming the child that
    graphnn cannot map.
    """
    torch = optional_import("torch", "torch")
    nn = torch.nn
    if not isinstance(module, nn.Sequential):
        raise ExportError(f"from_torch takes an nn.Sequential, got {type(module).__name__}")
    children = list(_children(nn, module))
    if not children:
        raise ExportError("the Sequential is empty: no layer to import")
    dtype = _torch_network_dtype(torch, children)
    simple = {nn.ReLU: ReLULayer, nn.Sigmoid: LogisticSigmoidLayer, nn.Tanh: TanhLayer, nn.Identity: LinearLayer}
    g = Graph()
    node = g.input(input)
    linear_layers = {}  # id(nn.Linear) -> its first FullyConnectedLayer, whose parameters a reuse shares
    for child_name, child in children:
        kind = type(child)
        if kind in simple:
            layer = simple[kind]()
        elif kind is nn.Softmax and child.dim in (1, -1, None):  # None: torch's implicit dim, 1 for N x D
            layer = SoftmaxLayer()
        elif kind is nn.Linear:
            layer = FullyConnectedLayer(child.in_features, child.out_features, dtype=dtype)
            first = linear_layers.setdefault(id(child), layer)
            if first is not layer:  # the same nn.Linear again: the same parameters
                layer.weights, layer.biases = first.weights, first.biases
            else:
                layer.setWeights(_numpy(torch, child.weight, dtype).T)
                if child.bias is not None:
                    layer.setBiases(_numpy(torch, child.bias, dtype).reshape(1, -1))
                else:
                    layer.setBiases(np.zeros((1, child.out_features)))
        else:
            detail = f"Softmax over dim {child.dim}" if kind is nn.Softmax else kind.__name__
            raise ExportError(
                f"layer {child_name!r} of the Sequential ({detail}): graphnn maps Linear, ReLU, "
                "Sigmoid, Tanh, Softmax (dim 1) and Identity only"
            )
        valid = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*", child_name)
        name = child_name if valid and child_name not in g.nx else None
        node = g.add(layer, node, name=name)
    return g


def _children(nn, sequential, prefix=""):
    """``(name, module)`` for every entry of ``sequential`` in order, a module listed twice
    each time (``named_children`` yields it once), nested Sequentials read in place
    (``outer.inner``)."""
    for name, child in sequential._modules.items():
        if child is None:
            continue
        if isinstance(child, nn.Sequential):
            yield from _children(nn, child, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", child


def _torch_network_dtype(torch, children):
    """The numpy dtype of the whole network: float64 if any ``Linear`` holds float64, else
    float32 (float16 and bfloat16 are exact in it); ``ExportError`` for weights that are not
    floating point."""
    dtypes = set()
    for name, child in children:
        for tensor in (getattr(child, "weight", None), getattr(child, "bias", None)):
            if isinstance(tensor, torch.Tensor):
                if not tensor.is_floating_point():
                    raise ExportError(f"layer {name!r} of the Sequential holds {tensor.dtype} weights; "
                                      "graphnn needs floating-point ones")
                dtypes.add(tensor.dtype)
    return np.dtype(np.float64) if torch.float64 in dtypes else np.dtype(np.float32)


def _numpy(torch, tensor, dtype):
    """A torch tensor as a numpy array in ``dtype`` (through float32/float64: numpy has no
    bfloat16)."""
    wide = torch.float64 if dtype == np.float64 else torch.float32
    return tensor.detach().cpu().to(wide).numpy().astype(dtype, copy=False)
