"""Reading the image operators of an ONNX model for ``from_onnx``: ``Conv``, ``MaxPool``,
``Flatten``, and the ``Reshape`` that flattens each observation (``x.view(N, -1)`` in a model
``torch.onnx.export`` wrote), as graphnn's ``ConvolutionalLayer``, ``MaxPoolLayer`` and
``FlatteningLayer``; and the shapes onnx's shape inference knows, which tell a ``Reshape``
that flattens from one that mixes observations.

What graphnn cannot represent is refused by raising ``Refused`` with the reason, which the
reader turns into an ``ExportError`` naming the node and the output it leads to.
"""
import numpy as np

from ..layers import ConvolutionalLayer, FlatteningLayer, LinearLayer, MaxPoolLayer
from .common import z_scoring_layer

__all__ = ["Refused", "inferred_shapes", "image_layer", "image_z_scoring", "IMAGE_OPERATORS"]

#: the ONNX operators ``image_layer`` reads
IMAGE_OPERATORS = ("Conv", "MaxPool", "Flatten", "Reshape")
#: the batch size in a shape computed from ``Shape(x)``: entry 0 of every value graphnn has
_BATCH = "N"


class Refused(Exception):
    """An ONNX node graphnn has no layer for; ``why`` says what in it cannot be represented."""

    def __init__(self, why):
        super().__init__(why)
        self.why = why


def inferred_shapes(onnx, model):
    """``{value: shape}`` for every value whose rank onnx's shape inference knows: a tuple
    of sizes, batch first, ``None`` for a size it leaves open (a symbolic ``N``)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model).graph
    except Exception:  # inference is a help, not a requirement
        inferred = model.graph
    shapes = {}
    for info in list(inferred.value_info) + list(inferred.input) + list(inferred.output):
        if info.type.HasField("tensor_type") and info.type.tensor_type.HasField("shape"):
            shapes[info.name] = tuple(int(d.dim_value) if d.HasField("dim_value") else None
                                      for d in info.type.tensor_type.shape.dim)
    return shapes


def image_layer(reader, node, attributes):
    """``(layer, sources)`` for an ``IMAGE_OPERATORS`` node: the graphnn layer and the ONNX
    values it reads. ``reader`` gives ``constants`` (``{name: array}``), ``producer``
    (``{value: node}``), ``consumers``, ``shapes`` (``inferred_shapes``) and ``dtype``."""
    op = node.op_type
    if op == "Conv":
        return _conv(reader, node, attributes), [node.input[0]]
    if op == "MaxPool":
        return _max_pool(reader, node, attributes), [node.input[0]]
    if op == "Flatten":
        return _flatten(reader, node.input[0], attributes.get("axis", 1)), [node.input[0]]
    return _reshape(reader, node, attributes), [node.input[0]]


def _number(reader, name):
    """Constant ``name`` as a numpy array; ``Refused`` saying why one holding text or an
    unreadable tensor cannot be used."""
    constant = reader.constants[name]
    if not isinstance(constant, np.ndarray):
        raise Refused(constant.why)
    return constant


def image_z_scoring(reader, source, mean, scale):
    """The ``InputLayer`` z-scoring ``source``, an ``N x C x H x W`` image, channel by channel:
    ``(x - mean) * scale``, each constant one value for all or one per channel (``C x 1 x 1``
    or ``1 x C x 1 x 1``, as ``to_onnx`` writes graphnn's statistics); ``None`` when ``source``
    is not a 4-D value. ``Refused`` for an image of a size the model leaves open (graphnn's
    layer checks it) or constants of another shape."""
    shape = reader.shapes.get(source)
    if shape is None or len(shape) != 4:
        return None
    if None in shape[1:]:
        raise Refused(f"a z-scoring of an image of {_dims(shape)}, "
                      "whose size per observation the model does not declare (graphnn's InputLayer fixes it)")
    channels = shape[1]
    for constant in (mean, scale):
        if np.size(constant) != 1 and np.shape(constant) not in ((channels, 1, 1), (1, channels, 1, 1)):
            raise Refused(f"a constant of shape {np.shape(constant)} for images of {channels} channels; graphnn "
                          f"z-scores each channel alike (1 x {channels} x 1 x 1)")
    return z_scoring_layer(mean, scale, feature_shape=shape[1:])


def _dims(shape):
    """``N x 3 x 8 x 8`` for an inferred ``shape`` (``N`` for an open batch, ``?`` for another
    open size)."""
    return " x ".join(["N" if shape[0] is None else str(shape[0])] + ["?" if d is None else str(d) for d in shape[1:]])


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _explicit_padding(attributes, what):
    """``auto_pad`` NOTSET (the ``pads`` given) or VALID (no padding); the engine's SAME_* is
    refused."""
    auto_pad = _text(attributes.get("auto_pad", "NOTSET"))
    if auto_pad not in ("NOTSET", "VALID"):
        raise Refused(f"auto_pad={auto_pad}: padding the engine decides at run time; graphnn's {what} "
                      "takes explicit pads (export the model with explicit padding, auto_pad NOTSET)")
    return auto_pad


def _pairs(attributes, name, default, what):
    """Attribute ``name`` as a pair for a 2-D ``what``; ``Refused`` for another length."""
    value = [int(v) for v in attributes.get(name, default)]
    if len(value) != 2:
        raise Refused(f"{name}={value}: a {len(value)}-D {what}; graphnn's is 2-D (images N x C x H x W)")
    return tuple(value)


def _conv(reader, node, attributes):
    """``Conv(X, W[, B])`` with constant ``W`` (``O x C x kh x kw``) and ``B`` (``O``; zeros
    without one) as a ``ConvolutionalLayer``."""
    inputs = list(node.input) + [""] * (3 - len(node.input))
    if inputs[0] in reader.constants or inputs[1] not in reader.constants \
            or (inputs[2] and inputs[2] not in reader.constants):
        raise Refused("a Conv of a constant, or with computed (not constant) weights or bias")
    weights = _number(reader, inputs[1])
    if weights.ndim != 4:
        raise Refused(f"a {weights.ndim - 2}-D convolution (weights {' x '.join(map(str, weights.shape))}); "
                      "graphnn's ConvolutionalLayer is 2-D (weights O x C x kh x kw)")
    out_channels, in_channels, kh, kw = weights.shape
    group = int(attributes.get("group", 1))
    if group != 1:
        raise Refused(f"group={group}: a grouped convolution; graphnn's ConvolutionalLayer connects every "
                      "input channel to every output channel (group 1)")
    dilations = _pairs(attributes, "dilations", [1, 1], "convolution")
    if dilations != (1, 1):
        raise Refused(f"dilations={list(dilations)}: a dilated kernel; graphnn's ConvolutionalLayer reads "
                      "adjacent pixels (dilations 1)")
    if tuple(attributes.get("kernel_shape", (kh, kw))) != (kh, kw):
        raise Refused(f"kernel_shape={list(attributes['kernel_shape'])} for weights of "
                      f"{' x '.join(map(str, weights.shape))}")
    padding = _symmetric_pads(attributes, "ConvolutionalLayer")
    bias = np.zeros(out_channels) if not inputs[2] else _number(reader, inputs[2]).reshape(-1)
    if bias.shape != (out_channels,):
        raise Refused(f"a bias of shape {bias.shape} for {out_channels} output channels")
    if not (np.all(np.isfinite(weights)) and np.all(np.isfinite(bias))):
        raise Refused("weights or biases that hold NaN or inf")
    layer = ConvolutionalLayer(in_channels, out_channels, (kh, kw), stride=_pairs(attributes, "strides", [1, 1], "convolution"),
                               padding=padding, dtype=reader.dtype)
    layer.setWeights(weights.astype(reader.dtype))
    layer.setBiases(bias.astype(reader.dtype))
    return layer


def _symmetric_pads(attributes, what):
    """``(ph, pw)`` from ONNX ``pads`` ``[top, left, bottom, right]``, which graphnn's ``what``
    pads equally on both sides; ``(0, 0)`` for ``auto_pad`` VALID."""
    if _explicit_padding(attributes, what) == "VALID":
        return (0, 0)
    pads = [int(p) for p in attributes.get("pads", [0, 0, 0, 0])]
    if len(pads) != 4:
        raise Refused(f"pads={pads}: not the 4 pads (top, left, bottom, right) of a 2-D {what}")
    if min(pads) < 0:
        raise Refused(f"pads={pads}: negative pads crop the image; graphnn's {what} only pads with zeros")
    if pads[:2] != pads[2:]:
        raise Refused(f"pads={pads}: asymmetric padding (top, left {pads[:2]} != bottom, right {pads[2:]}); "
                      f"graphnn's {what} pads both sides of each axis equally")
    return tuple(pads[:2])


def _max_pool(reader, node, attributes):
    """``MaxPool`` without padding, dilation or ceil mode as a ``MaxPoolLayer`` (ONNX's stride
    defaults to 1, graphnn's to the window: it is given explicitly)."""
    indices = node.output[1] if len(node.output) > 1 else ""
    if indices and (reader.consumers.get(indices) or indices in reader.graph_outputs):
        raise Refused("a MaxPool whose Indices output is read; graphnn's MaxPoolLayer gives the maxima only")
    if "kernel_shape" not in attributes:
        raise Refused("a MaxPool without kernel_shape")
    size = _pairs(attributes, "kernel_shape", (), "pooling")
    if int(attributes.get("ceil_mode", 0)):
        raise Refused("ceil_mode=1: windows that run past the image's edge; graphnn's MaxPoolLayer keeps "
                      "the windows that fit (floor, ceil_mode 0)")
    if _pairs(attributes, "dilations", [1, 1], "pooling") != (1, 1):
        raise Refused(f"dilations={list(attributes['dilations'])}: a dilated window; graphnn's MaxPoolLayer "
                      "reads adjacent pixels (dilations 1)")
    if int(attributes.get("storage_order", 0)):
        raise Refused("storage_order=1: column-major indices; graphnn's MaxPoolLayer has row-major order only")
    if _explicit_padding(attributes, "MaxPoolLayer") == "NOTSET" and any(attributes.get("pads", [])):
        raise Refused(f"pads={list(attributes['pads'])}: a padded pooling; graphnn's MaxPoolLayer does not pad")
    return MaxPoolLayer(size, stride=_pairs(attributes, "strides", [1, 1], "pooling"))


def _flatten(reader, source, axis):
    """``Flatten`` at axis 1 (``N x C x H x W`` to ``N x C H W``) as a ``FlatteningLayer``; of
    an ``N x D`` value it changes nothing (a ``LinearLayer``)."""
    shape = reader.shapes.get(source)
    rank = None if shape is None else len(shape)
    if rank is not None and axis < 0:
        axis += rank
    if axis != 1:
        raise Refused(f"Flatten at axis {axis}; graphnn flattens each observation (axis 1) only")
    if rank == 2:
        return LinearLayer()
    if rank not in (None, 4):
        raise Refused(f"Flatten of a {rank}-D value; graphnn flattens N x C x H x W images")
    return FlatteningLayer()


def _reshape(reader, node, attributes):
    """A ``Reshape`` to ``[N, -1]`` (or ``[N, C H W]``, ``[0, -1]``, ``[-1, C H W]``, a fixed
    batch the model declares) of an ``N x C x H x W`` value: a flattening of each observation,
    whatever way the target shape is computed (a constant, or ``Shape``, ``Gather``,
    ``Unsqueeze``, ``Concat`` of the batch size, as ``torch.onnx.export`` writes
    ``x.view(x.size(0), -1)``)."""
    source, target = node.input[0], node.input[1]
    shape = reader.shapes.get(source)
    entries = _symbolic(reader, target)
    if entries is None:
        raise Refused("a Reshape to a shape graphnn cannot work out; it reads the Reshape that flattens "
                      "each observation (x.view(N, -1))")
    entries = list(entries.reshape(-1))
    per_observation = None if shape is None or None in shape[1:] else int(np.prod(shape[1:], dtype=np.int64))
    allowzero = int(attributes.get("allowzero", 0))
    wanted = "[" + ", ".join(map(str, entries)) + "]"
    if len(entries) == 2:
        first, second = entries
        fixed_batch = shape is not None and shape[0] is not None and first == shape[0]
        is_batch = first == _BATCH or (first == 0 and not allowzero) or fixed_batch
        if is_batch and (second == -1 or (isinstance(second, int) and second > 0)):
            return _flatten(reader, source, 1)  # a valid model's second size is then C H W
        if first == -1 and per_observation is not None and second == per_observation:
            return _flatten(reader, source, 1)
    of = "" if shape is None else f" of a value of {_dims(shape)}"
    raise Refused(f"a Reshape to {wanted}{of}, which is not a flattening of each observation; graphnn "
                  "reshapes only N x C x H x W to N x (C H W)")


def _symbolic(reader, value):
    """The int64 value ``value`` holds (a shape being computed), as a numpy object array of
    ints and ``"N"`` (the batch size, entry 0 of ``Shape`` of any value: graphnn's values are
    batch first) or ``None`` (unknown); ``None`` when graphnn cannot work it out."""
    if value in reader.constants:
        constant = reader.constants[value]
        return np.asarray(constant).astype(object) if isinstance(constant, np.ndarray) and constant.dtype.kind in "iu" else None
    node = reader.producer.get(value)
    if node is None or node.domain not in ("", "ai.onnx"):
        return None
    attributes = {a.name: reader.helper.get_attribute_value(a) for a in node.attribute}
    op = node.op_type
    if op == "Shape":
        shape = reader.shapes.get(node.input[0])
        if node.input[0] in reader.constants:
            full = list(np.shape(reader.constants[node.input[0]]))
        elif shape is None:
            return None
        else:
            full = [_BATCH] + list(shape[1:])
        return np.array(full[attributes.get("start", 0):attributes.get("end", len(full))], dtype=object)
    if op not in ("Cast", "Identity", "Gather", "Unsqueeze", "Squeeze", "Concat"):
        return None  # not a step of a shape's computation: the value is data, not a shape
    inputs = [_symbolic(reader, i) if i else None for i in node.input]
    if not inputs or inputs[0] is None:
        return None
    try:
        return _shape_step(op, attributes, inputs)
    except (TypeError, ValueError, IndexError):  # a "N" where an index should be, an axis out of range
        return None


def _shape_step(op, attributes, inputs):
    """``_symbolic`` for an operator on computed shapes (``None``: not one graphnn works out)."""
    if op in ("Cast", "Identity"):
        return inputs[0]
    if op == "Gather" and inputs[1] is not None and attributes.get("axis", 0) == 0 and inputs[0].ndim == 1:
        return inputs[0][np.asarray(inputs[1], dtype=np.int64)]
    if op in ("Unsqueeze", "Squeeze"):
        axes = attributes.get("axes", None if len(inputs) < 2 or inputs[1] is None else list(inputs[1]))
        if op == "Unsqueeze":
            return np.expand_dims(inputs[0], tuple(int(a) for a in axes)) if axes is not None else None
        return np.squeeze(inputs[0], None if axes is None else tuple(int(a) for a in axes))
    if op == "Concat" and all(i is not None and i.ndim == 1 for i in inputs):
        return np.concatenate(inputs)
    return None
