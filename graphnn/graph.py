"""The computation graph: layers and objectives as nodes of a networkx ``MultiDiGraph``.

An edge ``u -> v`` with key ``k`` carries the output of ``u`` into input slot ``k`` of ``v``.
A multigraph, because one value may fill two slots of one consumer (``x + x``): a plain
``DiGraph`` would merge those edges and hide a gradient that is summed twice.

``forward`` visits the nodes in topological order; ``backward`` visits them in reverse. The
gradient on edge ``(u, v, k)`` is what ``v.backward`` sends back for slot ``k``; the gradient
of ``u``'s output is the sum over its out-edges (fan-out). Parameters shared by several layers
sum their gradients too (each layer *adds* to ``Parameter.grad``; ``backward`` zeroes them
first, so calling it twice after one forward gives the same gradients).

Conventions (docs/conventions.md): ``J = sum_i weight_i * J_i`` over the objectives, each
``J_i`` a mean over observations; every gradient stored here is per observation, i.e. ``N``
times the derivative of ``J``, as the seed's Part 3 reports them; parameter gradients are
derivatives of ``J`` itself.
"""
import re

import networkx as nx
import numpy as np

from ._validation import as_matrix, describe_shape, is_matrix
from .layers.Layer import Layer
from .objectives.Objective import Objective

#: the kinds of node, as ``Graph.nx`` node attribute ``kind`` and ``NodeProfile.kind`` name
#: them: an input (data fed to ``forward``), a ``Layer``, an ``Objective``
INPUT, LAYER, OBJECTIVE = "input", "layer", "objective"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_RESERVED = {"feed", "outputs", "check_finite"}  # keyword arguments of forward()
_DEFERRED = object()  # stands for a fused objective's own gradient until someone asks for it
# Kinds of steps in a compiled pass (compared with `is`: plain module constants).
_ONE_INPUT, _SEVERAL_INPUTS, _PARAMETERS_ONLY, _OBJECTIVE, _FUSED = (
    "one input", "several inputs", "parameters only", "objective", "fused objective"
)


class GraphError(ValueError):
    """A graph that cannot run: a cycle, a missing input, a slot filled twice, ..."""


class Graph:
    """A directed acyclic graph of layers and objectives.

    Build it with ``input`` and ``add`` (or ``Graph.sequential``), run it with
    ``forward(X=..., Y=...)`` (every fed value ``N x D``, one row per observation) and
    ``backward()``, then read ``value``, ``grad``, ``grad_out``, ``edge_grad`` and each
    ``Parameter.grad``. Mistakes in building or feeding raise ``GraphError`` naming the node.

    >>> import graphnn as gn
    >>> g = gn.Graph()
    >>> x, y = g.input("X"), g.input("Y")
    >>> h = g.add(gn.FullyConnectedLayer(2, 1, seed=0), x, name="fc")
    >>> p = g.add(gn.LogisticSigmoidLayer(), h)
    >>> g.add(gn.LogLoss(), y, p)
    'logloss1'
    >>> J = g.forward(X=np.ones((3, 2)), Y=np.ones((3, 1)))
    >>> g.backward()
    >>> g.grad_out("sigmoid1").shape
    (3, 1)
    """

    def __init__(self, fuse=True):
        """``fuse``: when an objective reads a sigmoid (``LogLoss``) or a softmax
        (``CrossEntropy``) that feeds nothing else, ``backward`` sends ``Yhat - Y`` straight to
        the activation's input instead of multiplying the two local gradients (see
        ``Objective.fused_gradient``). The numbers agree to rounding; ``fuse=False`` runs
        every module's own ``backward``, bit for bit the seed's hand-written loop."""
        self._graph = nx.MultiDiGraph()
        self._counters = {}
        self._ops = {}  # id(layer or objective) -> node name, so one object sits at one node
        self._fuse = bool(fuse)
        self._invalidate()

    @property
    def fuse(self):
        """Whether backward fuses an objective with its activation (see ``Graph()``)."""
        return self._fuse

    @fuse.setter
    def fuse(self, fuse):
        self._fuse = bool(fuse)
        self._invalidate()  # the plan decided what to fuse

    # ------------------------------------------------------------------ building
    def input(self, name, requires_grad=False):
        """Add a named input (data or targets fed to ``forward``); returns its name.

        Inputs are constants by default, as data is: ``backward`` computes no gradient for
        them, nor for layers that only they feed, which saves the work nobody asked for. With
        ``requires_grad=True`` the gradient with respect to the fed value is computed too
        (``grad(name)``), and so is every gradient on the way to it (as the seed's Part 3
        report of the fully connected layer's input gradient needs).

        Raises ``GraphError`` for a name that is taken, reserved (``feed``, ``outputs``,
        ``check_finite``) or not made of letters, digits, ``_``, ``.`` and ``-``.
        """
        self._check_new_name(name)
        if name in _RESERVED:
            raise GraphError(f"input name {name!r} is reserved (a keyword of Graph.forward)")
        self._graph.add_node(name, kind=INPUT, op=None, n_inputs=0, requires_grad=bool(requires_grad))
        self._invalidate()
        return name

    def set_requires_grad(self, name, requires_grad=True):
        """Change whether input ``name`` gets a gradient (see ``input``); ``GraphError`` if
        ``name`` is not an input."""
        if self._node(name)["kind"] != INPUT:
            raise GraphError(f"set_requires_grad: node {name!r} is not an input; inputs: {self.inputs}")
        self._graph.nodes[name]["requires_grad"] = bool(requires_grad)
        self._invalidate()

    def requires_grad(self, name):
        """Whether ``backward`` computes the gradient of node ``name``'s output: inputs as
        set, layers when they or anything upstream has parameters or requires a gradient."""
        self._compiled()
        self._node(name)
        return name in self._requiring

    def add(self, op, *inputs, name=None, weight=1.0):
        """Add ``op`` (a ``Layer`` or an ``Objective``) reading ``inputs``, in slot order.

        An objective reads ``(target, estimate)``. Inputs must be nodes already in the graph;
        slots may also be left out here and filled later with ``connect``. ``weight`` scales an
        objective's contribution to the total ``J``. Returns the node's name: ``name``, or one
        generated from the class (``fc1``, ``sigmoid1``, ...).

        Raises ``GraphError`` for an ``op`` that is neither, or is already in the graph; a
        name that is taken or invalid; more inputs than the op takes; an input that is not a
        node, or is an objective; a non-finite ``weight``, or a ``weight`` on a layer.
        """
        if isinstance(op, Objective):
            kind = OBJECTIVE
        elif isinstance(op, Layer):
            kind = LAYER
        else:
            raise GraphError(f"add() takes a Layer or an Objective, got {type(op).__name__}")
        if id(op) in self._ops:
            raise GraphError(
                f"cannot add node {name or '(unnamed)'!r}: this {op.describe()} is already "
                f"node {self._ops[id(op)]!r}, and a layer object keeps "
                "the state of one forward pass, so it can sit at one node only (to share "
                "weights, give two layers the same Parameter)"
            )
        name = self._generated_name(op) if name is None else name
        self._check_new_name(name)
        n_inputs = op.n_inputs
        if len(inputs) > n_inputs:
            raise GraphError(
                f"node {name!r} ({op.describe()}) takes {n_inputs} input(s), got {len(inputs)}: "
                f"{', '.join(map(repr, inputs))}"
            )
        for source in inputs:
            self._check_source(source, name)
        if kind == OBJECTIVE:
            weight = float(weight)
            if not np.isfinite(weight):
                raise GraphError(f"node {name!r}: objective weight must be finite, got {weight}")
        elif weight != 1.0:
            raise GraphError(f"node {name!r}: only objectives take a weight")
        self._graph.add_node(name, kind=kind, op=op, n_inputs=n_inputs, weight=weight)
        self._ops[id(op)] = name
        for slot, source in enumerate(inputs):
            self._graph.add_edge(source, name, key=slot)
        self._invalidate()
        return name

    def connect(self, source, target, slot):
        """Feed the output of node ``source`` into input ``slot`` of node ``target``.

        Raises ``GraphError`` for an unknown node, a slot out of range or already filled,
        an objective as ``source``, or an edge that would close a cycle (the message shows it).
        """
        if target not in self._graph:
            raise GraphError(f"connect: unknown node {target!r}; nodes: {self._known()}")
        self._check_source(source, target)
        n_inputs = self._graph.nodes[target]["n_inputs"]
        if not isinstance(slot, (int, np.integer)) or not 0 <= slot < n_inputs:
            raise GraphError(
                f"connect: node {target!r} has input slots 0..{n_inputs - 1}, got slot {slot!r}"
            )
        for producer, _, key in self._graph.in_edges(target, keys=True):
            if key == slot:
                raise GraphError(
                    f"connect: slot {slot} of node {target!r} is already filled by {producer!r}"
                )
        if source == target or nx.has_path(self._graph, target, source):
            cycle = [source] if source == target else nx.shortest_path(self._graph, target, source)
            path = " -> ".join(cycle + [target]) if source != target else f"{source} -> {source}"
            raise GraphError(f"connect: {source!r} -> {target!r} would close a cycle: {path}")
        self._graph.add_edge(source, target, key=int(slot))
        self._invalidate()

    @classmethod
    def sequential(cls, *layers, objective=None, input="X", target="Y", requires_grad=False, fuse=True):
        """A chain ``input -> layers[0] -> ... -> layers[-1]`` and, if given, ``objective``
        reading ``(target, last layer)``: the seed's
        ``Graph.sequential(InputLayer(X), FullyConnectedLayer(16, 1), LogisticSigmoidLayer(),
        objective=LogLoss())``. ``requires_grad`` is the input's, ``fuse`` the graph's."""
        graph = cls(fuse=fuse)
        node = graph.input(input, requires_grad=requires_grad)
        for layer in layers:
            node = graph.add(layer, node)
        if objective is not None:
            graph.add(objective, graph.input(target), node)
        return graph

    def _generated_name(self, op):
        stem = getattr(op, "short_name", None) or type(op).__name__.lower().replace("layer", "")
        while True:
            self._counters[stem] = count = self._counters.get(stem, 0) + 1
            if f"{stem}{count}" not in self._graph:
                return f"{stem}{count}"

    def _check_new_name(self, name):
        if not isinstance(name, str) or not _NAME.match(name):
            raise GraphError(
                f"node name {name!r} must be a string of letters, digits, '_', '.' or '-', "
                "not starting with a digit"
            )
        if name in self._graph:
            raise GraphError(f"node name {name!r} is already used")

    def _check_source(self, source, consumer):
        if source not in self._graph:
            raise GraphError(
                f"node {consumer!r} reads {source!r}, which is not in the graph; nodes: {self._known()}"
            )
        if self._graph.nodes[source]["kind"] == OBJECTIVE:
            raise GraphError(
                f"node {consumer!r} reads objective {source!r}: an objective's value is a number "
                "that ends the graph, it cannot feed another node"
            )

    def _known(self):
        return ", ".join(map(repr, self._graph)) or "(none)"

    # ------------------------------------------------------------------ inspecting
    @property
    def nx(self):
        """The underlying ``networkx.MultiDiGraph``, as a read-only view.

        Node attributes: ``kind`` (``'input'``, ``'layer'`` or ``'objective'``), ``op`` (the
        layer or objective object), ``n_inputs``, ``weight``; edge keys are input slots.
        """
        return self._graph.copy(as_view=True)

    @property
    def nodes(self):
        """Node names in topological order (ties broken by name, so the order is stable).
        Raises ``GraphError`` if some node has an input slot left empty."""
        return [step[0] for step in self._compiled()]

    @property
    def inputs(self):
        """The names of the input nodes, in the order they were added."""
        return [n for n, kind in self._graph.nodes(data="kind") if kind == INPUT]

    @property
    def objectives(self):
        """The names of the objective nodes, in the order they were added."""
        return [n for n, kind in self._graph.nodes(data="kind") if kind == OBJECTIVE]

    def op(self, name):
        """The layer or objective at node ``name`` (``None`` for an input); ``GraphError`` for
        an unknown name."""
        return self._node(name)["op"]

    def predecessors(self, name):
        """The nodes ``name`` reads, in slot order."""
        self._node(name)
        slots = self._inputs_of(name)
        return [slots[slot] for slot in sorted(slots)]

    def parameters(self):
        """Every distinct ``Parameter`` of the graph's layers (shared ones once), in node order."""
        return [parameter for _, parameter in self.named_parameters()]

    def named_parameters(self):
        """``[(node, Parameter)]`` for every distinct parameter, in node order; a parameter
        shared by several layers appears once, with the first node that owns it."""
        seen, named = set(), []
        for name, kind, op, _ in self._compiled():
            for parameter in op.parameters() if kind == LAYER else ():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    named.append((name, parameter))
        return named

    @property
    def fused(self):
        """``{objective: activation}``: the pairs whose backward is fused (see ``Graph()``)."""
        self._compiled()
        return {objective: activation for activation, objective in self._fused_estimates.items()}

    def recompile(self):
        """Drop the compiled plan (and the last pass's values and gradients): the next pass
        builds it again, e.g. after an op's methods were replaced (the plan holds bound
        methods, as ``graphnn.profile`` does with its timers)."""
        self._invalidate()

    @property
    def has_values(self):
        """Whether a forward pass has run since the graph last changed."""
        return bool(self._values)

    @property
    def has_gradients(self):
        """Whether a backward pass has run since the last forward pass."""
        return self._grads is not None

    def value(self, name):
        """The output of node ``name`` in the last forward pass: ``N x D`` (the fed value, as
        a float array, for an input; a float for an objective). Raises ``GraphError`` before a forward pass."""
        self._node(name)
        if name not in self._values:
            raise GraphError(f"node {name!r} has no value yet: call forward first")
        return self._values[name]

    def grad(self, name):
        """``N x D``: the gradient of ``J`` with respect to node ``name``'s output, per
        observation, summed over every consumer (fan-out). Zeros if it does not reach ``J``.

        Raises ``GraphError`` before ``backward``, for an objective, and for a node whose
        gradient was not computed (an input without ``requires_grad``, or a node that only
        such inputs feed): the message says how to get it."""
        self._require_backward(name)
        node = self._node(name)
        if node["kind"] == OBJECTIVE:
            raise GraphError(f"node {name!r} is an objective: its output is J itself")
        if name not in self._requiring and node["kind"] == INPUT:
            raise GraphError(
                f"input {name!r} is a constant: no gradient is computed for it. Build it with "
                f"g.input({name!r}, requires_grad=True), or call g.set_requires_grad({name!r})"
            )
        grad = self._grads.get(name)
        if grad is None and name in self._fused_estimates:
            sent = self._sent_by(self._fused_estimates[name])  # None in a constant branch
            grad = None if sent is None else sent[1]
        if grad is None and name not in self._requiring:
            raise GraphError(self._no_gradient_message(name, f"the gradient of node {name!r}"))
        return np.zeros_like(self._values[name]) if grad is None else grad

    def grad_out(self, name):
        """The gradient node ``name`` sends back to its input(s): the seed's "gradient coming
        backwards out of" a module. An ``N x D`` array (``D`` the input's width) for one-input
        layers, ``N x K`` for objectives (the gradient with respect to the estimate, times the
        objective's weight); a tuple, one per slot (``None`` for a constant one), for several
        inputs. Raises ``GraphError`` before ``backward``, for an input, and where no gradient
        flowed back."""
        self._require_backward(name)
        node = self._node(name)
        if node["kind"] == INPUT:
            raise GraphError(f"node {name!r} is an input: nothing flows out of it backwards")
        sent = self._sent_by(name)
        if sent is None and node["kind"] == LAYER and name in self._requiring:
            raise GraphError(f"node {name!r} does not reach any objective: no gradient flows through it")
        if sent is None:
            raise GraphError(self._no_gradient_message(name, f"the gradient out of node {name!r}"))
        if node["kind"] == OBJECTIVE:
            return sent[1]
        if all(g is None for g in sent):
            raise GraphError(self._no_gradient_message(name, f"the gradient out of node {name!r}"))
        return sent[0] if node["n_inputs"] == 1 else sent

    def edge_grad(self, source, target, slot=0):
        """The gradient that flowed back along edge ``source -> target`` (input ``slot``),
        shaped like ``source``'s output (``N x D``); ``None`` where none does (into a target,
        or into a constant input's branch). ``GraphError`` before ``backward`` or for an edge
        that does not exist."""
        self._require_backward(target)
        if not self._graph.has_edge(source, target, key=slot):
            raise GraphError(f"there is no edge {source!r} -> {target!r} into slot {slot}")
        sent = self._sent_by(target)
        return None if sent is None else sent[slot]

    def _sent_by(self, name):
        """What node ``name`` sent back, per slot; an objective fused with its activation
        computes its own gradient only now, when someone asks for it."""
        sent = self._sent.get(name)
        if sent is not None and sent[-1] is _DEFERRED:
            target, estimate = self._sources[name]
            gradient = self.op(name).gradient(self._values[target], self._values[estimate])
            weight = self._weights[name]
            sent = self._sent[name] = (None, gradient if weight == 1.0 else weight * gradient)
        return sent

    def _no_gradient_message(self, name, what):
        if self._graph.nodes[name]["kind"] == OBJECTIVE:  # its target never gets a gradient
            estimate = self._sources[name][1]
            upstream = nx.ancestors(self._graph, estimate) | {estimate}
        else:
            upstream = nx.ancestors(self._graph, name)
        constants = [n for n in upstream if self._graph.nodes[n]["kind"] == INPUT]
        return (
            f"{what} was not computed: nothing upstream of it has parameters or requires a "
            f"gradient. To get it, build the input(s) {', '.join(map(repr, sorted(constants)))} "
            "with requires_grad=True (or call g.set_requires_grad(name)) and run forward and "
            "backward again"
        )

    def _node(self, name):
        try:
            return self._graph.nodes[name]
        except KeyError:
            raise GraphError(f"unknown node {name!r}; nodes: {self._known()}") from None

    def _inputs_of(self, name):
        return {key: source for source, _, key in self._graph.in_edges(name, keys=True)}

    # ------------------------------------------------------------------ running
    def _invalidate(self):
        self._plan = None
        self._values = {}
        self._grads = None
        self._sent = None

    def _compiled(self):
        """The cached plan: ``(name, kind, op, input names in slot order)`` in topological
        order, and what backward needs to know. Built once per change of the graph, so
        passes do no graph work."""
        if self._plan is None:
            plan = []
            for name in nx.lexicographical_topological_sort(self._graph):
                node = self._graph.nodes[name]
                slots = self._inputs_of(name)
                missing = [k for k in range(node["n_inputs"]) if k not in slots]
                if missing:
                    raise GraphError(
                        f"node {name!r} ({node['op'].describe()}) has input slot(s) "
                        f"{', '.join(map(str, missing))} left empty"
                    )
                plan.append((name, node["kind"], node["op"], tuple(slots[k] for k in range(node["n_inputs"]))))
            self._plan = plan
            self._plan_backward(plan)
        return self._plan

    def _plan_backward(self, plan):
        """Decide once what each backward pass computes.

        A node's output gradient is needed when the node, or anything upstream of it, has
        parameters or is an input that requires a gradient (``self._requiring``). A layer whose
        inputs need none runs only its parameter part (``backward_parameters``): the first
        fully connected layer skips its ``X^T``-sized input gradient. A fused objective sends
        ``Yhat - Y`` past its activation (``self._fused``).
        """
        nodes = self._graph.nodes
        requiring = set()
        for name, kind, op, sources in plan:
            if kind == INPUT and nodes[name]["requires_grad"]:
                requiring.add(name)
            elif kind == LAYER and (op.parameters() or any(s in requiring for s in sources)):
                requiring.add(name)
        fused = {}  # objective -> its activation, when fusing applies
        if self._fuse:
            for name, kind, op, sources in plan:
                activation = sources[1] if kind == OBJECTIVE else None
                partner = getattr(op, "fuses_with", None)
                # The exact class, not a subclass: a subclass may change the function, and
                # Yhat - Y is the gradient of the partner's own function only.
                if (partner is not None and type(nodes[activation]["op"]) is partner
                        and self._graph.out_degree(activation) == 1):
                    fused[name] = activation
        steps = []  # (step kind, node name, op, sources, extra), in reverse topological order
        for name, kind, op, sources in reversed(plan):
            if kind == OBJECTIVE:
                if sources[1] not in requiring:
                    continue
                activation = fused.get(name)
                if activation is None:
                    steps.append((_OBJECTIVE, name, op, sources, None))
                else:  # what the fused step hands its gradient to
                    source = self._inputs_of(activation)[0]
                    steps.append((_FUSED, name, op, sources, (activation, nodes[activation]["op"], source)))
            elif kind == LAYER and name in requiring and name not in fused.values():
                wanted = tuple(s in requiring for s in sources)
                if not any(wanted):
                    steps.append((_PARAMETERS_ONLY, name, op, sources, None))
                elif len(sources) == 1:
                    steps.append((_ONE_INPUT, name, op, sources[0], None))
                else:
                    steps.append((_SEVERAL_INPUTS, name, op, sources, wanted))
        self._requiring = requiring
        self._fused_estimates = {activation: objective for objective, activation in fused.items()}
        self._backward_steps = steps
        self._sources = {name: sources for name, _, _, sources in plan}
        self._input_names = frozenset(n for n, kind, _, _ in plan if kind == INPUT)
        self._weights = {n: nodes[n]["weight"] for n, kind, _, _ in plan if kind == OBJECTIVE}
        self._forward_steps = [
            (_OBJECTIVE, name, op.eval, sources) if kind == OBJECTIVE
            else (_ONE_INPUT, name, op.forward, sources[0]) if len(sources) == 1
            else (_SEVERAL_INPUTS, name, op.forward, sources)
            for name, kind, op, sources in plan if kind != INPUT
        ]
        # Only layers that own parameters need zeroing (a layer never gains parameters).
        self._layers_with_parameters = [op for _, kind, op, _ in plan if kind == LAYER and op.parameters()]

    def forward(self, feed=None, *, outputs=None, check_finite=False, **named_feed):
        """Run every node in topological order; returns ``J``, the weighted sum of the
        objectives (``None`` if there is none), or ``(J, {name: output})`` when ``outputs``
        names nodes to return.

        Inputs come as a dict ``feed`` and/or keywords: ``g.forward(X=X, Y=Y)``, each an
        ``N x D`` array (anything ``np.asarray`` makes 2-D and numeric). Every node's output
        stays available through ``value(name)``. With ``check_finite=True`` the first fed
        value, layer output or objective value that holds NaN or inf raises a
        ``FloatingPointError`` naming it.

        Raises ``GraphError`` for a missing or unknown input, an empty input slot, or a node
        that refuses its inputs (the message names the node and the shapes it read).
        """
        if named_feed:
            feed = {**(feed or {}), **named_feed}
        elif feed is None:
            feed = {}
        if self._plan is None:
            self._compiled()
        # Forget the last pass before any layer runs: if this pass fails half-way, some layers
        # already hold its state, and backward() must not mix them with the old values.
        self._values, self._grads, self._sent = {}, None, None
        input_names = self._input_names
        if len(feed) != len(input_names) or not input_names.issuperset(feed):
            self._complain_about_feed(feed)
        values = {
            name: value if is_matrix(value) else as_matrix(value, f"input {name!r}", "fed value")
            for name, value in feed.items()
        }
        if check_finite:
            for name, value in values.items():
                self._check_finite(name, None, value, "output")
        weights = self._weights
        total = 0.0 if weights else None
        for step, name, run, sources in self._forward_steps:
            try:
                if step is _ONE_INPUT:
                    out = run(values[sources])
                else:
                    out = run(*[values[s] for s in sources])
            except ValueError as err:
                raise self._node_error(name, values, err) from None
            if check_finite:
                self._check_finite(name, self.op(name), out, "value" if step is _OBJECTIVE else "output")
            if step is _OBJECTIVE:
                total += weights[name] * out
            values[name] = out
        self._values = values
        if outputs is None:
            return total
        return total, {name: self.value(name) for name in ([outputs] if isinstance(outputs, str) else outputs)}

    def _complain_about_feed(self, feed):
        for name in feed:
            if name not in self._input_names:
                raise GraphError(f"forward: {name!r} is not an input of the graph; inputs: {self.inputs}")
        missing = sorted(self._input_names.difference(feed))
        raise GraphError(f"forward: no value fed for input {missing[0]!r}; inputs: {self.inputs}")

    def backward(self, *, check_finite=False):
        """Send gradients from the objectives back, in reverse topological order.

        Zeroes every parameter's gradient first, so two calls after one forward agree.
        Computes what the parameters (and inputs with ``requires_grad``) need; afterwards
        ``grad``, ``grad_out``, ``edge_grad`` and each ``Parameter.grad`` hold the results.
        With ``check_finite=True`` the first NaN or inf gradient raises a
        ``FloatingPointError`` naming the edge. Raises ``GraphError`` before ``forward`` (or
        after the graph changed) and for a graph without an objective. Returns ``None``.
        """
        if not self._values:
            raise GraphError("backward: call forward first (the graph has no values, or changed since)")
        if not self._weights:
            raise GraphError("backward: the graph has no objective to differentiate")
        for op in self._layers_with_parameters:
            op.zero_grad()  # a parameter shared by two layers is zeroed twice: harmless
        values, weights, requiring, grads, sent = self._values, self._weights, self._requiring, {}, {}
        for step, name, op, sources, extra in self._backward_steps:
            if step is _ONE_INPUT:  # the common case, kept short
                g_out = grads.get(name)
                if g_out is None:
                    continue  # this node does not reach any objective
                g = op.backward(g_out)
                sent[name] = (g,)
                if check_finite:
                    self._check_finite(f"{name} -> {sources}", op, g, "gradient")
                previous = grads.get(sources)
                # A new array rather than +=: `g` is also kept as this edge's gradient.
                grads[sources] = g if previous is None else previous + g
                continue
            if step is _OBJECTIVE:
                target, estimate = sources
                g = op.gradient(values[target], values[estimate])
                weight = weights[name]
                # Targets are constants of the loss: nothing flows back into them.
                back = (None, g if weight == 1.0 else weight * g)
            elif step is _FUSED:  # straight past the activation, to its input
                target, estimate = sources
                g = op.fused_gradient(values[target], values[estimate])
                weight = weights[name]
                sent[name] = (None, _DEFERRED)
                name, op, source = extra
                sources = (source,)
                back = (g if weight == 1.0 else weight * g,)
            else:
                g_out = grads.get(name)
                if g_out is None:
                    continue
                if step is _PARAMETERS_ONLY:
                    op.backward_parameters(g_out)
                    back = (None,) * len(sources)
                else:  # several inputs; a constant one carries no gradient (edge_grad None)
                    back = tuple(g if wanted else None for g, wanted in zip(op.backward(g_out), extra))
            sent[name] = back
            for source, g in zip(sources, back):
                if g is None or source not in requiring:
                    continue
                if check_finite:
                    self._check_finite(f"{name} -> {source}", op, g, "gradient")
                previous = grads.get(source)
                grads[source] = g if previous is None else previous + g
        self._grads, self._sent = grads, sent

    def _require_backward(self, name):
        self._node(name)
        if self._grads is None:
            raise GraphError(f"no gradients for {name!r} yet: call forward, then backward")

    def _node_error(self, name, values, err):
        op, sources = self.op(name), self._sources[name]
        args = [values[s] for s in sources]
        shapes = ", ".join(
            f"{s} {describe_shape(a.shape) if hasattr(a, 'shape') else type(a).__name__}"
            for s, a in zip(sources, args)
        )
        return GraphError(f"node {name!r} ({op.describe()}) reading [{shapes}]: {err}")

    @staticmethod
    def _check_finite(where, op, array, what):
        array = np.asarray(array)
        bad = ~np.isfinite(array)
        if bad.any():
            kind = op.describe() if op is not None else "input"
            if array.ndim == 0:  # an objective's value
                raise FloatingPointError(f"node {where!r} ({kind}): {what} is {float(array)}")
            raise FloatingPointError(
                f"node {where!r} ({kind}): {what} {describe_shape(array.shape)} holds "
                f"{int(bad.sum())} NaN or inf entries of {array.size}"
            )

    # ------------------------------------------------------------------ drawing
    def to_dot(self, view="network", rankdir="LR", profile=None):
        """A ``graphviz.Digraph`` of the graph (shown inline in Jupyter; ``.source`` is the
        DOT text): ``view="network"`` (layers, shapes, parameter counts; with a
        ``graphnn.profile`` result, time and bytes per node) or ``view="gradients"`` (after
        ``backward``: the gradient along every edge). ``rankdir``: ``"LR"``, ``"TB"``,
        ``"RL"`` or ``"BT"``. See ``graphnn.render.to_dot`` for what it raises."""
        from .render import to_dot  # imported here: graphnn.render imports this module

        return to_dot(self, view, rankdir, profile=profile)

    def render(self, path, view="network", rankdir="LR", profile=None):
        """Write the ``view`` to ``path``: ``.dot``/``.gv`` (DOT source, no Graphviz needed),
        or ``.svg``/``.png``/``.pdf`` (the ``.dot`` beside it, then Graphviz's ``dot``).
        Returns the written ``pathlib.Path``. See ``graphnn.render.render``."""
        from .render import render

        return render(self, path, view, rankdir, profile=profile)
