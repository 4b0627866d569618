"""The checks ``fit``, ``predict`` and ``evaluate`` make before they run: what the graph's
inputs, objective and prediction are (``GraphRoles``), and whether the data and the other
arguments are usable. Each raises before the first epoch, with a message that names the
argument, so a mistake costs no training time."""
import math
import numbers

from .._validation import as_batch, as_matrix, describe_shape, require_finite
from ..core import OBJECTIVE, Graph, GraphError
from ..objectives.CrossEntropy import CrossEntropy
from ..objectives.LogLoss import LogLoss
from .split import train_validation_split

__all__ = ["GraphRoles", "checked_data", "finite_data", "positive_int", "checked_min_delta", "checked_flag", "checked_seed",
           "check_optimizer", "held_out_data"]


class GraphRoles:
    """What ``fit``/``predict``/``evaluate`` need to know about a graph, checked once.

    Attributes: ``input_name`` and ``target_name`` (the inputs fed with ``X`` and ``Y``),
    ``objective`` (the name of the single objective, or ``None``), ``output`` (the node whose
    output is the prediction: by default the estimate the single objective reads) and
    ``kind`` (``"binary"`` for ``LogLoss``, ``"categorical"`` for ``CrossEntropy`` when the
    prediction is what that objective reads: the runs that report an accuracy; else ``None``).

    Raises ``TypeError`` for something that is not a ``Graph`` and ``GraphError`` for a graph
    without an objective (when ``need_objective``), unknown input names, or an ``output`` that
    is unknown, is an objective, or cannot be guessed (not exactly one objective).
    """

    def __init__(self, graph, input_name, target_name, output, need_objective=True):
        if not isinstance(graph, Graph):
            raise TypeError(f"expected a graphnn Graph, got {type(graph).__name__}")
        graph.nodes  # compiles the graph: one with an empty slot fails here, naming it
        objectives = graph.objectives
        if need_objective and not objectives:
            raise GraphError("the graph has no objective to train or evaluate")
        inputs = graph.inputs
        for name, what in ((input_name, "input_name"), (target_name, "target_name")):
            if name is not None and name not in inputs:
                raise GraphError(
                    f"{what}={name!r} is not an input of the graph; its inputs are {inputs}"
                )
        self.objective = objectives[0] if len(objectives) == 1 else None
        if output is None:
            if self.objective is None:
                raise GraphError(
                    f"the graph has {len(objectives)} objectives ({', '.join(objectives) or 'none'}): "
                    "pass output=<node name> to say which node's output is the prediction"
                )
            output = graph.predecessors(self.objective)[1]
        else:
            graph.op(output)  # raises GraphError naming the known nodes if unknown
            if graph.nx.nodes[output]["kind"] == OBJECTIVE:
                raise GraphError(f"output={output!r} is an objective; name the node that feeds it")
        self.output = output
        self.input_name, self.target_name = input_name, target_name
        op = graph.op(self.objective) if self.objective is not None else None
        # Accuracy only when the prediction is what the classification objective reads.
        if op is not None and graph.predecessors(self.objective)[1] == output:
            self.kind = "binary" if isinstance(op, LogLoss) else "categorical" if isinstance(op, CrossEntropy) else None
        else:
            self.kind = None


def checked_data(X, Y, where):
    """``(X, Y)`` as float arrays with one row per observation: ``X`` of any rank of at least
    2, batch first (``N x D``, ``N x C x H x W``), each of its layers checking the rank it
    takes; ``Y`` a 2-D ``N x K`` matrix, as the objectives read it (or ``None``).
    ``ValueError`` starting with ``where`` otherwise."""
    X = as_batch(X, where, "X", ndim=None)
    if Y is None:
        return X, None
    Y = as_matrix(Y, where, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"{where}: X and Y must have one row per observation, got X {describe_shape(X.shape)} "
            f"and Y {describe_shape(Y.shape)}"
        )
    return X, Y


def finite_data(X, Y, where, roles):
    """``checked_data(X, Y, where)``, and no NaN or inf in either: the ``ValueError`` names
    the input (``roles.input_name`` or ``roles.target_name``), the row and the column."""
    X, Y = checked_data(X, Y, where)
    require_finite(X, where, f"input {roles.input_name!r}")
    require_finite(Y, where, f"input {roles.target_name!r}")
    return X, Y


def positive_int(value, name):
    """``value`` as an ``int`` if it is a positive integer (not a bool); ``ValueError``
    naming the argument ``name`` of ``fit`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"fit: {name} must be a positive integer, got {value!r}")
    return int(value)


def checked_min_delta(min_delta):
    """``min_delta`` as a ``float`` if it is a finite number ``>= 0``; ``ValueError`` otherwise."""
    if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or not 0 <= min_delta < math.inf:
        raise ValueError(f"fit: min_delta must be a finite number >= 0, got {min_delta!r}")
    return float(min_delta)


def checked_flag(value, name, allow_none=False):
    """``value`` as a ``bool`` if it is one (or ``None`` where that means "decide"):
    ``shuffle="no"`` would otherwise be true. ``TypeError`` naming ``fit``'s argument."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or (isinstance(value, numbers.Integral) and value in (0, 1)):
        return bool(value)
    raise TypeError(f"fit: {name} must be True or False{' (or None)' if allow_none else ''}, got {value!r}")


def checked_seed(seed):
    """``seed`` if numpy's generators take it (an integer >= 0, or ``None``: fresh entropy);
    ``ValueError`` naming ``fit``'s argument otherwise, before numpy's own message."""
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0):
        return seed
    raise ValueError(f"fit: seed must be an integer >= 0 (or None), got {seed!r}")


def check_optimizer(graph, optimizer):
    """``TypeError`` for an ``optimizer`` that is no optimizer (no ``step()``: a string, an
    optimizer class instead of one built); ``ValueError`` when it holds a parameter that is
    not ``graph``'s: its updates would change nothing the graph computes."""
    if isinstance(optimizer, type) or not callable(getattr(optimizer, "step", None)):
        what = f"the class {optimizer.__name__}" if isinstance(optimizer, type) else \
            f"{type(optimizer).__name__} {optimizer!r}"
        raise TypeError(f"fit: optimizer must be an optimizer built on the graph's parameters, e.g. "
                        f"Adam(graph.parameters()) from graphnn.training.optim; got {what}")
    graph_params = {id(p) for p in graph.parameters()}
    foreign = [p for p in getattr(optimizer, "params", ()) if id(p) not in graph_params]
    if foreign:
        raise ValueError(
            f"fit: the optimizer holds {len(foreign)} parameter(s) that are not in this graph "
            f"(e.g. {foreign[0]!r}); build it with graph.parameters()"
        )


def held_out_data(X, Y, validation_split, validation_data, seed, roles):
    """``(X, Y, X_val, Y_val)``: the training rows and the validation rows ``fit`` scores
    after each epoch (``X_val`` and ``Y_val`` are ``None`` without validation).

    ``validation_split=f`` holds out a fraction ``f`` of ``(X, Y)`` with
    ``train_validation_split`` (stratified for classifiers, ``roles.kind``);
    ``validation_data=(X_val, Y_val)`` is checked as ``X`` and ``Y`` are. ``ValueError`` for
    both at once, a ``validation_data`` that is no pair, or unusable rows.
    """
    if validation_split is not None and validation_data is not None:
        raise ValueError("fit: give validation_split or validation_data, not both")
    if validation_split is not None:
        (X, Y), (X_val, Y_val) = train_validation_split(
            X, Y, validation_split, seed=seed, stratify=roles.kind is not None
        )
    elif validation_data is not None:
        try:
            X_val, Y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("fit: validation_data must be a pair (X_val, Y_val)") from None
        X_val, Y_val = finite_data(X_val, Y_val, "fit (validation_data)", roles)
    else:
        X_val = Y_val = None
    return X, Y, X_val, Y_val
