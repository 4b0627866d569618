"""The fast path of one plan: its compiled program, run for the feeds it has proven.

The spine (``graphnn.core.passes``) checks everything, every step. Once a pass with a feed
of some signature (the shape and dtype of every fed array) has gone through it without
error, the checks of shapes and types that every layer made are known to pass again for
that signature: from then on the runner runs the plan's ``Program`` (straight-line code
calling each layer's math without those checks), which fills the same ``PassRecord`` with
the same numbers, bit for bit. Checks of values (targets outside ``[0, 1]``, NaN fed to an
``InputLayer``) are part of the math and run every step; when one fails (a ``ValueError``)
the runner gives up on that pass and the graph runs the spine, so every message is the
spine's. The runner belongs to one plan: the graph makes a new one when its structure changes.
"""
import weakref

from ..record import PassRecord
from .feed import Feed
from .program import compile_plan


class Runner:
    """The fast path of ``plan``: ``feed`` (the private copies), ``proven_forward`` and
    ``proven_backward`` (the signatures each pass has proven), ``program`` (compiled once,
    after the first checked pass, so that it binds the methods that pass ran)."""

    def __init__(self, plan):
        self.plan = plan
        self.feed = Feed(plan)
        self.names = tuple(sorted(plan.inputs))
        self.proven_forward, self.proven_backward = set(), set()
        self._program = None
        self._last = None  # (weak reference to the last record, its signature)

    @property
    def program(self):
        """The plan's ``Program`` (``graphnn.core.fast.program``)."""
        if self._program is None:
            self._program = compile_plan(self.plan)
        return self._program

    def forward(self, values):
        """The ``PassRecord`` of the program's forward pass on ``values`` (``{input: N x D}``
        from ``feed.values``), or ``None`` when the graph must run the spine: a signature not
        proven yet, or a ``ValueError`` on the way (the spine will say where)."""
        signature = self.signature(values)
        if signature not in self.proven_forward:
            return None
        try:
            record = PassRecord(self.plan, values, self._program.forward(values))
        except ValueError:
            return None
        self._last = (weakref.ref(record), signature)
        return record

    def signature(self, values):
        """The shape and dtype of every fed array: all that the checks of a pass depend on
        but the numbers."""
        return tuple([(values[n].shape, values[n].dtype) for n in self.names])

    def forward_proven(self, record):
        """The spine ran forward on ``record.values`` without error."""
        values, plan, signature = record.values, self.plan, self.signature(record.values)
        # Targets in another dtype than their estimates (a network of mixed dtypes) are
        # converted by the objective's checks: the spine's business, every time.
        if all(values[node.sources[0]].dtype == values[node.sources[1]].dtype
               for node in plan.order if node.name in plan.weights):
            self.proven_forward.add(signature)
            self.program  # compiled now, binding the methods the spine just ran
        self._last = (weakref.ref(record), signature)

    def backward(self, record):
        """Run the program's backward pass into ``record``; ``False`` (and nothing changed
        but the parameters' gradients, zeroed again by the spine) when the graph must run
        the spine instead."""
        last = self._last
        if last is None or last[0]() is not record or last[1] not in self.proven_backward:
            return False
        record.clear_gradients()
        try:
            record.grads, record.sent = self._program.backward(record.values, record)
        except ValueError:
            record.clear_gradients()
            return False
        return True

    def backward_proven(self, record):
        """The spine ran backward on ``record`` without error."""
        last = self._last
        if last is not None and last[0]() is record and last[1] in self.proven_forward:
            self.proven_backward.add(last[1])
