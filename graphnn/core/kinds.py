"""What every part of the engine shares: the error type, the kinds of node, the kinds of step."""

#: the kinds of node, as ``Graph.nx`` node attribute ``kind`` and ``NodeProfile.kind`` name
#: them: an input (data fed to ``forward``), a ``Layer``, an ``Objective``
INPUT, LAYER, OBJECTIVE = "input", "layer", "objective"

# The kinds of backward step (``BackwardStep.kind``, ``Plan.kinds``):
#: an objective's step: ``weight * dJ_i/dYhat`` per observation, sent to the estimate
OBJECTIVE_STEP = "objective"
#: an objective fused with its activation: ``weight * (Yhat - Y)``, sent past the activation
FUSED_STEP = "fused objective"
#: a layer's ``backward``: gradients for its inputs (and its parameters)
LAYER_STEP = "layer"
#: a layer none of whose inputs needs a gradient: ``backward_parameters`` alone
PARAMETERS_STEP = "parameters only"


class GraphError(ValueError):
    """A graph that cannot run: a cycle, a missing input, a slot filled twice, ..."""

    __module__ = "graphnn"  # tracebacks name it as users import it: graphnn.GraphError
