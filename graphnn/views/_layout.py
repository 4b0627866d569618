"""What a diagram draws, before any drawing: which nodes (a range of them, repeated blocks of
a deep chain folded into one box, the time steps of an unrolled recurrent network folded into
one), which edges between them, and which way it runs.

``graphnn.views.render`` asks ``plan(graph, fold, node_range)`` for a ``Plan`` and draws it; this
module knows nothing of Graphviz. It reads the graph through its public API only.
"""
from dataclasses import dataclass, replace
from typing import Optional, Tuple

from ..core import LAYER
from ..recurrent import STEP_NAME

#: the direction ``rankdir="auto"`` picks: left to right up to ``AUTO_LR_MAX_DEPTH`` boxes along
#: the longest path (a short chain fits a screen's width), top to bottom beyond, as Keras draws
AUTO = "auto"
AUTO_LR_MAX_DEPTH = 4

#: the default of ``fold``: a block of layers repeated at least this many times in a row along
#: a chain is drawn as one box
FOLD = 4


@dataclass(frozen=True)
class Fold:
    """``repeats`` copies of one block of layers along a chain, drawn as one box; or the
    ``repeats`` time steps of a recurrent network unrolled by ``graphnn.unroll``.

    ``members``: the node names, in order (``repeats * len(block)`` of them); ``block``: the
    ``describe()`` text of each layer of one copy; ``steps``: for folded time steps, the
    unrolled network's name (``rnn``), else ``None``."""

    members: Tuple[str, ...]
    block: Tuple[str, ...]
    repeats: int
    steps: Optional[str] = None

    @property
    def id(self):
        """The box's DOT id; parentheses keep it apart from every node name."""
        return f"(fold {self.members[0]}..{self.members[-1]})"

    @property
    def first(self):
        return self.members[0]

    @property
    def last(self):
        return self.members[-1]


@dataclass(frozen=True)
class Edge:
    """An edge ``source -> target`` into ``slot``, drawn between the boxes ``tail`` and ``head``
    (the node's own name, a fold's id, or an outside stub's id)."""

    source: str
    target: str
    slot: int
    tail: str
    head: str
    #: a loop on a box of folded time steps: the state one step hands the next (``source`` in
    #: step 1, ``target`` in step 2 stand for every step's)
    carried: bool = False
    #: the other edges between the same two boxes that this one is drawn for, ``(source,
    #: target, slot)`` each: an input read by every folded time step is one arrow, not ``T``
    merged: Tuple[Tuple[str, str, int], ...] = ()

    @property
    def edges(self):
        """Every edge this one stands for, ``(source, target, slot)``, itself first."""
        return ((self.source, self.target, self.slot),) + self.merged


@dataclass(frozen=True)
class Plan:
    """What to draw: ``items`` (node names and ``Fold``\\ s, in topological order),
    ``edges``, ``outside`` (names of nodes beyond ``node_range`` that an edge reaches, drawn
    as small grey stubs), ``node_range`` as given and ``depth`` (boxes along the longest
    path, for ``rankdir="auto"``)."""

    items: tuple
    edges: Tuple[Edge, ...]
    outside: Tuple[str, ...]
    node_range: Optional[Tuple[str, str]]
    depth: int
    n_nodes: int

    @property
    def folds(self):
        return [item for item in self.items if isinstance(item, Fold)]


def value_or_none(graph, name):
    """Node ``name``'s value in the last pass (``graph.last_pass``), or ``None`` before a pass
    has computed it."""
    return graph.last_pass.values.get(name) if graph.has_values else None


def outside_id(name):
    """The DOT id of the stub standing for ``name``, a node outside the drawn range."""
    return f"(outside {name})"


def choose_rankdir(rankdir, plan):
    """``rankdir`` itself, or for ``"auto"``: ``"LR"`` for a drawing at most
    ``AUTO_LR_MAX_DEPTH`` boxes deep, else ``"TB"``."""
    if rankdir != AUTO:
        return rankdir
    return "LR" if plan.depth <= AUTO_LR_MAX_DEPTH else "TB"


def plan(graph, fold=FOLD, node_range=None):
    """The ``Plan`` of a drawing of ``graph``: the nodes of ``node_range`` (all by default),
    with every block of layers repeated at least ``fold`` times in a row along a chain folded
    into one box (``fold=False``: none). Raises ``ValueError`` for a bad ``fold`` or
    ``node_range``."""
    fold = _checked_fold(fold)
    nodes = list(graph.nodes)
    drawn = _in_range(nodes, node_range)
    folds = _find_step_folds(graph, nodes, drawn, fold) if fold else []
    in_steps = {member for f in folds for member in f.members}
    folds += _find_folds(graph, nodes, drawn - in_steps, fold) if fold else []
    box_of = {name: name for name in drawn}
    for f in folds:
        for member in f.members:
            box_of[member] = f.id
    items, seen = [], set()
    for name in nodes:
        if name not in drawn:
            continue
        box = box_of[name]
        if box == name:
            items.append(name)
        elif box not in seen:
            seen.add(box)
            items.append(next(f for f in folds if f.id == box))
    edges, outside, looped = [], [], set()
    for target in nodes:
        for slot, source in enumerate(graph.predecessors(target)):
            if source not in drawn and target not in drawn:
                continue
            tail = box_of.get(source) or outside_id(source)
            head = box_of.get(target) or outside_id(target)
            if tail == head:  # inside a fold: but one loop for the state carried between steps
                if tail not in looped and _carried(source, target):
                    looped.add(tail)
                    edges.append(Edge(source, target, slot, tail, head, carried=True))
                continue
            for name in (source, target):
                if name not in drawn and name not in outside:
                    outside.append(name)
            edges.append(Edge(source, target, slot, tail, head))
    edges = _merged_into_steps(edges, {f.id for f in folds if f.steps is not None})
    return Plan(tuple(items), tuple(edges), tuple(outside), node_range,
                _depth(items, edges), len(nodes))


def _merged_into_steps(edges, step_boxes):
    """``edges`` with those between the same two boxes, one of them a box of folded time
    steps, drawn as one (the first, its ``merged`` the others)."""
    if not step_boxes:
        return edges
    kept, first = [], {}
    for edge in edges:
        key = (edge.tail, edge.head)
        if edge.carried or not step_boxes & set(key):
            kept.append(edge)
        elif key in first:
            i = first[key]
            kept[i] = replace(kept[i], merged=kept[i].merged + ((edge.source, edge.target, edge.slot),))
        else:
            first[key] = len(kept)
            kept.append(edge)
    return kept


def _checked_fold(fold):
    if fold is False or fold is None:
        return 0
    if isinstance(fold, bool) or not isinstance(fold, int) or fold < 2:
        raise ValueError(
            f"fold must be a whole number >= 2 (fold a block repeated at least that many times "
            f"in a row) or False (draw every node), got {fold!r}"
        )
    return fold


def _in_range(nodes, node_range):
    """The names drawn: all, or those from ``first`` to ``last`` in topological order."""
    if node_range is None:
        return set(nodes)
    try:
        first, last = node_range
    except (TypeError, ValueError):
        raise ValueError(
            f"node_range must be a pair (first, last) of node names, got {node_range!r}"
        ) from None
    for name in (first, last):
        if name not in nodes:
            raise ValueError(
                f"node_range: {name!r} is not a node of the graph; its nodes, in order: "
                f"{', '.join(nodes)}"
            )
    i, j = nodes.index(first), nodes.index(last)
    if i > j:
        raise ValueError(
            f"node_range: {first!r} comes after {last!r} in the graph's order; give "
            f"({last!r}, {first!r})"
        )
    return set(nodes[i:j + 1])


def _chains(graph, nodes, drawn):
    """Maximal chains of drawn layers, each one the only input of the next and read by it
    alone: the runs in which repeated blocks are looked for."""
    def link(a, b):  # a feeds b and nothing else, and b reads a alone
        return (b in drawn and _is_layer(graph, b) and graph.predecessors(b) == [a]
                and graph.nx.out_degree(a) == 1)

    successor = {}
    for name in nodes:
        if name in drawn and _is_layer(graph, name):
            for _, b in graph.nx.out_edges(name):
                if link(name, b):
                    successor[name] = b
    has_predecessor = set(successor.values())
    chains = []
    for name in nodes:
        if name in drawn and _is_layer(graph, name) and name not in has_predecessor:
            chain = [name]
            while chain[-1] in successor:
                chain.append(successor[chain[-1]])
            chains.append(chain)
    return chains


def _is_layer(graph, name):
    return graph.nx.nodes[name]["kind"] == LAYER


def _find_folds(graph, nodes, drawn, fold):
    """Along each chain, left to right: the block repeated most (covering the most layers,
    the shortest block on a tie) at least ``fold`` times from here is folded."""
    folds = []
    for chain in _chains(graph, nodes, drawn):
        signs = [graph.op(name).describe() for name in chain]
        i = 0
        while i < len(chain):
            best = None
            for period in range(1, (len(chain) - i) // fold + 1):
                block = signs[i:i + period]
                repeats = 1
                while signs[i + repeats * period:i + (repeats + 1) * period] == block:
                    repeats += 1
                if repeats >= fold and (best is None or repeats * period > best[0] * best[1]):
                    best = (repeats, period)
            if best is None:
                i += 1
                continue
            repeats, period = best
            members = tuple(chain[i:i + repeats * period])
            folds.append(Fold(members, tuple(signs[i:i + period]), repeats))
            i += repeats * period
    return folds


def _find_step_folds(graph, nodes, drawn, fold):
    """The time steps of each recurrent network ``graphnn.unroll`` wrote (nodes named
    ``<name>.t<t>.<part>``, ``STEP_NAME``), one box per network when its drawn steps are at
    least ``fold``, in a row and alike (the same parts, the same classes of layer): a range
    that cuts a step draws them all."""
    groups = {}
    for name in nodes:
        match = STEP_NAME.match(name) if name in drawn and _is_layer(graph, name) else None
        if match:
            groups.setdefault(match["name"], {}).setdefault(int(match["t"]), []).append(name)
    folds = []
    for network, steps in groups.items():
        times = sorted(steps)
        if len(times) < fold or times != list(range(times[0], times[0] + len(times))):
            continue
        signs = {t: sorted((STEP_NAME.match(n)["part"], type(graph.op(n)).__name__) for n in steps[t])
                 for t in times}
        if any(signs[t] != signs[times[0]] for t in times):
            continue
        first = steps[times[0]]
        members = tuple(n for n in nodes if n in {m for t in times for m in steps[t]})
        folds.append(Fold(members, tuple(graph.op(n).describe() for n in first), len(times), network))
    return folds


def _carried(source, target):
    """Whether the edge ``source -> target`` goes from one time step to the next."""
    a, b = STEP_NAME.match(source), STEP_NAME.match(target)
    return bool(a and b and a["name"] == b["name"] and int(b["t"]) == int(a["t"]) + 1)


def _depth(items, edges):
    """The number of boxes along the longest path of the drawing."""
    ids = [item.id if isinstance(item, Fold) else item for item in items]
    incoming = {}
    for edge in edges:
        if not edge.carried:
            incoming.setdefault(edge.head, []).append(edge.tail)
    depth = {}
    for box in ids:  # topological order
        depth[box] = 1 + max((depth.get(t, 1) for t in incoming.get(box, ())), default=0)
    return max(depth.values(), default=0)
