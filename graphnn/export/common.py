"""What both ways out (ONNX and PyTorch) share: ``ExportError``, importing the optional
package a conversion needs, reading which nodes of a graph make its prediction, and the
z-scoring layer that both ways in rebuild from its statistics."""
import importlib

import networkx as nx
import numpy as np

from ..layers import InputLayer

__all__ = ["ExportError", "optional_import", "predictions", "needed_nodes", "z_scoring_layer"]


class ExportError(ValueError):
    """A graph, ONNX model or torch module that cannot be converted; the message names the node,
    operator or layer at fault."""

    # Tracebacks and pickles name graphnn.export, where users import it from, not this module.
    __module__ = "graphnn.export"


def optional_import(module, extra):
    """Import an optional dependency (``onnx``, ``torch``), or say which extra brings it: an
    ``ImportError`` naming ``module`` and the ``pip install -e ".[extra]"`` to run."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"graphnn.export needs {module.split('.')[0]!r} for this: pip install -e \".[{extra}]\" "
            "(run it in the root of your graphnn checkout)"
        ) from err


def predictions(graph):
    """The nodes whose values are the graph's prediction: the estimates its objectives read,
    then every other layer that feeds nothing, in node order. Raises ``ExportError`` when there
    is none (a graph of inputs, or one whose objectives read inputs only)."""
    order = graph.nodes
    estimates = {graph.predecessors(o)[1] for o in graph.objectives}
    sinks = {n for n in order if graph.nx.nodes[n]["kind"] == "layer" and graph.nx.out_degree(n) == 0}
    found = [n for n in order if (n in estimates or n in sinks) and graph.nx.nodes[n]["kind"] == "layer"]
    if not found:
        raise ExportError(
            f"the graph has no prediction to export: no layer output is read by an objective or "
            f"left unread (nodes: {', '.join(order) or 'none'})"
        )
    return found


def needed_nodes(graph, outputs):
    """Every node the ``outputs`` depend on (themselves included), in node order."""
    wanted = set(outputs)
    for name in outputs:
        wanted |= nx.ancestors(graph.nx, name)
    return [n for n in graph.nodes if n in wanted]


def z_scoring_layer(mean, inverse_std):
    """An ``InputLayer`` computing ``(x - mean) * inverse_std`` (each a row of ``D`` values, or
    one value for every column), in their common floating dtype: the statistics of a model that
    comes in, not of data. A column scaled by 0 is a constant column (its ``stdX`` is 0)."""
    dtype = np.result_type(mean, inverse_std)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    mean, inverse_std = (np.asarray(a, dtype=dtype) for a in (mean, inverse_std))
    width = max(np.size(mean), np.size(inverse_std))
    layer = InputLayer(np.zeros((1, width), dtype=dtype))  # its statistics are set next
    layer.meanX = np.broadcast_to(mean.reshape(1, -1), (1, width)).copy()
    layer.inverse_std = np.broadcast_to(inverse_std.reshape(1, -1), (1, width)).copy()
    constant_columns = layer.inverse_std == 0
    layer.stdX = np.where(constant_columns, 0.0, 1.0 / np.where(constant_columns, 1.0, layer.inverse_std))
    return layer
