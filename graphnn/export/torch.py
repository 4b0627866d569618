"""``to_torch``: a graph as a ``torch.nn.Module`` with the same weights and the same ``J``;
``from_torch``: a ``Graph`` from a ``torch.nn.Sequential``, or back from the module ``to_torch``
made (after training it in PyTorch, say)."""
import functools
import re

import numpy as np

from ..graph import Graph
from ..layers import (
    AddLayer, BatchNormLayer, ConcatLayer, DropoutLayer, FullyConnectedLayer, InitialStateLayer, InputLayer,
    LinearLayer, LogisticSigmoidLayer, MultiplyLayer, OneMinusLayer, ReLULayer, SliceLayer, SoftmaxLayer,
    TanhLayer,
)
from ..objectives import CrossEntropy, LogLoss, SquaredError
from .common import ExportError, needed_nodes, optional_import, predictions, z_scoring_layer

__all__ = ["to_torch", "from_torch"]


def _torch_parts():
    """The PyTorch modules ``to_torch`` builds (defined on first use: torch is optional)."""
    return _parts_of(optional_import("torch", "torch"))


@functools.lru_cache(maxsize=None)
def _parts_of(torch):
    """``_torch_parts`` for the module ``torch``: defined once, so that ``from_torch`` knows a
    ``GraphModule`` by its class."""
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

    class Multiply(nn.Module):
        def forward(self, a, b):
            return a * b

    class OneMinus(nn.Module):
        def forward(self, x):
            return 1 - x

    class Slice(nn.Module):
        """Columns ``start:stop``, graphnn's ``SliceLayer``."""

        def __init__(self, start, stop):
            super().__init__()
            self.start, self.stop = start, stop

        def forward(self, x):
            return x[:, self.start:self.stop]

    class InitialState(nn.Module):
        """The learnable row ``state`` repeated for each row of ``x``, graphnn's
        ``InitialStateLayer``."""

        def __init__(self, state):
            super().__init__()
            self.state = state

        def forward(self, x):
            return self.state.expand(x.shape[0], -1)

    class GraphModule(nn.Module):
        """A graphnn ``Graph`` as a ``torch.nn.Module``: ``forward(*inputs)`` takes the graph's
        prediction inputs in ``input_names`` order (or by name) and returns the prediction (a
        tensor, or a tuple when there are several, in ``output_names`` order);
        ``objective(**feed)`` is the graph's ``J``, the same weighted sum of mean losses.
        ``graph_inputs`` are every input the module reads (targets included), in the graph's
        order; ``from_torch`` rebuilds the graph from these and ``steps``."""

        def __init__(self, steps, modules, input_names, output_names, objectives, graph_inputs):
            super().__init__()
            self.layers = nn.ModuleDict(modules)
            self.steps, self.input_names, self.output_names = steps, input_names, output_names
            self.objectives = objectives  # (name, weight, kind, target, estimate); kind: "LogLoss", ...
            self.graph_inputs = graph_inputs

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
            for _, weight, kind, target, estimate in self.objectives:
                total = total + weight * losses[kind](values[target], values[estimate])
            return total

    def squared_error(y, p):
        return ((y - p) ** 2).sum(dim=1).mean()

    def log_loss(y, p):
        p = p.clamp(1e-7, 1 - 1e-7)
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum(dim=1).mean()

    def cross_entropy(y, p):
        return -(y * torch.log(p.clamp(min=1e-7))).sum(dim=1).mean()

    losses = {"SquaredError": squared_error, "LogLoss": log_loss, "CrossEntropy": cross_entropy}
    extra = dict(Multiply=Multiply, OneMinus=OneMinus, Slice=Slice, InitialState=InitialState)
    return torch, ZScore, Sum, Concat, GraphModule, losses, extra


#: the objectives ``to_torch`` writes, by the name a ``GraphModule`` keeps for each
_OBJECTIVES = {cls.__name__: cls for cls in (SquaredError, LogLoss, CrossEntropy)}


def to_torch(graph):
    """A ``torch.nn.Module`` (a ``GraphModule``) computing ``graph``'s prediction with the
    same weights, copied into ``torch.nn.Linear`` layers (a parameter shared by two layers
    stays shared), in the parameters' dtype.

    ``module(X)`` (inputs in ``module.input_names`` order, or by name) equals
    ``graph.forward``'s prediction; ``module.objective(X=..., Y=...)`` is the graph's ``J``
    (clipping as graphnn's objectives clip), so ``module.objective(...).backward()`` leaves
    in each ``weight.grad`` the transpose of graphnn's ``weights.grad`` (both the gradient of
    the mean ``J``). ``MultiplyLayer``, ``OneMinusLayer``, ``SliceLayer`` and
    ``InitialStateLayer`` become small modules of their own (an unrolled RNN or GRU is these,
    its tied weights one ``nn.Parameter``), ``DropoutLayer`` an ``nn.Dropout`` and
    ``BatchNormLayer`` an ``nn.BatchNorm1d`` with its running statistics; the module is in the
    graph's mode (``module.training == graph.training``). ``module.layers[key]`` holds node ``name``'s module, ``key`` being the
    name with ``.`` replaced by ``_``. Raises ``ExportError`` for a graph with no prediction
    or a layer or objective with no torch counterpart.
    """
    torch, ZScore, Sum, Concat, GraphModule, losses, extra = _torch_parts()
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
    for name in needed_nodes(graph, outputs + list(graph.objectives)):
        op, kind = graph.op(name), graph.nx.nodes[name]["kind"]
        if kind == "input":
            continue
        if kind == "objective":
            kind = type(op).__name__
            if _OBJECTIVES.get(kind) is not type(op):
                raise ExportError(f"objective {name!r} ({op.describe()}): no torch counterpart")
            target, estimate = graph.predecessors(name)
            objectives.append((name, graph.nx.nodes[name]["weight"], kind, target, estimate))
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
        elif type(op) is MultiplyLayer:
            module = extra["Multiply"]()
        elif type(op) is OneMinusLayer:
            module = extra["OneMinus"]()
        elif type(op) is SliceLayer:
            module = extra["Slice"](op.start, op.stop)
        elif type(op) is InitialStateLayer:
            module = extra["InitialState"](parameter(op.state, transpose=False))
        elif type(op) is DropoutLayer:
            module = nn.Dropout(op.p)
        elif type(op) is BatchNormLayer:
            dtype = torch.float64 if op.running_mean.dtype == np.float64 else torch.float32
            module = nn.BatchNorm1d(op.width, eps=op.eps, momentum=op.momentum, dtype=dtype)
            module.weight = parameter(op.scale, transpose=False)
            module.bias = parameter(op.shift, transpose=False)
            with torch.no_grad():
                module.running_mean.copy_(torch.from_numpy(op.running_mean[0].copy()))
                module.running_var.copy_(torch.from_numpy(op.running_var[0].copy()))
        else:
            raise ExportError(f"node {name!r} ({op.describe()}): no torch counterpart for {type(op).__name__}")
        key = name.replace(".", "_")
        modules[key] = module
        steps.append((name, key, graph.predecessors(name)))
    needed_inputs = [n for n in graph.inputs if n in set(needed_nodes(graph, outputs))]
    read = set(needed_nodes(graph, outputs + list(graph.objectives)))
    objectives.sort(key=lambda objective: graph.objectives.index(objective[0]))  # the order they were added
    module = GraphModule(steps, modules, needed_inputs, outputs, objectives, [n for n in graph.inputs if n in read])
    return module.train(graph.training)  # dropout and batch norm: the graph's mode


def from_torch(module, input="X"):
    """A ``Graph`` from a ``torch.nn.Sequential``, or from the module ``to_torch`` made, with
    the module's weights (copied, in their dtype).

    A ``to_torch`` module (a ``GraphModule``, trained in PyTorch or not) comes back as the graph
    it was made from: the same node names, layers, z-scoring statistics and objectives (with
    their weights), a parameter shared by two layers shared again; ``input`` is not used. This
    is the way back after training in PyTorch, with ``DistributedDataParallel`` for instance
    (pass the module, not the ``DistributedDataParallel`` wrapping it; docs/distributed.md).

    A ``Sequential`` may hold ``Linear``, ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax`` (over
    dimension 1 or -1), ``Identity``, ``Dropout`` and ``BatchNorm1d`` (affine, with running
    statistics); the graph reads the input named ``input``. Either way the graph takes the
    module's mode (``module.training``). (A ``torch.nn.RNN`` or ``GRU`` becomes a cell:
    ``RNNCell.from_torch``, ``GRUCell.from_torch``, then ``graphnn.unroll``.) Nodes are
    named after the Sequential's children when those names are valid graphnn names (an
    ``OrderedDict`` of names), else generated (``fc1``, ``relu1``, ...); a ``Linear`` the
    Sequential runs twice gives two layers sharing their parameters. Add an objective to train
    it or draw its gradients.

    Raises ``ExportError`` for a module that is neither, or naming the child that graphnn
    cannot map.
    """
    torch, ZScore, Sum, Concat, GraphModule, _, extra = _torch_parts()
    nn = torch.nn
    if isinstance(module, GraphModule):
        return _from_graph_module(module, nn, ZScore, Sum, Concat, extra).train(module.training)
    if not isinstance(module, nn.Sequential):
        wrapper = isinstance(getattr(module, "module", None), nn.Module)  # DistributedDataParallel, ...
        raise ExportError(
            f"from_torch takes an nn.Sequential, got {type(module).__name__} (or a module to_torch made"
            + ("; pass the model it wraps, its .module)" if wrapper else ")")
        )
    simple = {nn.ReLU: ReLULayer, nn.Sigmoid: LogisticSigmoidLayer, nn.Tanh: TanhLayer, nn.Identity: LinearLayer}
    g, shared = Graph(), {}
    node = g.input(input)
    # every child the Sequential runs, a child listed twice too (named_children lists it once)
    children = [(name, child) for name, child in module.named_modules(remove_duplicate=False)
                if name and "." not in name]
    for child_name, child in children:
        kind = type(child)
        if kind in simple:
            layer = simple[kind]()
        elif kind is nn.Softmax and child.dim in (1, -1):
            layer = SoftmaxLayer()
        elif kind is nn.Linear:
            layer = _fully_connected(child, shared)
        elif kind is nn.Dropout:
            layer = DropoutLayer(child.p)
        elif kind is nn.BatchNorm1d and child.affine and child.track_running_stats:
            layer = _batch_norm(child)
        else:
            detail = f"Softmax over dim {child.dim}" if kind is nn.Softmax else kind.__name__
            raise ExportError(
                f"layer {child_name!r} of the Sequential ({detail}): graphnn maps Linear, ReLU, "
                "Sigmoid, Tanh, Softmax (dim 1), Identity, Dropout and BatchNorm1d (affine, with "
                "running statistics) only"
            )
        name = child_name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", child_name) and child_name not in g.nx else None
        node = g.add(layer, node, name=name)
    return g.train(module.training)


def _batch_norm(child):
    """A ``BatchNormLayer`` with the scale, shift and running statistics of ``child``, an
    ``nn.BatchNorm1d``."""
    dtype = _numpy(child.weight).dtype
    layer = BatchNormLayer(child.num_features, momentum=child.momentum, eps=child.eps, dtype=dtype)
    layer.scale.value = _numpy(child.weight).reshape(1, -1)
    layer.shift.value = _numpy(child.bias).reshape(1, -1)
    layer.running_mean = _numpy(child.running_mean).reshape(1, -1)
    layer.running_var = _numpy(child.running_var).reshape(1, -1)
    return layer


def _numpy(tensor):
    return tensor.detach().cpu().numpy().copy()


def _fully_connected(linear, shared=None):
    """A ``FullyConnectedLayer`` with ``linear``'s weights (``W^T``) and bias (zeros when it has
    none). With ``shared`` (a dict), a torch parameter met before gives the same graphnn
    ``Parameter`` again, so that tied weights stay tied."""
    weight = _numpy(linear.weight)
    layer = FullyConnectedLayer(linear.in_features, linear.out_features, dtype=weight.dtype)
    layer.setWeights(weight.T)
    bias = np.zeros((1, linear.out_features), dtype=weight.dtype) if linear.bias is None else _numpy(linear.bias)
    layer.setBiases(bias.reshape(1, -1))
    if shared is not None:
        for attribute, tensor in (("weights", linear.weight), ("biases", linear.bias)):
            if tensor is None:
                continue
            if id(tensor) in shared:
                setattr(layer, attribute, shared[id(tensor)])
            else:
                shared[id(tensor)] = getattr(layer, attribute)
    return layer


def _from_graph_module(module, nn, ZScore, Sum, Concat, extra):
    """The graph a ``GraphModule`` was made from, with the module's current weights."""
    simple = {nn.ReLU: ReLULayer, nn.Sigmoid: LogisticSigmoidLayer, nn.Tanh: TanhLayer, nn.Identity: LinearLayer,
              Sum: AddLayer, Concat: ConcatLayer, extra["Multiply"]: MultiplyLayer, extra["OneMinus"]: OneMinusLayer}
    states = {}  # id(torch parameter) -> the graphnn Parameter of an initial state, tied again
    g, shared = Graph(), {}
    for name in module.graph_inputs:
        g.input(name)
    for name, key, sources in module.steps:
        child = module.layers[key]
        kind = type(child)
        if kind in simple:
            layer = simple[kind]()
        elif kind is nn.Softmax:
            layer = SoftmaxLayer()
        elif kind is nn.Linear:
            layer = _fully_connected(child, shared)
        elif kind is ZScore:
            layer = z_scoring_layer(_numpy(child.mean), _numpy(child.inverse_std))
        elif kind is extra["Slice"]:
            layer = SliceLayer(child.start, child.stop)
        elif kind is extra["InitialState"]:
            state = _numpy(child.state)
            layer = InitialStateLayer(state.size, dtype=state.dtype)
            layer.state.value = state.reshape(1, -1)
            layer.state = states.setdefault(id(child.state), layer.state)
        elif kind is nn.Dropout:
            layer = DropoutLayer(child.p)
        elif kind is nn.BatchNorm1d:
            layer = _batch_norm(child)
        else:  # only a module changed by hand after to_torch made it
            raise ExportError(f"node {name!r} of the module holds a {kind.__name__}, which to_torch does not make")
        g.add(layer, *sources, name=name)
    for name, weight, kind, target, estimate in module.objectives:
        g.add(_OBJECTIVES[kind](), target, estimate, name=name, weight=weight)
    return g
