"""The way out and the way in: a ``Graph`` as an ONNX model or a PyTorch module, and back.

- ``to_onnx(graph, path)``: the graph's prediction as an ONNX model (opset ``OPSET``), to run
  in onnxruntime or any other ONNX engine; ``from_onnx(path)``: a ``Graph`` from an ONNX model
  made of operators graphnn has layers for.
- ``to_torch(graph)``: a ``torch.nn.Module`` with the same weights (and ``.objective(...)``,
  the same ``J``); ``from_torch(module)``: a ``Graph`` from an ``nn.Sequential``.

The graph is read through its public API only (``nodes``, ``inputs``, ``objectives``, ``op``,
``predecessors``, ``nx``). onnx and torch are optional: a missing one raises ``ImportError``
saying which extra to install (``pip install -e ".[onnx]"`` or ``".[torch]"``). Values are
``N x D`` or ``N x C x H x W`` images (convolution, pooling, flattening); ONNX models get a
dynamic batch dimension ``N``. docs/export.md has worked examples.

The package: ``onnx_writer`` (``to_onnx``), ``onnx_reader`` (``from_onnx``, with ``onnx_images``
for the image operators), ``onnx_file`` (``load_onnx``), ``torch`` (``to_torch``, ``from_torch``,
with ``torch_layers`` for the layers it reads) and ``common`` (``ExportError``, reading a graph's
prediction and its values' shapes), the functions of the first four offered here.
"""
from .common import ExportError, predictions
from .onnx_file import load_onnx
from .onnx_reader import IMPORT_OPSETS, from_onnx
from .onnx_writer import BATCH, EXPORT_OPSETS, OPSET, to_onnx
from .torch import from_torch, to_torch

__all__ = ["to_onnx", "from_onnx", "load_onnx", "predictions", "OPSET", "EXPORT_OPSETS", "IMPORT_OPSETS",
           "BATCH", "to_torch", "from_torch", "ExportError"]
