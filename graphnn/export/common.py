"""What both ways out (ONNX and PyTorch) share: ``ExportError``, importing the optional
package a conversion needs, reading which nodes of a graph make its prediction, the one dtype
an exported network computes in, the width of each value, names made unique, and the
z-scoring layer that both ways in rebuild from its statistics."""
import importlib

import networkx as nx
import numpy as np

from ..layers import (
    BatchNormLayer, ConcatLayer, ConvolutionalLayer, FlatteningLayer, FullyConnectedLayer, InitialStateLayer, InputLayer,
    MaxPoolLayer, SliceLayer,
)

__all__ = ["ExportError", "optional_import", "predictions", "needed_nodes", "network_dtype", "unique_names",
           "column_widths", "value_shapes", "describe_dims", "z_scoring_layer", "EXPORT_DTYPES"]

#: the dtypes an exported network computes in
EXPORT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


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


def network_dtype(graph, nodes=None, dtype=None, default=np.dtype(np.float64)):
    """The one dtype an exported network computes in, its inputs included: ``dtype`` when given
    (float32 or float64, else ``ExportError``); otherwise that of the parameters of ``nodes``
    (default: every node), the weights whose dtype the user chose
    (``FullyConnectedLayer(..., dtype=...)``), float64 when they differ (as graphnn promotes
    them); z-scoring statistics, computed from data, follow the parameters. A network without
    parameters takes its statistics' dtype (float64 when they differ), and one with neither
    ``default`` (``None``: it computes in its input's dtype, as graphnn does). ``to_onnx`` and
    ``to_torch`` both decide by this rule."""
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype not in EXPORT_DTYPES:
            raise ExportError(f"dtype must be float32 or float64, got {dtype}")
        return dtype
    nodes = graph.nodes if nodes is None else nodes
    ops = [graph.op(n) for n in nodes if graph.nx.nodes[n]["kind"] == "layer"]
    found = {p.value.dtype for op in ops for p in op.parameters()}
    if not found:
        found = {op.meanX.dtype for op in ops if hasattr(op, "meanX") and hasattr(op, "inverse_std")}
    if not found:
        return default
    return np.dtype(np.float32) if found == {np.dtype(np.float32)} else np.dtype(np.float64)


def unique_names(taken=(), allowed=lambda name: True):
    """A function ``name(want)`` that returns ``want``, or ``want_2``, ``want_3``, ... when
    ``want`` is in ``taken`` or was returned before: names made from node names (an ONNX
    initializer ``enc.weights``, a torch module key ``enc_fc``) can equal another node's name
    or another made name, and each must stay one value's. ``allowed(name)``: whether a name
    may be used at all (a torch module key may not be an attribute of ``nn.ModuleDict``)."""
    used = set(taken)

    def name(want):
        unique, k = want, 1
        while unique in used or not allowed(unique):
            k += 1
            unique = f"{want}_{k}"
        used.add(unique)
        return unique

    return name


def value_shapes(graph):
    """``{node: shape}``, each value's shape per observation (without the batch ``N``): a
    tuple of sizes, ``None`` where a size is unknown (``(D,)`` for ``N x D``, ``(C, H, W)`` for
    ``N x C x H x W``). The last forward pass gives them exactly; the layers fix the rest: a
    fully connected layer its input's and output's widths, a convolution the channels (and
    ``H' W'`` from ``H W``), pooling and flattening their ranks, the z-scoring and batch
    normalisation layers their width, a slice or an initial state its output's; element-wise
    layers, softmax, Add and an objective's target share one shape, Concat sums widths. Nodes
    whose rank stays unknown are missing."""
    shapes = {}
    if graph.has_values:
        for name in graph.nodes:
            if graph.nx.nodes[name]["kind"] != "objective":
                shapes[name] = tuple(int(d) for d in graph.value(name).shape[1:])
    changed = True

    def know(node, shape):
        """Add what ``shape`` says of ``node`` to what is known (same rank only)."""
        nonlocal changed
        old = shapes.get(node)
        if old is None:
            shapes[node] = new = tuple(shape)
        elif len(old) == len(shape):
            shapes[node] = new = tuple(a if a is not None else b for a, b in zip(old, shape))
        else:
            return
        changed = changed or new != old

    while changed:
        changed = False
        for name in graph.nodes:
            op, sources = graph.op(name), graph.predecessors(name)
            known = [shapes.get(s) for s in sources]
            if op is None:
                continue
            if isinstance(op, FullyConnectedLayer):
                know(sources[0], (op.sizeIn,))
                know(name, (op.sizeOut,))
            elif isinstance(op, (InputLayer, BatchNormLayer)):  # N x D, or images z-scored by channel
                shape = tuple(getattr(op, "feature_shape", (op.width,)))
                know(sources[0], shape)
                know(name, shape)
            elif isinstance(op, SliceLayer):
                know(name, (op.stop - op.start,))
            elif isinstance(op, InitialStateLayer):
                know(name, (op.width,))
            elif isinstance(op, ConvolutionalLayer):
                know(sources[0], (op.in_channels, None, None))
                hw = known[0][1:] if known[0] is not None and len(known[0]) == 3 else (None, None)
                know(name, (op.out_channels,) + tuple(
                    None if size is None else (size + 2 * pad - kernel) // step + 1
                    for size, kernel, step, pad in zip(hw, op.kernel_size, op.stride, op.padding)))
            elif isinstance(op, MaxPoolLayer):
                know(sources[0], (None, None, None))
                chw = known[0] if known[0] is not None and len(known[0]) == 3 else (None, None, None)
                know(name, chw[:1] + tuple(None if size is None else (size - window) // step + 1
                                           for size, window, step in zip(chw[1:], op.size, op.stride)))
            elif isinstance(op, FlatteningLayer):
                know(sources[0], (None, None, None))
                chw = known[0] if known[0] is not None and len(known[0]) == 3 else (None,)
                know(name, (None if None in chw else int(np.prod(chw)),))
            elif isinstance(op, ConcatLayer):
                parts = [k[0] if k is not None and len(k) == 1 else None for k in known]
                if None not in parts:
                    know(name, (sum(parts),))
                elif parts.count(None) == 1 and shapes.get(name, (None,))[0] is not None:
                    know(sources[parts.index(None)], (shapes[name][0] - sum(p for p in parts if p),))
            else:  # element-wise, softmax, Add, Multiply, an objective: one shape for all
                group = list(sources) + ([name] if graph.nx.nodes[name]["kind"] == "layer" else [])
                for shape in [shapes[n] for n in group if n in shapes]:
                    for node in group:
                        know(node, shape)
    return shapes


def column_widths(graph):
    """``{node: D}``, the number of columns of each ``N x D`` value whose width is known (see
    ``value_shapes``); image values and nodes still unknown are missing."""
    return {name: shape[0] for name, shape in value_shapes(graph).items() if len(shape) == 1 and shape[0] is not None}


def describe_dims(shape, batch="N"):
    """``N x C x H x W``-style text for a per-observation ``shape`` (``?`` where unknown)."""
    return " x ".join([batch] + ["?" if d is None else str(d) for d in shape])


def z_scoring_layer(mean, inverse_std, width=None, feature_shape=None):
    """An ``InputLayer`` computing ``(x - mean) * inverse_std`` (each a row of ``D`` values, or
    one value for every column), in their common floating dtype: the statistics of a model that
    comes in, not of data. ``width``: the number of columns ``D`` when both are one value for
    every column (by default the longer one's length). A column scaled by 0 is a constant column
    (its ``stdX`` is 0). ``feature_shape``: ``(C, H, W)`` for a layer z-scoring images channel
    by channel (``mean`` and ``inverse_std`` then hold one value per channel, or one for all;
    ``width`` is ``C``)."""
    dtype = np.result_type(mean, inverse_std)
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    mean, inverse_std = (np.asarray(a, dtype=dtype) for a in (mean, inverse_std))
    if feature_shape is not None and len(feature_shape) > 1:
        width, statistics = int(feature_shape[0]), (1, int(feature_shape[0])) + (1,) * (len(feature_shape) - 1)
        layer = InputLayer(np.zeros((1,) + tuple(feature_shape), dtype=dtype))  # its statistics are set next
    else:
        width = max(np.size(mean), np.size(inverse_std)) if width is None else int(width)
        statistics = (1, width)
        layer = InputLayer(np.zeros((1, width), dtype=dtype))  # its statistics are set next
    layer.meanX = np.broadcast_to(mean.reshape(-1), (width,)).reshape(statistics).copy()
    layer.inverse_std = np.broadcast_to(inverse_std.reshape(-1), (width,)).reshape(statistics).copy()
    constant_columns = layer.inverse_std == 0
    layer.stdX = np.where(constant_columns, 0.0, 1.0 / np.where(constant_columns, 1.0, layer.inverse_std))
    return layer
