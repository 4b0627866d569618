"""The plan compiled into two straight-line Python functions: the program the graph is.

``compile_plan(plan)`` writes one ``forward`` and one ``backward`` function, each a list of
calls in the plan's order, with every decision of the plan already taken: no loop, no
lookup of steps, no test of whether a node has a gradient (the plan knows), and the sums
where a value fans out written out as additions. Each call is a layer's own math, without
the checks of its public entry (``math_of``), which the runner uses once a pass with the same
feed signature has gone through the checked loops of ``graphnn.core.passes`` (the reference:
the program computes the same numbers, bit for bit, and fills the same ``PassRecord``).

``Program.source`` is that code as text (``Graph.source``): what you would have written by
hand for this graph, forward and backward.
"""
import keyword

from ..._validation import ieee_quiet
from ..kinds import FUSED_STEP, INPUT, LAYER_STEP, OBJECTIVE, OBJECTIVE_STEP, PARAMETERS_STEP

#: names the generated functions use for themselves
_RESERVED = {"forward", "backward", "values", "record", "grads", "sent", "None", "J"}


def comment(text):
    """``text`` made safe to end a line of the generated code as a comment: every character
    that is not printable (a line break of any kind, a NUL) becomes a space, so nothing a layer
    says about itself (``describe()``) can leave the comment and run as code."""
    return "".join(c if c.isprintable() else " " for c in str(text))


class Program:
    """The compiled passes of one plan: ``source`` (the Python text of both functions),
    ``forward(values)`` (``values``: ``{input: N x D}``, filled in place with every node's
    output; returns ``J``) and ``backward(record)`` (returns ``(grads, sent)`` as the
    reference loop leaves them in the record)."""

    def __init__(self, source, namespace):
        self.source = source
        exec(compile(source, "<graphnn program>", "exec"), namespace)  # noqa: S102 - our own text
        # Each runs in one quiet IEEE context (docs/reliability.md), as the spine's passes do.
        self.forward = ieee_quiet(namespace["forward"])
        self.backward = ieee_quiet(namespace["backward"])


def compile_plan(plan):
    """The ``Program`` of ``plan``."""
    return _Writer(plan).program()


def math_of(op, name):
    """``op``'s method ``name`` as the program calls it: the math alone (its ``__wrapped__``)
    when it is a public entry checked by graphnn's decorators (``graphnn.layers.Layer``,
    ``graphnn.objectives.Objective``); as it is when it was replaced on the object (the
    profiler's timers) or carries no such checks (a class of your own)."""
    method = getattr(op, name)
    if name in getattr(op, "__dict__", ()):
        return method
    function = getattr(method, "__func__", None)
    if getattr(function, "graphnn_checks", False):
        return function.__wrapped__.__get__(op)
    return method


def _arrivals(plan):
    """``{node: how many gradients backward sends to it}``, from the plan alone (the same
    rules as the reference loop: a step runs when its node has received a gradient)."""
    received = dict.fromkeys(plan.weights, 1)
    for name, _, sources in plan.backward_steps:
        if name not in received:
            continue
        kind = plan.kinds[name]
        if kind == OBJECTIVE_STEP:
            targets = sources[1:]
        elif kind == PARAMETERS_STEP:
            targets = ()
        else:
            targets = [s for s in sources if kind == FUSED_STEP or s in plan.requiring]
        for source in targets:
            received[source] = received.get(source, 0) + 1
    return received


class _Writer:
    def __init__(self, plan):
        self.plan = plan
        self.used = set(_RESERVED) | set(keyword.kwlist)
        self.namespace = {}
        # Node values first, so that they keep their own names where they can.
        self.var = {node.name: self.identifier(node.name) for node in plan.order}

    def identifier(self, wanted):
        name = "".join(c if c.isalnum() or c == "_" else "_" for c in wanted)
        while name in self.used:
            name += "_"
        self.used.add(name)
        return name

    def bind(self, wanted, obj):
        """A global of the generated code for ``obj`` (a bound method, a record helper)."""
        name = self.identifier(wanted)
        self.namespace[name] = obj
        return name

    def program(self):
        lines = self.forward_lines() + [""] + self.backward_lines()
        return Program("\n".join(lines) + "\n", self.namespace)

    # ------------------------------------------------------------------ forward
    def forward_lines(self):
        plan, var = self.plan, self.var
        lines = ["def forward(values):",
                 '    """Every node\'s output, in topological order; returns J."""']
        inputs = [n.name for n in plan.order if n.kind == INPUT]
        lines += [f"    {var[name]} = values[{name!r}]" for name in inputs]
        for name, kind, op, sources in plan.order:
            if kind == INPUT:
                continue
            args = ", ".join(var[s] for s in sources)
            if kind == OBJECTIVE:
                call = self.bind(f"{var[name]}_eval", math_of(op, "eval"))
            else:
                call = self.bind(f"{var[name]}_forward", math_of(op, "forward"))
            lines.append(f"    {var[name]} = {call}({args})  # {comment(op.describe())}")
        computed = [n.name for n in plan.order if n.kind != INPUT]
        if computed:  # a graph of inputs only computes nothing
            lines.append("    values.update({")
            lines += [f"        {n!r}: {var[n]}," for n in computed]
            lines.append("    })")
        terms = [f"{weight!r} * {var[name]}" for name, weight in plan.weights.items()]
        lines.append(f"    return {' + '.join(terms) if terms else 'None'}")
        return lines

    # ------------------------------------------------------------------ backward
    def backward_lines(self):
        plan, var = self.plan, self.var
        lines = ["def backward(values, record):",
                 '    """Gradients from the objectives back, in reverse topological order;',
                 '    returns (grads, sent): each node\'s summed output gradient, and what each',
                 '    step sent back to its sources."""']
        needed = {s for name, _, sources in plan.backward_steps for s in self._read_by(name, sources)}
        lines += [f"    {var[n]} = values[{n!r}]" for n in (n.name for n in plan.order) if n in needed]
        for op in plan.layers_with_parameters:
            lines.append(f"    {self.bind(f'{self.var[self._node_of(op)]}_zero_grad', op.zero_grad)}()")
        self.consumers = _arrivals(plan)
        arrived = {name: [] for name in plan.structure}  # node -> names of what was sent to it
        grads = dict.fromkeys(plan.weights)  # node -> expression of its summed gradient
        sent = {}
        for name, _, sources in plan.backward_steps:
            if name not in grads:
                continue  # nothing this node feeds reaches an objective
            kind, node = plan.kinds[name], plan.nodes[name]
            if kind != OBJECTIVE_STEP and kind != FUSED_STEP:
                grads[name] = self.summed(name, arrived[name], lines)
            outputs = self.step(name, kind, node, sources, grads.get(name), lines)
            sent[name] = outputs
            for source, out in zip(sources, outputs):
                if out != "None":
                    arrived[source].append(out)
                    grads.setdefault(source, None)
            if name in plan.sharing:  # a tied parameter: keep each holder's share
                lines.append(f"    record.keep_parameter_sums({name!r})")
        for name in grads:  # inputs and fused activations: summed, never stepped through
            if grads[name] is None and name not in plan.weights:
                grads[name] = self.summed(name, arrived[name], lines)
        lines.append("    grads = {  # each node's output gradient (an objective's: its weight)")
        lines += [f"        {n!r}: {plan.weights[n]!r}," if n in plan.weights else f"        {n!r}: {grads[n]},"
                  for n in grads]
        lines.append("    }")
        lines.append("    sent = {  # what each step sent back, one gradient per source")
        lines += [f"        {n!r}: ({', '.join(outs)}{',' if len(outs) == 1 else ''}),"
                  for n, outs in sent.items()]
        lines.append("    }")
        lines.append("    return grads, sent")
        return lines

    def summed(self, name, arrivals, lines):
        """The line summing what ``name``'s consumers sent (in the order they sent it), and
        the variable holding the sum."""
        if len(arrivals) == 1:
            return arrivals[0]
        total = self.identifier(f"d_{self.var[name]}")
        lines.append(f"    {total} = {' + '.join(arrivals)}  # fan-out: the sum over its consumers")
        return total

    def step(self, name, kind, node, sources, g_out, lines):
        """The lines of one backward step; returns the expressions sent, one per source."""
        var, op = self.var, node.op
        if kind in (OBJECTIVE_STEP, FUSED_STEP):
            target, estimate = node.sources
            weight = self.plan.weights[name]
            if kind == FUSED_STEP:
                method, into = "fused_gradient", sources[0]
                note = f"{op.describe()} fused with {self.plan.fused[name]}: Yhat - Y, sent to {into}"
            else:
                method, into = "gradient", estimate
                note = f"{op.describe()}: dJ/dYhat per observation, sent to {into}"
            out = self.sent_name(name, into)
            call = self.bind(f"{var[name]}_{method}", math_of(op, method))
            lines.append(f"    {out} = {call}({var[target]}, {var[estimate]})  # {comment(note)}")
            if weight != 1.0:
                lines.append(f"    {out} = {weight!r} * {out}  # times the objective's weight")
            return [out] if kind == FUSED_STEP else ["None", out]
        if kind == PARAMETERS_STEP:
            call = self.bind(f"{var[name]}_backward_parameters", math_of(op, "backward_parameters"))
            lines.append(f"    {call}({g_out})  # {comment(op.describe())}: parameter gradients only, "
                         f"its input{'s need' if len(sources) > 1 else ' needs'} none")
            return ["None"] * len(sources)
        assert kind == LAYER_STEP
        call = self.bind(f"{var[name]}_backward", math_of(op, "backward"))
        outs = [self.sent_name(name, s) if s in self.plan.requiring else "_"
                for s in sources]
        if len(sources) == 1:
            lines.append(f"    {outs[0]} = {call}({g_out})  # {comment(op.describe())}")
        else:
            lines.append(f"    {', '.join(outs)} = {call}({g_out})  # {comment(op.describe())}")
        return [o if o != "_" else "None" for o in outs]

    def sent_name(self, node, source):
        """``d_source`` for the only gradient ``source`` receives, else ``d_source_from_node``."""
        var = self.var
        if self.consumers[source] == 1:
            return self.identifier(f"d_{var[source]}")
        return self.identifier(f"d_{var[source]}_from_{var[node]}")

    def _read_by(self, name, sources):
        node = self.plan.nodes[name]
        return node.sources if node.kind == OBJECTIVE else ()

    def _node_of(self, op):
        return next(n.name for n in self.plan.order if n.op is op)

