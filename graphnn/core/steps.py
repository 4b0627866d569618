"""The step-by-step view of a pass, read off its ``PassRecord`` on demand (``record.forward_steps()``,
``record.backward_steps()``): what the views (replay, monitor, the profiler) show, and what a
reader follows one step at a time. Nothing here runs during a pass."""
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .kinds import INPUT, LAYER, OBJECTIVE


@dataclass(frozen=True)
class ForwardStep:
    """One step of a forward pass: ``index`` (0, 1, ... in the order the pass ran), ``node``,
    ``kind`` (``'input'`` for a fed value, ``'layer'``, ``'objective'``), ``op`` (``None``
    for an input), ``sources`` (the nodes read, in slot order) and ``value`` (its output,
    ``N x D``; a float for an objective)."""

    index: int
    node: str
    kind: str
    op: Any
    sources: Tuple[str, ...]
    value: Any


@dataclass(frozen=True)
class BackwardStep:
    """One step of a backward pass, in the order it ran (``index`` counts on from the last
    forward step's).

    - ``node``: the node whose backward ran; ``kind``: ``'objective'``, ``'fused objective'``,
      ``'layer'`` or ``'parameters only'`` (see ``graphnn.core.plan``); ``op``: its object;
    - ``grad_out``: the gradient that arrived, ``N x K``: the sum of what the node's consumers
      sent back (an objective's is its weight, a float);
    - ``sent``: ``{(source, target, slot): gradient}`` along each in-edge the step sent back
      on (``N x D``, ``None`` where the source needs no gradient). A fused step belongs to the
      objective and sends past the activation (``activation`` names it) to the activation's
      input: its edge is ``(input of activation, activation, 0)``;
    - ``parameters``: ``{parameter name: gradient}`` that this step added (``dJ/dparameter``).
    """

    index: int
    node: str
    kind: str
    op: Any
    grad_out: Any
    sent: Dict[Tuple[str, str, int], Optional[np.ndarray]]
    parameters: Dict[str, np.ndarray]
    activation: Optional[str] = None



def forward_steps(record):
    """The forward pass as a list of ``ForwardStep``, in the order it ran: the fed
    inputs, then every layer and objective in topological order."""
    return [
        ForwardStep(index, node.name, node.kind, node.op, node.sources, record.values[node.name])
        for index, node in enumerate(
            [n for n in record.plan.order if n.kind == INPUT]
            + [n for n in record.plan.order if n.kind != INPUT]
        )
    ]


def backward_steps(record):
    """The backward pass as a list of ``BackwardStep``, in the order it ran (the plan's
    reverse topological order, less the nodes that reach no objective), once backward ran."""
    steps, start, seen = [], len(record.values), {}
    for index, (name, gradients) in enumerate(record.sent.items(), start):
        node, activation = record.plan.nodes[name], record.plan.fused.get(name)
        if activation is not None:
            sources, into = record.plan.nodes[activation].sources, activation
        else:
            sources, into = node.sources, name
        sent = {(source, into, slot): g for slot, (source, g) in enumerate(zip(sources, gradients))}
        if node.kind == OBJECTIVE:
            sent = {edge: g for edge, g in sent.items() if not (activation is None and edge[2] == 0)}
            grad_out = record.plan.weights[name]
        else:
            grad_out = record.grads[name]
        steps.append(BackwardStep(index, name, record.plan.kinds[name], node.op, grad_out, sent,
                                  _added(record, name, seen), activation))
    return steps


def _added(record, name, seen):
    node = record.plan.nodes[name]
    if node.kind != LAYER:
        return {}
    params = node.op.parameters()
    if name not in record.parameter_sums:
        return {p.name: p.grad for p in params}
    added = {}
    for p, total in zip(params, record.parameter_sums[name]):
        before = seen.get(id(p))
        added[p.name] = total if before is None else total - before
        seen[id(p)] = total
    return added
