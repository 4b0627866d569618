"""Reading an ONNX model safely: ``load_onnx`` takes a path, bytes or a model, reads the
tensors a model keeps in files beside it from the model's own folder (never the working
directory, never outside that folder), and has ``onnx.checker`` check the result; every
failure is an ``ExportError`` naming the file. ``tensor_array``, ``sparse_array`` and
``constant_value`` read the model's constants as numpy arrays of real numbers, or as an
``Unusable`` saying why not."""
import os

import numpy as np

from .common import ExportError, optional_import

__all__ = ["load_onnx", "Unusable", "tensor_array", "sparse_array", "constant_value"]


def load_onnx(source):
    """An ``onnx.ModelProto`` from a path, bytes or a model, checked by ``onnx.checker``;
    ``ExportError`` naming the file for one that is not ONNX, is truncated or is invalid.

    Tensor data kept outside the model (``onnx.save_model(..., save_as_external_data=True)``)
    is read from the model's own folder, never from the working directory: a model given as
    bytes or as a ``ModelProto`` that keeps data outside is refused (pass its path), as is
    a data file that is missing, too short, or outside the model's folder."""
    onnx = optional_import("onnx", "onnx")
    folder = None
    if isinstance(source, onnx.ModelProto):
        model, where = source, "the model"
    else:
        if isinstance(source, (bytes, bytearray)):
            data, where = bytes(source), "the given bytes"
        elif not isinstance(source, (str, os.PathLike)):  # an int would be opened as a file descriptor
            raise ExportError(
                f"from_onnx reads a path, bytes or an onnx.ModelProto, got {type(source).__name__} {source!r}"
            )
        else:
            where = repr(str(source))
            try:
                with open(source, "rb") as handle:
                    data = handle.read()
            except OSError as err:
                raise ExportError(f"cannot read ONNX file {where}: {err.strerror}") from None
            folder = os.path.dirname(os.path.abspath(source))
        if not data:
            raise ExportError(f"{where} is empty, not an ONNX model")
        try:
            model = onnx.load_from_string(data)
        except Exception as err:  # protobuf's DecodeError: garbage or a cut-off file
            raise ExportError(
                f"{where} is not an ONNX model, or is truncated ({len(data)} bytes): {err}"
            ) from None
    _load_external_data(onnx, model, where, folder)
    try:
        onnx.checker.check_model(model)
    except Exception as err:  # onnx.checker.ValidationError, or a cut that still parsed
        raise ExportError(f"{where} is not a valid ONNX model: {str(err).splitlines()[0]}") from None
    return model


def _all_tensors(graph):
    """Every tensor of an ONNX ``graph``: initializers (sparse ones' values and indices too),
    and the tensors of node attributes, subgraphs' included (what may keep its data outside)."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("sparse_tensor"):
                yield attribute.sparse_tensor.values
                yield attribute.sparse_tensor.indices
            for subgraph in ([attribute.g] if attribute.HasField("g") else []) + list(attribute.graphs):
                yield from _all_tensors(subgraph)


def _load_external_data(onnx, model, where, folder):
    """Read every tensor that keeps its data in a file beside the model into the model, from
    ``folder`` (the model file's folder; ``None``: the model came as bytes or a ModelProto)."""
    from onnx import external_data_helper

    outside = [t for t in _all_tensors(model.graph)
               if t.HasField("data_location") and t.data_location == onnx.TensorProto.EXTERNAL]
    for tensor in outside:
        info = {entry.key: entry.value for entry in tensor.external_data}
        location = info.get("location", "")
        if folder is None:
            raise ExportError(
                f"{where} keeps the data of tensor {tensor.name!r} in a separate file ({location!r}); "
                "pass the model's path, from_onnx('folder/model.onnx'), so that graphnn reads it from "
                "the model's folder"
            )
        path = os.path.realpath(os.path.join(folder, location))
        if not location or os.path.isabs(location) or os.path.commonpath([path, os.path.realpath(folder)]) != os.path.realpath(folder):
            raise ExportError(
                f"{where}: tensor {tensor.name!r} names its data file {location!r}, which is not a file "
                f"in the model's folder {folder!r}; graphnn reads data from that folder only"
            )
        if not os.path.isfile(path):
            raise ExportError(
                f"{where}: the data of tensor {tensor.name!r} should be in {location!r} beside the model "
                f"({path!r}), which does not exist; keep the data file next to the model"
            )
        try:
            external_data_helper.load_external_data_for_tensor(tensor, folder)
        except Exception as err:  # a file shorter than the offset and length it claims
            raise ExportError(f"{where}: cannot read the data of tensor {tensor.name!r} from {location!r}: {err}") from None


class Unusable:
    """A constant graphnn cannot use as numbers (text, a tensor it cannot read): refused,
    saying ``why``, only if a layer needs it."""

    def __init__(self, why):
        self.why = why


def tensor_array(tensor, what):
    """A ``TensorProto`` as a numpy array of real numbers, or an ``Unusable`` saying why
    not (refused only if a layer needs it: a model's label path may hold text)."""
    try:
        array = optional_import("onnx", "onnx").numpy_helper.to_array(tensor)
    except Exception as err:  # raw data shorter than its shape, an unknown data type
        return Unusable(f"{what} cannot be read: {err}")
    return _real(array, what)


def _real(array, what):
    array = np.asarray(array)
    if array.dtype.name == "bfloat16" or array.dtype.name.startswith("float8"):  # ml_dtypes' types
        array = array.astype(np.float32)  # exact: float32 holds every such value
    if array.dtype.kind not in "biuf":
        kind = "text" if array.dtype.kind in "OSU" else f"{array.dtype} values"
        return Unusable(f"{what} holds {kind}, not real numbers")
    return array


def sparse_array(sparse, what):
    """A ``SparseTensorProto`` made dense: zeros but at its indices (flat positions, or one
    row of coordinates per value)."""
    values, indices = tensor_array(sparse.values, what), tensor_array(sparse.indices, what)
    for part in (values, indices):
        if isinstance(part, Unusable):
            return part
    shape = tuple(int(d) for d in sparse.dims)
    dense = np.zeros(shape, dtype=values.dtype)
    try:
        if indices.ndim == 2:  # coordinates
            dense[tuple(indices.T.astype(np.int64))] = values
        else:  # flat positions
            dense.reshape(-1)[indices.astype(np.int64)] = values
    except (IndexError, ValueError) as err:
        return Unusable(f"{what}: its indices do not fit its shape {shape}: {err}")
    return dense


def constant_value(node):
    """What a ``Constant`` node holds, by its attribute: ``value`` (a tensor),
    ``sparse_value``, ``value_float(s)`` (float32), ``value_int(s)`` (int64); text
    (``value_string(s)``) is kept as an ``Unusable``."""
    what = f"Constant {node.name or node.output[0]!r}"
    if len(node.attribute) != 1:
        return Unusable(f"{what} has {len(node.attribute)} attributes, not one value")
    attribute = node.attribute[0]
    value = optional_import("onnx", "onnx").helper.get_attribute_value(attribute)
    if attribute.name == "value":
        return tensor_array(value, what)
    if attribute.name == "sparse_value":
        return sparse_array(value, what)
    if attribute.name in ("value_float", "value_floats"):
        return np.asarray(value, dtype=np.float32)
    if attribute.name in ("value_int", "value_ints"):
        return np.asarray(value, dtype=np.int64)
    return Unusable(f"{what} holds {attribute.name} (text, not numbers)"
                     if attribute.name.startswith("value_string") else f"{what}: unknown attribute {attribute.name!r}")
