"""Recurrence as a graph: a cell unrolled over ``T`` time steps, its weights tied.

A recurrent network applies one cell at every time step, carrying a hidden state from each
step to the next. graphnn draws no loop: ``unroll`` writes the cell into the graph once per
step, every copy's layers holding the *same* ``Parameter`` objects (weight tying, as two
layers given one ``Parameter`` always share it). Backpropagation through time is then the
ordinary backward pass of that graph: each step's copy adds its share to the shared
parameters' gradients, and the sum over the steps is the gradient of the recurrent weights
(docs/bptt.md).

Two cells, built from graphnn's layers only:

- ``RNNCell``, the Elman network: ``h_t = tanh(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)``;
- ``GRUCell``, the gated recurrent unit, with PyTorch's equations (``torch.nn.GRU``).

Their parameters are laid out as graphnn's fully connected layers hold theirs (``x W``,
``W`` is ``in x out``): PyTorch's ``weight_ih_l0`` is the transpose, gates stacked in rows
(``RNNCell.from_torch``/``to_torch`` and the GRU's convert).

>>> import graphnn as gn, numpy as np
>>> g = gn.Graph()
>>> X = g.input("X")                                  # N x (T D): T = 3 steps of D = 2
>>> hs = gn.unroll(g, gn.RNNCell(2, 4, seed=0), X, steps=3)
>>> hs
['rnn.t1.h', 'rnn.t2.h', 'rnn.t3.h']
>>> g.forward(X=np.ones((5, 6)), outputs=hs[-1])[1]["rnn.t3.h"].shape
(5, 4)
"""
import math
import re

import numpy as np

from ._validation import integer_at_least, random_generator
from .core import Graph, GraphError
from .layers import (
    AddLayer, FullyConnectedLayer, InitialStateLayer, LogisticSigmoidLayer, MultiplyLayer, OneMinusLayer,
    SliceLayer, TanhLayer,
)
from .parameter import Parameter

__all__ = ["RNNCell", "GRUCell", "unroll", "STEP_NAME"]

#: the names ``unroll`` gives the nodes of time step ``t``: ``<name>.t<t>.<part>``, e.g.
#: ``rnn.t3.h`` (the diagrams fold the steps of one unrolled network by these names)
STEP_NAME = re.compile(r"^(?P<name>.+)\.t(?P<t>[1-9][0-9]*)\.(?P<part>[^.]+)$")


class _Cell:
    """What both cells share: their parameters, drawn as PyTorch draws them (uniform in
    ``[-1/sqrt(H), 1/sqrt(H)]``), and the tied fully connected layers of one step."""

    #: the prefix of the nodes ``unroll`` writes (``rnn``, ``gru``)
    short_name = "cell"
    #: the names of the cell's weights and biases, in the order ``parameters()`` gives them
    names = ()

    def __init__(self, input_size, hidden_size, seed=None, rng=None, dtype=np.float64):
        owner = type(self).__name__
        self.input_size = integer_at_least(input_size, 1, owner, "input_size")
        self.hidden_size = integer_at_least(hidden_size, 1, owner, "hidden_size")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise ValueError(f"{owner}: dtype must be a floating type, got {dtype}")
        rng = random_generator(seed, rng, owner)
        bound = 1.0 / math.sqrt(self.hidden_size)
        for name in self.names:
            rows = self.input_size if name.startswith("W_i") else self.hidden_size
            shape = (1, self.hidden_size) if name.startswith("b") else (rows, self.hidden_size)
            setattr(self, name, Parameter(rng.uniform(-bound, bound, shape).astype(dtype), name))

    def parameters(self):
        """The cell's ``Parameter`` objects, in the order of ``names``: weights ``in x H``
        (``W_i*``: ``input_size x H``, ``W_h*``: ``H x H``), biases ``1 x H``."""
        return tuple(getattr(self, name) for name in self.names)

    def describe(self):
        """``'RNNCell D->H'`` or ``'GRUCell D->H'``."""
        return f"{type(self).__name__} {self.input_size}->{self.hidden_size}"

    def __repr__(self):
        return f"<{self.describe()}>"

    def _affine(self, graph, source, weights, biases, name):
        """A fully connected layer holding the cell's ``weights`` and ``biases`` (tied with
        every other step's), reading ``source``; returns its node."""
        size_in, size_out = weights.shape
        layer = FullyConnectedLayer(size_in, size_out)
        layer.weights, layer.biases = weights, biases
        return graph.add(layer, source, name=name)

    def step(self, graph, x, h, prefix):
        """Write one time step into ``graph``: reading ``x`` (``N x input_size``) and ``h``
        (``N x hidden_size``), its nodes named ``<prefix>.<part>``; returns the node of the
        new state (``N x hidden_size``)."""
        raise NotImplementedError


class RNNCell(_Cell):
    """The Elman cell: ``h_t = tanh(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)``.

    ``x_t`` is ``N x input_size``, ``h_t`` is ``N x hidden_size``. Parameters: ``W_ih``
    (``input_size x H``), ``b_ih`` (``1 x H``), ``W_hh`` (``H x H``), ``b_hh`` (``1 x H``); the
    seed's single bias ``b`` is ``b_ih + b_hh``, kept as two so that they are PyTorch's
    (``torch.nn.RNN``, whose ``weight_ih_l0`` is ``W_ih`` transposed). They are drawn uniformly
    in ``[-1/sqrt(H), 1/sqrt(H)]``: pass ``seed`` or ``rng`` (as to ``FullyConnectedLayer``).

    One step is four nodes: ``xw`` (``x_t W_ih + b_ih``), ``hw`` (``h_{t-1} W_hh + b_hh``),
    ``sum`` and ``h`` (the tanh).
    """

    short_name = "rnn"
    names = ("W_ih", "b_ih", "W_hh", "b_hh")

    def step(self, graph, x, h, prefix):
        """One Elman step: ``tanh(x W_ih + b_ih + h W_hh + b_hh)``; returns ``<prefix>.h``."""
        xw = self._affine(graph, x, self.W_ih, self.b_ih, f"{prefix}.xw")
        hw = self._affine(graph, h, self.W_hh, self.b_hh, f"{prefix}.hw")
        total = graph.add(AddLayer(), xw, hw, name=f"{prefix}.sum")
        return graph.add(TanhLayer(), total, name=f"{prefix}.h")

    def to_torch(self):
        """A ``torch.nn.RNN`` (one layer, tanh, ``batch_first=True``) with these weights
        (float64 if the cell's are)."""
        import torch

        rnn = torch.nn.RNN(self.input_size, self.hidden_size, batch_first=True,
                           dtype=_torch_dtype(torch, self.W_ih.value.dtype))
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(torch.from_numpy(self.W_ih.value.T.copy()))
            rnn.weight_hh_l0.copy_(torch.from_numpy(self.W_hh.value.T.copy()))
            rnn.bias_ih_l0.copy_(torch.from_numpy(self.b_ih.value[0].copy()))
            rnn.bias_hh_l0.copy_(torch.from_numpy(self.b_hh.value[0].copy()))
        return rnn

    @classmethod
    def from_torch(cls, rnn):
        """An ``RNNCell`` holding the weights of ``rnn``, a one-layer ``torch.nn.RNN`` with
        tanh and biases. ``ValueError`` for any other."""
        _require_torch_cell(rnn, "RNN", cls.__name__)
        if getattr(rnn, "nonlinearity", "tanh") != "tanh":
            raise ValueError(f"{cls.__name__}.from_torch: the RNN's nonlinearity is {rnn.nonlinearity!r}, not 'tanh'")
        cell = cls(rnn.input_size, rnn.hidden_size, seed=0, dtype=_numpy_dtype(rnn.weight_ih_l0))
        cell.W_ih.value = _array(rnn.weight_ih_l0).T.copy()
        cell.W_hh.value = _array(rnn.weight_hh_l0).T.copy()
        cell.b_ih.value = _array(rnn.bias_ih_l0)[None, :].copy()
        cell.b_hh.value = _array(rnn.bias_hh_l0)[None, :].copy()
        return cell


class GRUCell(_Cell):
    """The gated recurrent unit, with PyTorch's equations (``torch.nn.GRU``):

    - reset gate ``r_t = sigmoid(x_t W_ir + b_ir + h_{t-1} W_hr + b_hr)``,
    - update gate ``z_t = sigmoid(x_t W_iz + b_iz + h_{t-1} W_hz + b_hz)``,
    - candidate ``n_t = tanh(x_t W_in + b_in + r_t * (h_{t-1} W_hn + b_hn))``,
    - new state ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``.

    ``x_t`` is ``N x input_size``, every other value ``N x hidden_size``. Parameters:
    ``W_ir, W_iz, W_in`` (``input_size x H``), ``W_hr, W_hz, W_hn`` (``H x H``), and the six
    biases ``1 x H``, drawn uniformly in ``[-1/sqrt(H), 1/sqrt(H)]`` (``seed``/``rng`` as for
    ``FullyConnectedLayer``). PyTorch's ``weight_ih_l0`` is ``[W_ir; W_iz; W_in]`` transposed.

    One step is seventeen nodes: six fully connected layers, the gates' sums and sigmoids,
    ``rh`` (``r * (h W_hn + b_hn)``), the candidate's sum and tanh, ``1-z`` (``OneMinusLayer``),
    ``new`` (``(1 - z) * n``), ``old`` (``z * h``) and ``h`` (their sum). The ``old`` path is
    what lets a gradient pass many steps back nearly undiminished when ``z`` is near 1.
    """

    short_name = "gru"
    names = ("W_ir", "b_ir", "W_hr", "b_hr", "W_iz", "b_iz", "W_hz", "b_hz", "W_in", "b_in", "W_hn", "b_hn")

    def step(self, graph, x, h, prefix):
        """One GRU step (the equations above); returns ``<prefix>.h``."""
        def gate(g):
            xg = self._affine(graph, x, getattr(self, f"W_i{g}"), getattr(self, f"b_i{g}"), f"{prefix}.x{g}")
            hg = self._affine(graph, h, getattr(self, f"W_h{g}"), getattr(self, f"b_h{g}"), f"{prefix}.h{g}")
            total = graph.add(AddLayer(), xg, hg, name=f"{prefix}.{g}_sum")
            return graph.add(LogisticSigmoidLayer(), total, name=f"{prefix}.{g}")

        r, z = gate("r"), gate("z")
        xn = self._affine(graph, x, self.W_in, self.b_in, f"{prefix}.xn")
        hn = self._affine(graph, h, self.W_hn, self.b_hn, f"{prefix}.hn")
        rh = graph.add(MultiplyLayer(), r, hn, name=f"{prefix}.rh")
        n = graph.add(TanhLayer(), graph.add(AddLayer(), xn, rh, name=f"{prefix}.n_sum"), name=f"{prefix}.n")
        keep_new = graph.add(OneMinusLayer(), z, name=f"{prefix}.1-z")
        new = graph.add(MultiplyLayer(), keep_new, n, name=f"{prefix}.new")
        old = graph.add(MultiplyLayer(), z, h, name=f"{prefix}.old")
        return graph.add(AddLayer(), new, old, name=f"{prefix}.h")

    def to_torch(self):
        """A ``torch.nn.GRU`` (one layer, ``batch_first=True``) with these weights."""
        import torch

        gru = torch.nn.GRU(self.input_size, self.hidden_size, batch_first=True,
                           dtype=_torch_dtype(torch, self.W_ir.value.dtype))

        def stacked(kind):
            return torch.from_numpy(np.vstack([getattr(self, f"W_{kind}{g}").value.T for g in "rzn"]))

        def biases(kind):
            return torch.from_numpy(np.concatenate([getattr(self, f"b_{kind}{g}").value[0] for g in "rzn"]))

        with torch.no_grad():
            gru.weight_ih_l0.copy_(stacked("i"))
            gru.weight_hh_l0.copy_(stacked("h"))
            gru.bias_ih_l0.copy_(biases("i"))
            gru.bias_hh_l0.copy_(biases("h"))
        return gru

    @classmethod
    def from_torch(cls, gru):
        """A ``GRUCell`` holding the weights of ``gru``, a one-layer ``torch.nn.GRU`` with
        biases. ``ValueError`` for any other."""
        _require_torch_cell(gru, "GRU", cls.__name__)
        cell = cls(gru.input_size, gru.hidden_size, seed=0, dtype=_numpy_dtype(gru.weight_ih_l0))
        H = gru.hidden_size
        for kind in "ih":
            weights = _array(getattr(gru, f"weight_{kind}h_l0"))
            biases = _array(getattr(gru, f"bias_{kind}h_l0"))
            for k, g in enumerate("rzn"):
                getattr(cell, f"W_{kind}{g}").value = weights[k * H:(k + 1) * H].T.copy()
                getattr(cell, f"b_{kind}{g}").value = biases[None, k * H:(k + 1) * H].copy()
        return cell


def unroll(graph, cell, inputs, *, steps=None, h0=None, name=None):
    """Unroll ``cell`` (an ``RNNCell`` or ``GRUCell``) over time in ``graph``; returns the
    nodes of the hidden states ``[h_1, ..., h_T]`` (each ``N x hidden_size``).

    ``inputs``: the sequence, either a list of ``T`` nodes (``x_1 .. x_T``, each
    ``N x input_size``), or one node whose output is ``N x (T input_size)``, the steps side
    by side (then ``steps=T`` says how many; a ``SliceLayer`` per step takes each out, so that
    ``fit`` can feed the whole sequence as one ``X``). ``h0``: the node of the initial state
    (``N x hidden_size``, e.g. an input you feed), or ``None`` for an ``InitialStateLayer``: a
    learnable state, zeros to begin with. ``name``: the prefix of the nodes written (default:
    the cell's ``short_name``, numbered if taken); step ``t``'s are ``<name>.t<t>.<part>``
    (``STEP_NAME``), the new state ``<name>.t<t>.h``, the initial one ``<name>.h0``.

    Every step's layers hold the cell's ``Parameter`` objects: after ``backward`` each
    parameter's gradient is the sum of its ``T`` steps' shares (backpropagation through time).

    Raises ``GraphError`` for a graph that is not one, an unknown input node, a name that is
    taken, ``steps`` given with a list (or missing with one node); ``ValueError`` for a bad
    ``steps``, or a cell that is not one.
    """
    if not isinstance(graph, Graph):
        raise GraphError(f"unroll: expected a graphnn Graph, got {type(graph).__name__}")
    if not isinstance(cell, _Cell):
        raise ValueError(f"unroll: cell must be an RNNCell or a GRUCell, got {type(cell).__name__}")
    name = _free_name(graph, cell.short_name) if name is None else name
    if not isinstance(name, str) or not name:
        raise GraphError(f"unroll: name must be a non-empty string, got {name!r}")
    nodes = set(graph.nx.nodes)
    taken = sorted(n for n in nodes if n == f"{name}.h0" or n.startswith(f"{name}.t"))
    if taken:
        raise GraphError(f"unroll: the graph already has nodes named {name}.*: {', '.join(taken[:3])}; "
                         "pass another name=")
    if isinstance(inputs, str):
        if steps is None:
            raise GraphError(
                f"unroll: one input node {inputs!r} holds the whole sequence side by side "
                f"(N x T*{cell.input_size}): pass steps=T, or a list of T step nodes")
        steps = integer_at_least(steps, 1, "unroll", "steps")
        graph.op(inputs)  # GraphError naming the known nodes if unknown
        width = cell.input_size
        xs = [graph.add(SliceLayer(t * width, (t + 1) * width), inputs, name=f"{name}.t{t + 1}.x")
              for t in range(steps)]
        first_source = inputs
    else:
        xs = list(inputs)
        if not xs:
            raise GraphError("unroll: inputs is an empty list; give one node per time step")
        if steps is not None and steps != len(xs):
            raise GraphError(f"unroll: steps={steps!r} but {len(xs)} input nodes were given")
        for x in xs:
            graph.op(x)
        first_source = xs[0]
    if h0 is None:
        h = graph.add(InitialStateLayer(cell.hidden_size, dtype=cell.parameters()[0].value.dtype),
                      first_source, name=f"{name}.h0")
    else:
        graph.op(h0)
        h = h0
    states = []
    for t, x in enumerate(xs, start=1):
        h = cell.step(graph, x, h, f"{name}.t{t}")
        states.append(h)
    return states


def _free_name(graph, stem):
    nodes = set(graph.nx.nodes)

    def used(prefix):
        return any(n == f"{prefix}.h0" or n.startswith(f"{prefix}.t") for n in nodes)

    if not used(stem):
        return stem
    k = 2
    while used(f"{stem}{k}"):
        k += 1
    return f"{stem}{k}"


def _require_torch_cell(module, kind, owner):
    import torch

    cls = getattr(torch.nn, kind)
    if not isinstance(module, cls):
        raise ValueError(f"{owner}.from_torch: expected a torch.nn.{kind}, got {type(module).__name__}")
    if module.num_layers != 1 or module.bidirectional or not module.bias or getattr(module, "proj_size", 0):
        raise ValueError(f"{owner}.from_torch: only a one-layer, one-directional torch.nn.{kind} with "
                         "biases is one cell")


def _array(tensor):
    return tensor.detach().cpu().numpy()


def _numpy_dtype(tensor):
    return _array(tensor).dtype


def _torch_dtype(torch, dtype):
    return torch.float64 if dtype == np.float64 else torch.float32
