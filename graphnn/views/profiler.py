"""Per-node profile of one pass: where the time and the bytes of ``forward``/``backward`` go.

``profile(graph, feed)`` runs ``graph.forward(feed)`` and ``graph.backward()`` a number of
times and returns a ``Profile``: for every node, the median wall time (seconds, from
``time.perf_counter``) of its forward work (a layer's ``forward``, an objective's ``eval``)
and of its backward work (``backward`` or ``backward_parameters``, plus the ``zero_grad`` of
its parameters that ``Graph.backward`` calls first; an objective's ``gradient`` or
``fused_gradient``), the bytes of its output and the bytes of the gradients it sent back
along its in-edges. What the nodes do not account for is the *graph overhead*: the
``Graph``'s own loop, lookups and bookkeeping around them (plus the profiler's timers).

``print(p)`` shows the table; ``graphnn.views.render.network_diagram(graph, profile=p)`` draws it
on the network, each node shaded by its share of the pass.

>>> import numpy as np
>>> import graphnn as gn
>>> g = gn.Graph.sequential(gn.FullyConnectedLayer(3, 2, seed=0), gn.LogisticSigmoidLayer(),
...                         objective=gn.LogLoss())
>>> X, Y = np.ones((8, 3)), np.zeros((8, 2))
>>> p = profile(g, {"X": X, "Y": Y}, repeat=5)
>>> [row.name for row in p.rows]
['X', 'Y', 'fc1', 'sigmoid1', 'logloss1']
>>> p.by_node["fc1"].output_bytes          # 8 x 2 float64
128
>>> p.by_node["X"].forward, p.by_node["X"].output_bytes   # inputs: no time, the fed bytes
(0.0, 192)
>>> p.by_node["fc1"].forward > 0 and p.by_node["fc1"].backward > 0
True
>>> abs(p.total - sum(row.total for row in p.rows) - p.overhead) < 1e-12
True
>>> "sigmoid1" in str(p)
True

How it works: each op's methods are wrapped, for the profile's passes only, by instance
attributes (``op.forward = timed(op.forward)``); since a compiled ``Graph`` holds the bound
methods it found when it compiled, the graph's plan is dropped before (so it is rebuilt with
the timers) and after (so it is rebuilt without them). The attributes are removed in a
``finally``, even when a pass raises. The profiler never touches parameter values.
"""
import statistics
import time
from dataclasses import dataclass

import numpy as np

from ..core import INPUT, LAYER, OBJECTIVE, GraphError
from ..core.plan import FUSED_STEP, PARAMETERS_STEP

__all__ = ["profile", "Profile", "NodeProfile", "format_bytes", "format_seconds"]

#: the methods timed, per kind of node: (method name, which part of the pass it belongs to)
_TIMED = {
    LAYER: (("forward", "forward"), ("backward", "backward"),
            ("backward_parameters", "backward"), ("zero_grad", "zero_grad")),
    OBJECTIVE: (("eval", "forward"), ("gradient", "backward"), ("fused_gradient", "backward")),
}
_SLOT = {"forward": 0, "backward": 1, "zero_grad": 2}
_MISSING = object()
_TOP = 3  # how many of the most expensive nodes the table marks


@dataclass(frozen=True)
class NodeProfile:
    """One node's share of a pass. Times in seconds (medians over the profiled passes),
    sizes in bytes.

    - ``name``, ``kind`` (``'input'``, ``'layer'`` or ``'objective'``), ``description``
      (``op.describe()``, ``'input'`` for inputs);
    - ``forward``: time in the layer's ``forward`` / the objective's ``eval``;
    - ``backward``: time in ``backward`` or ``backward_parameters`` (layers) or ``gradient``
      or ``fused_gradient`` (objectives), *including* ``zero_grad``;
    - ``zero_grad``: the part of ``backward`` spent zeroing the layer's parameter gradients;
    - ``output_bytes``: ``nbytes`` of the node's output (``N x D``; an objective's ``J`` is
      one float64, 8 bytes; an input's is the fed array);
    - ``gradient_bytes``: the ``nbytes`` of the gradients the node sent back along its
      in-edges in the pass (``PassRecord.sent_by``); none sent (a constant input, a
      target) counts 0. A fused objective sends ``Yhat - Y`` past its activation: those bytes
      appear on the activation's row, as its ``edge_grad``, and the objective's own gradient,
      never computed in the pass, counts 0;
    - ``note``: how the pass treated the node (fused, parameters only, no backward), or ``''``.
    """

    name: str
    kind: str
    description: str
    forward: float
    backward: float
    output_bytes: int
    gradient_bytes: int
    zero_grad: float = 0.0
    note: str = ""

    @property
    def total(self):
        """``forward + backward``, seconds."""
        return self.forward + self.backward


class Profile:
    """The result of ``profile``: one ``NodeProfile`` per node and the pass totals.

    - ``rows``: the nodes' ``NodeProfile`` in topological order (``graph.nodes``);
      ``by_node``: the same, by name;
    - ``total_forward``, ``total_backward``, ``total``: seconds per pass, measured around
      ``graph.forward`` and ``graph.backward`` (with the timers in place). Each is the sum of
      the nodes' medians plus the median over passes of that pass's overhead, so that
      ``total == sum of the rows' totals + overhead`` holds exactly;
    - ``overhead_forward``, ``overhead_backward``, ``overhead``: seconds per pass spent
      outside every node (the graph's own work, and the profiler's timers), never negative;
    - ``plain_forward``, ``plain_backward``, ``plain_total``: median seconds of the same
      passes without any timer (``None`` when not measured); ``total - plain_total``
      estimates what the timers themselves cost;
    - ``repeat``: the number of passes each median is taken over; ``backward``: whether
      backward was profiled.

    ``str(profile)`` (``to_table()``) is an aligned table in µs and B/KiB/MiB.
    """

    def __init__(self, rows, total_forward, total_backward, repeat, backward=True,
                 plain_forward=None, plain_backward=None):
        self.rows = list(rows)
        self.by_node = {row.name: row for row in self.rows}
        self.total_forward = float(total_forward)
        self.total_backward = float(total_backward)
        self.repeat = int(repeat)
        self.backward = bool(backward)
        self.plain_forward = plain_forward
        self.plain_backward = plain_backward

    @property
    def total(self):
        """Seconds per pass, forward and backward."""
        return self.total_forward + self.total_backward

    @property
    def node_total(self):
        """Seconds per pass spent in the nodes."""
        return sum(row.total for row in self.rows)

    @property
    def overhead_forward(self):
        """Seconds per forward pass outside every node's forward work."""
        return self.total_forward - sum(row.forward for row in self.rows)

    @property
    def overhead_backward(self):
        """Seconds per backward pass outside every node's backward work."""
        return self.total_backward - sum(row.backward for row in self.rows)

    @property
    def overhead(self):
        """Seconds per pass outside every node: ``total`` minus the nodes' times."""
        return self.total - self.node_total

    @property
    def plain_total(self):
        """Median seconds of a pass without any timer, forward and backward; ``None`` when
        not measured."""
        if self.plain_forward is None:
            return None
        return self.plain_forward + (self.plain_backward or 0.0)

    def share(self, name):
        """Node ``name``'s part of the pass time, between 0 and 1."""
        return self.by_node[name].total / self.total if self.total > 0 else 0.0

    def top(self, n=_TOP):
        """The names of the ``n`` nodes that take the most time (ties: topological order)."""
        ranked = sorted((row for row in self.rows if row.total > 0), key=lambda row: -row.total)
        return [row.name for row in ranked[:n]]

    def to_table(self, sort=False, limit=None):
        """The profile as aligned text: one line per node (``sort=True``: most expensive
        first; ``limit``: only that many), then the graph overhead and the totals. Times in
        µs, sizes in B/KiB/MiB; ``share`` is the part of the whole pass; the ``top`` column
        ranks the three most expensive nodes."""
        ranks = {name: i + 1 for i, name in enumerate(self.top())}
        rows = sorted(self.rows, key=lambda row: -row.total) if sort else list(self.rows)
        hidden = rows[limit:] if limit is not None else []
        rows = rows[:limit] if limit is not None else rows
        header = ("top", "node", "class", "fwd µs", "bwd µs", "share", "out", "grad back", "note")
        lines = [
            (f"#{ranks[row.name]}" if row.name in ranks else "", row.name, row.description,
             _us(row.forward), _us(row.backward), self._percent(row.total),
             format_bytes(row.output_bytes), format_bytes(row.gradient_bytes), row.note)
            for row in rows
        ]
        if hidden:
            lines.append(("", f"({len(hidden)} more)", "",
                          _us(sum(r.forward for r in hidden)), _us(sum(r.backward for r in hidden)),
                          self._percent(sum(r.total for r in hidden)), "", "", ""))
        lines.append(("", "(graph overhead)", "outside every node", _us(self.overhead_forward),
                      _us(self.overhead_backward), self._percent(self.overhead), "", "", ""))
        lines.append(("", "total", f"median of {self.repeat} passes", _us(self.total_forward),
                      _us(self.total_backward), self._percent(self.total), "", "", ""))
        right = {3, 4, 5, 6, 7}
        widths = [max(len(line[i]) for line in [header] + lines) for i in range(len(header))]

        def fmt(line):
            cells = [cell.rjust(w) if i in right else cell.ljust(w)
                     for i, (cell, w) in enumerate(zip(line, widths))]
            return "  ".join(cells).rstrip()

        rule = "-" * len(fmt(tuple("x" * w for w in widths)))
        text = [fmt(header), rule] + [fmt(line) for line in lines[:-2]] + [rule]
        text += [fmt(line) for line in lines[-2:]]
        text.append(
            f"pass {_us(self.total)} µs: nodes {_us(self.node_total)} µs "
            f"({self._percent(self.node_total)}), graph overhead {_us(self.overhead)} µs "
            f"({self._percent(self.overhead)})"
        )
        if self.plain_total is not None:
            extra = self.total - self.plain_total
            cost = (f"the timers add about {_us(extra)} µs, counted in the overhead" if extra > 0
                    else "the timers' cost is within the noise")
            text.append(f"without the profiler's timers the pass takes {_us(self.plain_total)} µs ({cost})")
        return "\n".join(text)

    def __str__(self):
        return self.to_table()

    def __repr__(self):
        return (f"<Profile: {len(self.rows)} nodes, pass {format_seconds(self.total)} "
                f"(forward {format_seconds(self.total_forward)}, backward "
                f"{format_seconds(self.total_backward)}), graph overhead {self._percent(self.overhead)}>")

    def _percent(self, seconds):
        return f"{100.0 * seconds / self.total:.1f} %" if self.total > 0 else "-"


def profile(graph, feed, repeat=20, backward=True):
    """Profile ``repeat`` passes of ``graph`` on ``feed`` (a dict ``{input name: N x D
    array}``, as ``graph.forward`` takes) and return a ``Profile``.

    One warm-up pass first (it also compiles the graph), then ``repeat`` timed passes of
    ``graph.forward(feed)`` and, if ``backward``, ``graph.backward()``; each node's times are
    medians over those passes. Then the timers are removed and the same number of plain
    passes (after a warm-up) measure the pass without them (``Profile.plain_total``).

    The graph is left as a plain pass leaves it: no attribute added to any op, its values and
    gradients those of ``feed`` (as after ``graph.forward(feed); graph.backward()``), the
    parameter values untouched (no optimizer runs). If a pass raises, the timers are removed
    and the graph's plan dropped before the error propagates.

    Raises ``ValueError`` when ``repeat`` is not a positive integer, ``GraphError`` when
    ``backward`` is asked of a graph without an objective (or the graph cannot run).
    """
    if isinstance(repeat, bool) or not isinstance(repeat, (int, np.integer)) or repeat < 1:
        raise ValueError(f"profile: repeat must be a positive integer, got {repeat!r}")
    if backward and not graph.objectives:
        raise GraphError(
            "profile: the graph has no objective, so there is no backward pass to time; "
            "call profile(graph, feed, backward=False)"
        )
    names = graph.nodes  # compiles the graph: a graph that cannot run fails here, untouched
    kinds = {name: graph.nx.nodes[name]["kind"] for name in names}
    cells = {name: [0.0, 0.0, 0.0] for name in names}  # forward, backward, zero_grad seconds

    samples, totals = {name: [] for name in names}, []
    installed = []  # (op, attribute, what vars(op) held before: _MISSING if nothing)
    try:
        for name in names:
            if kinds[name] != INPUT:
                _install(graph.op(name), _TIMED[kinds[name]], cells[name], installed)
        graph.recompile()  # the compiled plan holds bound methods: rebuild it with the timers
        for index in range(repeat + 1):
            for cell in cells.values():
                cell[:] = (0.0, 0.0, 0.0)
            t_forward, t_backward = _one_pass(graph, feed, backward)
            if index == 0:
                continue  # the warm-up
            totals.append((t_forward, t_backward))
            for name, cell in cells.items():
                samples[name].append(tuple(cell))
    finally:
        for op, attribute, before in reversed(installed):
            if before is _MISSING:
                delattr(op, attribute)
            else:
                setattr(op, attribute, before)
        graph.recompile()  # ... and again without them

    plain = [_one_pass(graph, feed, backward) for _ in range(repeat + 1)][1:]

    # Per node: medians. Per pass: the time outside the nodes, whose median is the overhead.
    medians = {
        name: tuple(statistics.median(s[i] for s in samples[name]) for i in range(3)) for name in names
    }
    forward_outside = statistics.median(
        total[0] - sum(samples[name][p][0] for name in names) for p, total in enumerate(totals)
    )
    backward_outside = statistics.median(
        total[1] - sum(samples[name][p][1] + samples[name][p][2] for name in names)
        for p, total in enumerate(totals)
    )
    rows = [_row(graph, name, kinds[name], medians[name], backward) for name in names]
    return Profile(
        rows,
        total_forward=sum(row.forward for row in rows) + max(forward_outside, 0.0),
        total_backward=sum(row.backward for row in rows) + max(backward_outside, 0.0),
        repeat=repeat,
        backward=backward,
        plain_forward=statistics.median(t for t, _ in plain),
        plain_backward=statistics.median(t for _, t in plain) if backward else None,
    )


def _one_pass(graph, feed, backward):
    clock = time.perf_counter
    start = clock()
    graph.forward(feed)
    middle = clock()
    if not backward:
        return middle - start, 0.0
    graph.backward()
    return middle - start, clock() - middle


def _install(op, methods, cell, installed):
    """Replace each of ``op``'s ``methods`` by a timed one (an instance attribute) and
    append to ``installed`` what to undo, one at a time, so that a failure half-way is undone
    too. Calls nested in another timed call of the same op (``backward`` calling
    ``backward_parameters``) are counted once, in the outer one."""
    depth = [0]
    for attribute, part in methods:
        method = getattr(op, attribute, None)
        if method is None:
            continue
        before = vars(op).get(attribute, _MISSING) if hasattr(op, "__dict__") else _MISSING
        setattr(op, attribute, _timed(method, cell, _SLOT[part], depth))
        installed.append((op, attribute, before))


def _timed(method, cell, slot, depth):
    clock = time.perf_counter

    def timed(*args, **kwargs):
        if depth[0]:
            return method(*args, **kwargs)
        depth[0] = 1
        start = clock()
        try:
            return method(*args, **kwargs)
        finally:
            cell[slot] += clock() - start
            depth[0] = 0

    return timed


def _row(graph, name, kind, medians, backward):
    forward, backward_time, zero = medians
    value = graph.last_pass.value(name)
    gradient_bytes = _sent_bytes(graph, name) if backward and kind != INPUT else 0
    description = "input" if kind == INPUT else graph.op(name).describe()
    return NodeProfile(
        name=name, kind=kind, description=description, forward=forward,
        backward=backward_time + zero, output_bytes=int(np.asarray(value).nbytes),
        gradient_bytes=gradient_bytes, zero_grad=zero,
        note=_note(graph, name, kind) if backward else "",
    )


def _sent_bytes(graph, name):
    """Bytes of what node ``name`` sent back in the last pass (``PassRecord.sent_by``). A
    fused objective sent nothing itself (its ``Yhat - Y`` counts at the activation), and
    asking would compute its deferred gradient just to measure it."""
    record = graph.last_pass
    if not record.has_gradients or record.plan.kinds.get(name) == FUSED_STEP:
        return 0
    return sum(int(g.nbytes) for g in record.sent_by(name) or () if g is not None)


def _note(graph, name, kind):
    """How the plan treats node ``name`` in backward, in a few words."""
    plan = graph.plan
    step = plan.kinds.get(name)
    if step == FUSED_STEP:
        return f"fused: Yhat - Y sent past {plan.fused[name]}"
    if name in plan.fused_by:
        return f"backward fused into {plan.fused_by[name]}"
    if step == PARAMETERS_STEP:
        return "parameters only (input constant)"
    if step is None and kind == OBJECTIVE:
        return "no backward (constant estimate)"
    if step is None and kind == LAYER:
        return "no backward (constant branch)"
    return ""


# ---------------------------------------------------------------------------- formatting
def _us(seconds):
    return f"{seconds * 1e6:,.1f}"


def format_seconds(seconds):
    """A duration for labels: ``'12.3 µs'``, ``'4.56 ms'``, ``'1.23 s'``.

    >>> [format_seconds(s) for s in (0.0, 1.234e-5, 4.5678e-3, 1.234)]
    ['0 µs', '12.3 µs', '4.57 ms', '1.23 s']
    """
    if seconds == 0:
        return "0 µs"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_bytes(n):
    """A size in bytes for tables and labels: ``'512 B'``, ``'5.3 KiB'``, ``'2.0 MiB'``.

    >>> [format_bytes(n) for n in (0, 512, 5432, 2 * 1024 ** 2, 3 * 1024 ** 3)]
    ['0 B', '512 B', '5.3 KiB', '2.0 MiB', '3.0 GiB']
    """
    n = int(n)
    for unit, size in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"
