"""``to_torch``: a graph as a ``torch.nn.Module`` with the same weights and the same ``J``;
``from_torch``: a ``Graph`` from a ``torch.nn.Sequential``, or back from the module ``to_torch``
made (after training it in PyTorch, say)."""
import functools
import re

import numpy as np

from ..graph import Graph
from ..layers import (
    AddLayer, BatchNormLayer, ConcatLayer, ConvolutionalLayer, DropoutLayer, FlatteningLayer, FullyConnectedLayer,
    InitialStateLayer, InputLayer, LinearLayer, LogisticSigmoidLayer, MaxPoolLayer, MultiplyLayer, OneMinusLayer,
    ReLULayer, SliceLayer, SoftmaxLayer, TanhLayer,
)
from ..objectives import CrossEntropy, LogLoss, SquaredError
from .common import (
    ExportError, describe_dims, needed_nodes, network_dtype, optional_import, predictions, unique_names,
    value_shapes, z_scoring_layer,
)
from .torch_layers import (
    batch_norm_layer, conv_layer, flatten_layer, fully_connected_layer, max_pool_layer, numpy_of, one_dtype,
)

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

        def __init__(self, mean, inverse_std, feature_shape=None):
            super().__init__()
            self.feature_shape = feature_shape  # (C, H, W) for images z-scored by channel
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
        order; ``from_torch`` rebuilds the graph from these and ``steps``. ``dtype`` is the
        torch dtype it computes in, every input converted to it (``None``: its input's floating
        dtype), kept up to date when torch casts the module (``module.float()``, ...);
        ``shapes`` each input's shape per observation where the graph fixes it (``(D,)``,
        ``(C, H, W)``, ``None`` for a size left open); ``layer(name)`` the
        module of node ``name``, ``keys`` its key in ``layers``."""

        def __init__(self, steps, modules, input_names, output_names, objectives, graph_inputs, dtype, shapes=None):
            super().__init__()
            self.shapes = dict(shapes or {})  # input -> its shape per observation, where the graph fixes it
            self.layers = nn.ModuleDict(modules)
            self.steps, self.input_names, self.output_names = steps, input_names, output_names
            self.objectives = objectives  # (name, weight, kind, target, estimate); kind: "LogLoss", ...
            self.graph_inputs = graph_inputs
            self.dtype = dtype
            self.keys = {name: key for name, key, _ in steps}

        def layer(self, name):
            """The module computing graphnn node ``name``."""
            if name not in self.keys:
                raise KeyError(f"no layer node {name!r} in this module; its layers: {list(self.keys)}")
            return self.layers[self.keys[name]]

        def _apply(self, fn, *args, **kwargs):
            # module.float(), .double(), .to(dtype) cast every tensor: inputs follow (``_feed``)
            module = super()._apply(fn, *args, **kwargs)
            dtypes = {t.dtype for t in (*self.parameters(), *self.buffers()) if t.is_floating_point()}
            if len(dtypes) == 1:
                self.dtype = dtypes.pop()
            return module

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
            for name, value in feed.items():  # batch first, as graphnn reads: torch would broadcast a vector
                shape = self.shapes.get(name)
                if value.dim() < 2 if shape is None else (value.dim() != len(shape) + 1 or any(
                        size is not None and size != given for size, given in zip(shape, value.shape[1:]))):
                    wanted = "N x D" if shape is None else describe_dims(shape)
                    each = "image" if shape is not None and len(shape) == 3 else "row"
                    raise ValueError(f"input {name!r} is {' x '.join(map(str, value.shape)) or 'a scalar'}; "
                                     f"the module reads it {wanted}, one {each} per observation")
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

    losses = {"SquaredError": squared_error, "LogLoss": log_loss, "CrossEntropy": cross_entropy}
    extra = dict(Multiply=Multiply, OneMinus=OneMinus, Slice=Slice, InitialState=InitialState)
    return torch, ZScore, Sum, Concat, GraphModule, losses, extra


#: the objectives ``to_torch`` writes, by the name a ``GraphModule`` keeps for each
_OBJECTIVES = {cls.__name__: cls for cls in (SquaredError, LogLoss, CrossEntropy)}


def to_torch(graph, *, dtype=None):
    """A ``torch.nn.Module`` (a ``GraphModule``) computing ``graph``'s prediction with the
    same weights, copied into ``torch.nn.Linear`` layers (a parameter shared by two layers
    stays shared), in one dtype, ``module.dtype``: ``dtype`` (float32 or float64) when given,
    else the network's, decided as ``to_onnx`` decides it (the parameters' dtype; z-scoring
    statistics follow it). Inputs of another dtype (float64 data for a float32 network,
    integers) are converted to it, as graphnn converts what it is fed. A network of
    activations only has no dtype of its own (``module.dtype`` is ``None``): it computes in
    its input's floating dtype (float64 for integers). Each input must be ``N x D`` or
    ``N x C x H x W`` (the sizes as the graph fixes them): anything else is a ``ValueError`` naming the input, where torch would
    broadcast a vector into a wrong answer or fail inside a layer.

    ``module(X)`` (inputs in ``module.input_names`` order, or by name) equals
    ``graph.forward``'s prediction; ``module.objective(X=..., Y=...)`` is the graph's ``J``
    (clipping as graphnn's objectives clip), so ``module.objective(...).backward()`` leaves
    in each ``weight.grad`` the transpose of graphnn's ``weights.grad`` (both the gradient of
    the mean ``J``). ``MultiplyLayer``, ``OneMinusLayer``, ``SliceLayer`` and
    ``InitialStateLayer`` become small modules of their own (an unrolled RNN or GRU is these,
    ``ConvolutionalLayer``, ``MaxPoolLayer`` and ``FlatteningLayer`` are ``nn.Conv2d`` (the same
    ``O x C x kh x kw`` kernels), ``nn.MaxPool2d`` and ``nn.Flatten``,
    its tied weights one ``nn.Parameter``), ``DropoutLayer`` an ``nn.Dropout`` and
    ``BatchNormLayer`` an ``nn.BatchNorm1d`` with its running statistics; the module is in the
    graph's mode (``module.training == graph.training``). ``module.layer(name)`` is node ``name``'s module; it is
    ``module.layers[key]``, ``key`` being the name with ``.`` replaced by ``_`` (``module.keys``
    maps each node to its key), with ``_2``, ``_3``, ... added where that key is another
    node's (``enc.fc`` and ``enc_fc``) or a name ``nn.ModuleDict`` uses itself (``train``,
    ``forward``). Raises ``ExportError`` for a graph with no prediction or a layer or
    objective with no torch counterpart.
    """
    torch, ZScore, Sum, Concat, GraphModule, losses, extra = _torch_parts()
    nn = torch.nn
    simple = {LinearLayer: nn.Identity, ReLULayer: nn.ReLU, LogisticSigmoidLayer: nn.Sigmoid, TanhLayer: nn.Tanh}
    outputs = predictions(graph)
    needed = needed_nodes(graph, outputs + list(graph.objectives))
    dtype = network_dtype(graph, needed, dtype, default=None)
    torch_dtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64, None: None}[dtype]
    shared, modules, steps = {}, {}, []
    reserved = nn.ModuleDict()
    module_key = unique_names(allowed=lambda key: not hasattr(reserved, key))

    def parameter(p, transpose=False, flat=True):
        if id(p) not in shared:
            value = p.value.T if transpose else p.value.reshape(-1) if flat else p.value
            shared[id(p)] = nn.Parameter(torch.tensor(np.ascontiguousarray(value, dtype=dtype)))
        return shared[id(p)]

    objectives = []
    for name in needed:
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
            module = nn.Linear(op.sizeIn, op.sizeOut, dtype=torch_dtype)
            module.weight = parameter(op.weights, transpose=True)
            module.bias = parameter(op.biases, transpose=False)
        elif type(op) is InputLayer:
            module = ZScore(np.asarray(op.meanX, dtype=dtype), np.asarray(op.inverse_std, dtype=dtype),
                            tuple(op.feature_shape))
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
        elif type(op) is ConvolutionalLayer:
            module = nn.Conv2d(op.in_channels, op.out_channels, op.kernel_size, stride=op.stride, padding=op.padding,
                               dtype=torch_dtype)
            module.weight = parameter(op.weights, flat=False)  # O x C x kh x kw, as graphnn keeps it
            module.bias = parameter(op.biases)
        elif type(op) is MaxPoolLayer:
            module = nn.MaxPool2d(op.size, stride=op.stride)
        elif type(op) is FlatteningLayer:
            module = nn.Flatten()
        elif type(op) is DropoutLayer:
            module = nn.Dropout(op.p)
        elif type(op) is BatchNormLayer:
            module = nn.BatchNorm1d(op.width, eps=op.eps, momentum=op.momentum, dtype=torch_dtype)
            module.weight = parameter(op.scale, transpose=False)
            module.bias = parameter(op.shift, transpose=False)
            with torch.no_grad():
                module.running_mean.copy_(torch.from_numpy(np.asarray(op.running_mean[0], dtype=dtype)))
                module.running_var.copy_(torch.from_numpy(np.asarray(op.running_var[0], dtype=dtype)))
        else:
            raise ExportError(f"node {name!r} ({op.describe()}): no torch counterpart for {type(op).__name__}")
        key = module_key(name.replace(".", "_"))
        modules[key] = module
        steps.append((name, key, graph.predecessors(name)))
    needed_inputs = [n for n in graph.inputs if n in set(needed_nodes(graph, outputs))]
    objectives.sort(key=lambda objective: graph.objectives.index(objective[0]))  # the order they were added
    graph_inputs = [n for n in graph.inputs if n in set(needed)]  # targets included
    shapes = value_shapes(graph)
    inputs = [n for n in graph.nodes if graph.nx.nodes[n]["kind"] == "input"]
    module = GraphModule(steps, modules, needed_inputs, outputs, objectives, graph_inputs, torch_dtype,
                         {n: shapes[n] for n in inputs if n in shapes})
    return module.train(graph.training)  # dropout and batch norm: the graph's mode


def from_torch(module, input="X"):
    """A ``Graph`` from a ``torch.nn.Sequential``, or from the module ``to_torch`` made, with
    the module's weights copied in one dtype for the whole network: float64 if any ``Linear``
    is float64, else float32 (float16 and bfloat16 weights become float32 exactly; numpy has
    no bfloat16).

    A ``to_torch`` module (a ``GraphModule``, trained in PyTorch or not) comes back as the graph
    it was made from: the same node names, layers, z-scoring statistics and objectives (with
    their weights), a parameter shared by two layers shared again; ``input`` is not used. This
    is the way back after training in PyTorch, with ``DistributedDataParallel`` for instance
    (pass the module, not the ``DistributedDataParallel`` wrapping it; docs/distributed.md).

    A ``Sequential`` may hold ``Linear``, ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax`` (over
    dimension 1 or -1, or without ``dim``: torch's implicit dimension 1), ``Identity``,
    ``Dropout``, ``BatchNorm1d``, ``Conv2d``, ``MaxPool2d`` and ``Flatten`` (read by
    ``graphnn.export.torch_layers``, which refuses groups, dilation, ceil mode, ...), and
    Sequentials of those, read in order; the graph reads the input named ``input``. Every use
    of a child is a layer: a module that appears twice (the same ``Tanh``, or a ``Linear`` the
    Sequential runs twice) gives two nodes, and a shared ``Linear``'s two layers share one
    weight ``Parameter`` and one bias ``Parameter``, as in torch. Nodes are named after the
    Sequential's children when those names are valid graphnn names (an ``OrderedDict`` of
    names; ``outer.inner`` inside a nested Sequential), else generated (``fc1``, ``relu1``,
    ...). Add an objective to train it or draw its gradients.

    Raises ``ExportError`` for a module that is neither (naming ``.module`` for a wrapper such
    as ``DistributedDataParallel``), an empty Sequential, or naming the child that graphnn
    cannot map.
    """
    torch, ZScore, Sum, Concat, GraphModule, _, extra = _torch_parts()
    nn = torch.nn
    if isinstance(module, GraphModule):
        return _from_graph_module(module, torch, ZScore, Sum, Concat, extra).train(module.training)
    if not isinstance(module, nn.Sequential):
        wrapper = isinstance(getattr(module, "module", None), nn.Module)  # DistributedDataParallel, ...
        raise ExportError(
            f"from_torch takes an nn.Sequential, got {type(module).__name__} (or a module to_torch made"
            + ("; pass the model it wraps, its .module)" if wrapper else ")")
        )
    children = list(_children(nn, module))
    if not children:
        raise ExportError("the Sequential is empty: no layer to import")
    dtype = one_dtype(torch, [(f"layer {name!r} of the Sequential", tensor) for name, child in children
                               for tensor in (getattr(child, "weight", None), getattr(child, "bias", None))])
    # an nn.Dropout or nn.BatchNorm1d without affine weights has weight None: skipped above
    simple = {nn.ReLU: ReLULayer, nn.Sigmoid: LogisticSigmoidLayer, nn.Tanh: TanhLayer, nn.Identity: LinearLayer}
    g, shared = Graph(), {}
    node = g.input(input)
    rank = None  # the rank of the value so far, where a layer fixes it: an nn.Flatten of N x D changes nothing
    for child_name, child in children:  # a child listed twice too (named_children lists it once)
        kind, where = type(child), f"layer {child_name!r} of the Sequential"
        if kind in simple:
            layer = simple[kind]()
        elif kind is nn.Softmax and child.dim in (1, -1, None):  # None: torch's implicit dim, 1 for N x D
            layer = SoftmaxLayer()
        elif kind is nn.Linear:
            layer = fully_connected_layer(torch, child, dtype, shared)
        elif kind is nn.Dropout:
            layer = DropoutLayer(child.p)
        elif kind is nn.BatchNorm1d and child.affine and child.track_running_stats:
            layer = batch_norm_layer(torch, child, dtype)
        elif kind is nn.Conv2d:
            layer = conv_layer(torch, child, dtype, shared, where)
        elif kind is nn.MaxPool2d:
            layer = max_pool_layer(child, where)
        elif kind is nn.Flatten:
            layer = flatten_layer(child, where, rank)
        else:
            detail = f"Softmax over dim {child.dim}" if kind is nn.Softmax else kind.__name__
            raise ExportError(
                f"{where} ({detail}): graphnn maps Linear, ReLU, Sigmoid, Tanh, Softmax (dim 1), "
                "Identity, Dropout, BatchNorm1d (affine, with running statistics), Conv2d, MaxPool2d "
                "and Flatten only"
            )
        rank = 4 if kind in (nn.Conv2d, nn.MaxPool2d) else 2 if kind in (nn.Linear, nn.BatchNorm1d, nn.Flatten) else rank
        valid = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*", child_name)
        name = child_name if valid and child_name not in g.nx else None
        node = g.add(layer, node, name=name)
    return g.train(module.training)


def _children(nn, sequential, prefix=""):
    """``(name, module)`` for every entry of ``sequential`` in order, a module listed twice
    each time (``named_children`` yields it once), nested Sequentials read in place
    (``outer.inner``)."""
    # named_modules without removing duplicates lists every entry, a repeated one each time;
    # its direct children are the names without a dot
    entries = sequential.named_modules(remove_duplicate=False)
    for name, child in ((name, child) for name, child in entries if name and "." not in name):
        if isinstance(child, nn.Sequential):
            yield from _children(nn, child, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", child


def _from_graph_module(module, torch, ZScore, Sum, Concat, extra):
    """The graph a ``GraphModule`` was made from, with the module's current weights, in one
    dtype as from a Sequential: its ``Linear`` layers' (its z-scoring statistics' when it has
    none: parameters decide, as ``network_dtype`` says)."""
    nn = torch.nn
    simple = {nn.ReLU: ReLULayer, nn.Sigmoid: LogisticSigmoidLayer, nn.Tanh: TanhLayer, nn.Identity: LinearLayer,
              Sum: AddLayer, Concat: ConcatLayer, extra["Multiply"]: MultiplyLayer, extra["OneMinus"]: OneMinusLayer}
    children = [(name, module.layers[key]) for name, key, _ in module.steps]
    parameters = [(f"node {name!r} of the module", tensor) for name, child in children
                  if isinstance(child, (nn.Linear, nn.BatchNorm1d, nn.Conv2d)) for tensor in (child.weight, child.bias)]
    parameters += [(f"node {name!r} of the module", child.state) for name, child in children
                   if isinstance(child, extra["InitialState"])]
    states = {}  # id(torch parameter) -> the graphnn Parameter of an initial state, tied again
    statistics = [(f"node {name!r} of the module", tensor) for name, child in children
                  if isinstance(child, ZScore) for tensor in (child.mean, child.inverse_std)]
    dtype = one_dtype(torch, parameters or statistics)
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
            layer = fully_connected_layer(torch, child, dtype, shared)
        elif kind is ZScore:
            layer = z_scoring_layer(numpy_of(torch, child.mean, dtype), numpy_of(torch, child.inverse_std, dtype),
                                    feature_shape=child.feature_shape)
        elif kind is extra["Slice"]:
            layer = SliceLayer(child.start, child.stop)
        elif kind is extra["InitialState"]:
            layer = InitialStateLayer(child.state.numel(), dtype=dtype)
            layer.state.value = numpy_of(torch, child.state, dtype).reshape(1, -1)
            layer.state = states.setdefault(id(child.state), layer.state)
        elif kind is nn.Dropout:
            layer = DropoutLayer(child.p)
        elif kind is nn.BatchNorm1d:
            layer = batch_norm_layer(torch, child, dtype)
        elif kind is nn.Conv2d:
            layer = conv_layer(torch, child, dtype, shared, f"node {name!r} of the module")
        elif kind is nn.MaxPool2d:
            layer = max_pool_layer(child, f"node {name!r} of the module")
        elif kind is nn.Flatten:
            layer = FlatteningLayer()
        else:  # only a module changed by hand after to_torch made it
            raise ExportError(f"node {name!r} of the module holds a {kind.__name__}, which to_torch does not make")
        g.add(layer, *sources, name=name)
    for name, weight, kind, target, estimate in module.objectives:
        g.add(_OBJECTIVES[kind](), target, estimate, name=name, weight=weight)
    return g
