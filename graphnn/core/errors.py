"""What every part of the engine shares: the error type and the kinds of node."""

#: the kinds of node, as ``Graph.nx`` node attribute ``kind`` and ``NodeProfile.kind`` name
#: them: an input (data fed to ``forward``), a ``Layer``, an ``Objective``
INPUT, LAYER, OBJECTIVE = "input", "layer", "objective"


class GraphError(ValueError):
    """A graph that cannot run: a cycle, a missing input, a slot filled twice, ..."""

    __module__ = "graphnn"  # tracebacks name it as users import it: graphnn.GraphError

