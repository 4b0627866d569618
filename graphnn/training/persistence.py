"""Saving and loading a graph's parameters as a ``.npz`` file.

The file holds one array per parameter, keyed ``"<node>/<parameter>"``, e.g. ``"fc1/weights"``
and ``"fc1/biases"``: the node's name in the graph and the ``Parameter``'s name. A layer's
statistics that are not trained but belong to what it learned (``BatchNormLayer``'s running
mean and variance: whatever its ``statistics()`` names) are kept the same way, e.g.
``"batchnorm1/running_mean"``. A parameter
shared by several layers (weight tying) is stored once, under the first node (in topological
order) that uses it. Arrays are stored with their dtype, so a round trip is bit-exact.

``save_parameters`` writes atomically: the arrays go to a temporary file in the same
directory, which is flushed to disk and then renamed over the target with ``os.replace``. A
crash or an error mid-write leaves either the old file or the new one, never half a file, and
the temporary file is removed on error.

``load_parameters`` checks the whole file against the graph before changing anything: the
same keys (missing and unexpected ones are listed by node), the same shapes and the same
dtypes. Any difference raises ``ParameterFileError`` (a ``ValueError``) naming every problem,
and the graph is left untouched. Values that are NaN or inf are refused the same way (as
``setWeights`` refuses them), and so is a damaged file whose array headers claim more data
than the file holds. Values are copied into the existing arrays, so layers see
them at once.

>>> import os, tempfile, graphnn as gn
>>> g = gn.Graph.sequential(gn.FullyConnectedLayer(3, 2, seed=0))
>>> folder = tempfile.TemporaryDirectory()
>>> path = os.path.join(folder.name, "params.npz")
>>> save_parameters(g, path)
>>> with np.load(path) as saved:
...     sorted(saved.files)
['fc1/biases', 'fc1/weights']
>>> load_parameters(g, path)
>>> folder.cleanup()
"""
import os
import uuid
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .._validation import describe_shape
from ..core import Graph

__all__ = ["ParameterFileError", "save_parameters", "load_parameters", "parameter_keys"]


class ParameterFileError(ValueError):
    """A parameter file that does not fit the graph (keys, shapes, dtypes) or cannot be read."""


def parameter_keys(graph):
    """``{"node/param": Parameter}`` for every distinct parameter of ``graph``, in node order:
    the keys of the file ``save_parameters`` writes. Raises ``TypeError`` for anything but a
    ``Graph``, ``ParameterFileError`` when one node has two parameters of the same name."""
    if not isinstance(graph, Graph):
        raise TypeError(f"expected a graphnn Graph, got {type(graph).__name__}")
    keys = {}
    for node, p in graph.named_parameters():  # a shared one under its first node only
        key = f"{node}/{p.name}"
        if key in keys:
            raise ParameterFileError(
                f"node {node!r} has two parameters named {p.name!r}; they would share the "
                f"key {key!r}: give them distinct names"
            )
        keys[key] = p
    for node in graph.nodes:  # batch norm's running statistics, after every parameter
        op = graph.op(node)
        for name in (op.statistics() if hasattr(op, "statistics") else ()):
            keys.setdefault(f"{node}/{name}", _Statistic(op, name))
    return keys


class _Statistic:
    """A layer's array attribute ``name`` (a running statistic), read when used: the layer may
    have replaced the array since (as batch norm does at every training pass)."""

    def __init__(self, layer, name):
        self.layer, self.name = layer, name

    @property
    def value(self):
        return getattr(self.layer, self.name)


def save_parameters(graph, path):
    """Write every parameter of ``graph`` to the ``.npz`` file ``path`` (exactly that name:
    no suffix is added), atomically: one array per parameter, with its shape (weights
    ``sizeIn x sizeOut``, biases ``1 x sizeOut``) and dtype. ``path``: a ``str`` or
    ``os.PathLike``. Errors of the file system (``OSError``) propagate, leaving any old file
    in place. Returns ``None``."""
    arrays = {key: p.value for key, p in parameter_keys(graph).items()}
    path = Path(path)
    directory = path.parent
    # The temporary file must be in the target's directory: os.replace is atomic only
    # within one file system. os.open with mode 0o666 lets the umask set the permissions,
    # as for any new file (mkstemp would make it 0o600).
    tmp = directory / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as err:  # name the user's path, not graphnn's temporary file
        reason = "no such directory" if not directory.is_dir() else err.strerror
        raise type(err)(err.errno, f"cannot save the parameters ({reason}: {str(directory)!r})",
                        str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:  # KeyboardInterrupt too: never leave the temporary file behind
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _sync_directory(directory)


def _sync_directory(directory):
    """Make the rename itself durable (POSIX); not possible, nor needed, on Windows."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_parameters(graph, path):
    """Copy the parameters saved in ``path`` into ``graph``, in place; returns ``None``.

    Raises ``ParameterFileError`` (changing nothing) if the file is not a readable ``.npz``
    archive of arrays, or if its keys, shapes or dtypes differ from the graph's; a missing
    file raises the usual ``FileNotFoundError``."""
    expected = parameter_keys(graph)
    # The file is opened here, not by np.load, which leaks its handle when the zip is broken.
    # A missing or unreadable file raises the usual OSError; what follows reads its content.
    with open(path, "rb") as handle:
        try:
            data = np.load(handle, allow_pickle=False)
            if not hasattr(data, "files"):
                raise ParameterFileError(f"{path}: holds a single array (.npy), not a .npz parameter file")
            with data:
                _require_plausible_sizes(data, path)
                stored = {key: data[key] for key in data.files}
        except ParameterFileError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError,
                RuntimeError, MemoryError):
            # ValueError: numpy's refusal to unpickle a file that is not an array file at all
            # (its advice, allow_pickle, is wrong here: a parameter file never holds pickles).
            # The others come from a damaged archive: zlib (a compressed member), OSError (a
            # seek to a bad offset), NotImplementedError and RuntimeError (header flags claiming
            # a compression method or an encryption the zipfile module does not handle).
            raise ParameterFileError(
                f"{path}: not a readable .npz parameter file (graphnn.save_parameters writes a .npz "
                "archive of numeric arrays; this file is not one, or is damaged)"
            ) from None

    problems = []
    missing = [key for key in expected if key not in stored]
    unexpected = [key for key in stored if key not in expected]
    if missing:
        problems.append(f"missing from the file: {_by_node(missing)}")
    if unexpected:
        problems.append(f"in the file but not in the graph: {_by_node(unexpected)}")
    for key, p in expected.items():
        if key not in stored:
            continue
        node, name = key.split("/", 1)
        array = stored[key]
        if array.shape != p.value.shape:
            problems.append(
                f"node {node!r} parameter {name!r}: the file has shape "
                f"{describe_shape(array.shape)}, the graph {describe_shape(p.value.shape)}"
            )
        elif array.dtype != p.value.dtype:
            problems.append(
                f"node {node!r} parameter {name!r}: the file has dtype {array.dtype}, the graph "
                f"{p.value.dtype}"
            )
        elif not np.isfinite(array).all():  # setWeights refuses them too
            bad = np.argwhere(~np.isfinite(array))
            problems.append(
                f"node {node!r} parameter {name!r}: the file holds {len(bad)} NaN or inf "
                f"values, the first at {tuple(int(i) for i in bad[0])} ({array[tuple(bad[0])]})"
            )
    if problems:
        raise ParameterFileError(
            f"{path} does not fit this graph (nodes with parameters: "
            f"{', '.join(dict.fromkeys(key.split('/', 1)[0] for key in expected)) or 'none'}): "
            + "; ".join(problems)
        )
    for key, p in expected.items():
        p.value[...] = stored[key]


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def _require_plausible_sizes(data, path):
    """Refuse an archive member whose header claims more bytes than the member holds, before
    numpy allocates the claimed array (a damaged or hostile header may claim terabytes)."""
    for info in data.zip.infolist():
        with data.zip.open(info) as member:
            try:
                reader = _HEADER_READERS.get(np.lib.format.read_magic(member))
                if reader is None:
                    continue  # a format version without a public reader: np.load checks it
                shape, _, dtype = reader(member)
            except (ValueError, EOFError):
                continue  # not an array header: np.load's own error says so
            claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if claimed > info.file_size:
            raise ParameterFileError(
                f"{path}: damaged, member {info.filename!r} claims an array of shape "
                f"{describe_shape(shape)} ({claimed} bytes) but holds {info.file_size} bytes"
            )


def _by_node(keys):
    """``["fc2/weights", "fc2/biases"]`` -> ``"node 'fc2' (weights, biases)"``."""
    grouped = {}
    for key in keys:
        node, _, name = key.partition("/")
        grouped.setdefault(node, []).append(name or "?")
    return "; ".join(f"node {node!r} ({', '.join(names)})" for node, names in grouped.items())
