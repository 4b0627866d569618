"""graphnn layers from torch modules, for ``from_torch``: the weights copied in one dtype
(``one_dtype``, ``numpy_of``), ``nn.Linear`` and ``nn.BatchNorm1d`` as before, and the image
modules ``nn.Conv2d``, ``nn.MaxPool2d`` and ``nn.Flatten`` as ``ConvolutionalLayer``,
``MaxPoolLayer`` and ``FlatteningLayer``, refusing, by the module's place, what graphnn's
layers cannot represent."""
import numpy as np

from ..layers import BatchNormLayer, ConvolutionalLayer, FlatteningLayer, FullyConnectedLayer, LinearLayer, MaxPoolLayer
from .common import ExportError

__all__ = ["one_dtype", "numpy_of", "fully_connected_layer", "batch_norm_layer", "conv_layer", "max_pool_layer",
           "flatten_layer"]


def one_dtype(torch, tensors):
    """The numpy dtype a network holding ``tensors`` (``(where, tensor)`` pairs; ``None``
    tensors are skipped) is copied in: float64 if any is float64, else float32 (float16 and
    bfloat16 are exact in it); ``ExportError`` naming where a tensor is not floating point."""
    dtypes = set()
    for where, tensor in tensors:
        if isinstance(tensor, torch.Tensor):
            if not tensor.is_floating_point():
                raise ExportError(f"{where} holds {tensor.dtype} weights; graphnn needs floating-point ones")
            dtypes.add(tensor.dtype)
    return np.dtype(np.float64) if torch.float64 in dtypes else np.dtype(np.float32)


def numpy_of(torch, tensor, dtype):
    """A torch tensor as a numpy array (a copy) in ``dtype`` (through float32/float64: numpy
    has no bfloat16)."""
    wide = torch.float64 if dtype == np.float64 else torch.float32
    return tensor.detach().cpu().to(wide).numpy().astype(dtype, copy=True)


def _shared_parameters(torch, layer, module, dtype, shared, weights, biases):
    """Give ``layer`` the graphnn ``Parameter`` of ``module``'s weight and bias: the one met
    before when ``shared`` (``{id(torch parameter): Parameter}``) has it (a module run twice,
    two holding one tensor), else ``weights(tensor)`` and ``biases(tensor or None)`` set
    through the layer's setters and remembered."""
    weight_key = id(module.weight)
    bias_key = id(module.bias) if module.bias is not None else ("no bias", id(module))
    if weight_key in shared:
        layer.weights = shared[weight_key]
    else:
        layer.setWeights(weights(numpy_of(torch, module.weight, dtype)))
        shared[weight_key] = layer.weights
    if bias_key in shared:
        layer.biases = shared[bias_key]
    else:
        layer.setBiases(biases(None if module.bias is None else numpy_of(torch, module.bias, dtype)))
        shared[bias_key] = layer.biases
    return layer


def fully_connected_layer(torch, linear, dtype, shared):
    """A ``FullyConnectedLayer`` with ``linear``'s weights (``W^T``) and bias (zeros when it has
    none), copied in ``dtype``. ``shared`` maps each torch parameter met before to its graphnn
    ``Parameter``: a ``Linear`` run twice, or two holding one tensor (as ``to_torch`` ties
    them), give layers sharing it again, as in torch."""
    layer = FullyConnectedLayer(linear.in_features, linear.out_features, dtype=dtype)
    return _shared_parameters(
        torch, layer, linear, dtype, shared, lambda w: w.T,
        lambda b: (np.zeros(linear.out_features, dtype=dtype) if b is None else b).reshape(1, -1))


def batch_norm_layer(torch, child, dtype):
    """A ``BatchNormLayer`` with the scale, shift and running statistics of ``child`` (an
    ``nn.BatchNorm1d``), in ``dtype``."""
    layer = BatchNormLayer(child.num_features, momentum=child.momentum, eps=child.eps, dtype=dtype)
    layer.scale.value = numpy_of(torch, child.weight, dtype).reshape(1, -1)
    layer.shift.value = numpy_of(torch, child.bias, dtype).reshape(1, -1)
    layer.running_mean = numpy_of(torch, child.running_mean, dtype).reshape(1, -1)
    layer.running_var = numpy_of(torch, child.running_var, dtype).reshape(1, -1)
    return layer


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def conv_layer(torch, conv, dtype, shared, where):
    """A ``ConvolutionalLayer`` with ``conv``'s kernels (``O x C x kh x kw``, the same layout)
    and bias (zeros when it has none), copied in ``dtype``, the parameters shared as
    ``fully_connected_layer`` shares them. ``padding='valid'`` is no padding and ``'same'``
    (stride 1) is ``(kh - 1) / 2`` on each side, for odd kernels. ``ExportError``, starting with
    ``where`` (the module's place), for groups, dilation, a padding mode other than zeros, or
    ``'same'`` with an even kernel (torch pads it one more on one side)."""
    kernel = _pair(conv.kernel_size)
    if conv.groups != 1:
        _refuse(where, "Conv2d", f"groups={conv.groups}, a grouped convolution; graphnn's ConvolutionalLayer "
                "connects every input channel to every output channel (groups 1)")
    if _pair(conv.dilation) != (1, 1):
        _refuse(where, "Conv2d", f"dilation={conv.dilation}, a dilated kernel; graphnn's ConvolutionalLayer "
                "reads adjacent pixels (dilation 1)")
    if conv.padding_mode != "zeros":
        _refuse(where, "Conv2d", f"padding_mode={conv.padding_mode!r}; graphnn's ConvolutionalLayer pads with "
                "zeros only (padding_mode 'zeros')")
    padding = conv.padding
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        if any(k % 2 == 0 for k in kernel):
            _refuse(where, "Conv2d", f"padding='same' with the even kernel {kernel}, which torch pads one more "
                    "on one side; graphnn's ConvolutionalLayer pads both sides equally")
        padding = tuple((k - 1) // 2 for k in kernel)
    layer = ConvolutionalLayer(conv.in_channels, conv.out_channels, kernel, stride=_pair(conv.stride),
                               padding=_pair(padding), dtype=dtype)
    return _shared_parameters(torch, layer, conv, dtype, shared, lambda w: w,
                              lambda b: np.zeros(conv.out_channels, dtype=dtype) if b is None else b)


def max_pool_layer(pool, where):
    """A ``MaxPoolLayer`` with ``pool``'s window and stride (torch's stride defaults to the
    window, as graphnn's does); ``ExportError`` for padding, dilation, ``ceil_mode`` and
    ``return_indices``."""
    if _pair(pool.padding) != (0, 0):
        _refuse(where, "MaxPool2d", f"padding={pool.padding}, a padded pooling; graphnn's MaxPoolLayer does "
                "not pad")
    if _pair(pool.dilation) != (1, 1):
        _refuse(where, "MaxPool2d", f"dilation={pool.dilation}, a dilated window; graphnn's MaxPoolLayer reads "
                "adjacent pixels")
    if pool.ceil_mode:
        _refuse(where, "MaxPool2d", "ceil_mode=True, windows that run past the image's edge; graphnn's "
                "MaxPoolLayer keeps the windows that fit (floor)")
    if pool.return_indices:
        _refuse(where, "MaxPool2d", "return_indices=True; graphnn's MaxPoolLayer gives the maxima only")
    size = _pair(pool.kernel_size)
    return MaxPoolLayer(size, stride=_pair(pool.stride if pool.stride is not None else size))


def flatten_layer(flatten, where, rank):
    """A ``FlatteningLayer`` for ``nn.Flatten()`` (``start_dim=1``, ``end_dim=-1``) of
    ``N x C x H x W`` images; of an ``N x D`` value (``rank`` 2: after a ``Linear``) it changes
    nothing, a ``LinearLayer``."""
    if flatten.start_dim != 1 or flatten.end_dim != -1:
        _refuse(where, "Flatten", f"start_dim={flatten.start_dim}, end_dim={flatten.end_dim}; graphnn "
                "flattens each observation whole (start_dim 1, end_dim -1)")
    return LinearLayer() if rank == 2 else FlatteningLayer()


def _refuse(where, kind, why):
    raise ExportError(f"{where} ({kind}): {why}")
