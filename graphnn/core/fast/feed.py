"""What a pass reads from a feed: float arrays with the batch first (``N x D``, or any rank
``N x ...`` such as ``N x C x H x W`` images) in the network's dtype, and each one a backward
step reads in memory nobody else holds.

A fed array the caller keeps (or a view of one, or of a DataFrame) is copied, so that an
in-place change after ``forward`` cannot reach ``backward``; one that conversion made (from
integers, a list, another dtype) is private already. The copy goes into the last pass's copy
when nothing but the graph and its layers still hold that one (a ``value(name)`` or a
``last_pass`` kept by the caller keeps it as it was): a training loop that feeds an array of
one shape every step allocates no new memory for it (docs/reliability.md).
"""
import sys

import numpy as np

from ..._validation import as_batch, is_batch, is_matrix


class Feed:
    """The fed values of one plan's passes, and the private copies kept between them."""

    def __init__(self, plan):
        self.plan = plan
        self.copies = {}  # input -> the private copy of its last fed array (reused)
        # input -> the layers reading it, each of which remembers the input of its last forward
        self.holders = {name: tuple(op for op in ops if hasattr(op, "getPrevIn"))
                        for name, ops in plan.readers.items()}

    def values(self, feed, copy=True):
        """``{input: N x ... array}`` for ``feed`` (which names every input of the plan).
        ``copy=False``: the caller says its arrays are its own fresh ones, which nobody
        changes before ``backward`` (``fit``'s minibatches): none is copied."""
        dtype, read_by_backward = self.plan.dtype, self.plan.read_by_backward
        values = {}
        for name, value in feed.items():
            # is_matrix first: N x D, the common case, pays nothing for the other ranks
            if (is_matrix(value) or is_batch(value, None)) and (dtype is None or value.dtype == dtype):
                if copy and name in read_by_backward:
                    value = self.private_copy(name, value)
            else:
                value = self.converted(name, value, copy and name in read_by_backward)
            values[name] = value
        return values

    def converted(self, name, value, private):
        """``value`` as an array of rank 2 or more, batch first, in the plan's dtype
        (``ValueError`` naming the input if it cannot be one; each layer reading it checks the
        rank it takes); with ``private``, in memory the caller does not hold."""
        array = as_batch(value, f"input {name!r}", "fed value", ndim=None)
        dtype = self.plan.dtype
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)  # float64 data meets a float32 network as float32
        if private and (array is value or array.base is not None or np.may_share_memory(array, value)):
            return self.private_copy(name, array)
        return array

    def private_copy(self, name, array):
        """A copy of ``array``, written into the last copy when nobody else holds that one."""
        previous = self.copies.get(name)
        if (previous is not None and previous.shape == array.shape and previous.dtype == array.dtype
                and sys.getrefcount(previous) == 3 + self.layers_holding(name, previous)):
            # Counted above: the dict, the local name and getrefcount's own argument.
            np.copyto(previous, array)
            return previous
        copy = self.copies[name] = array.copy()
        return copy

    def layers_holding(self, name, array):
        """How many references to ``array`` the layers reading input ``name`` keep (each
        remembers the input of its last forward)."""
        held = 0
        for op in self.holders[name]:
            remembered = op.getPrevIn()
            if remembered is array:
                held += 1
            elif isinstance(remembered, list):
                held += sum(item is array for item in remembered)
        return held
