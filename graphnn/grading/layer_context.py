"""What the layer checks share about the class under test (``LayerContext``): how to build it,
its name and kind, the shapes of its inputs and the inputs tried, the conventions found, and
what the kit noticed (a ``sizeIn`` that is no width, a dtype other than float64).

The input of one observation is ``(D,)`` for the assignment's layers (``N x D``) or ``(C, H,
W)`` for image layers (``N x C x H x W``; ``images``), ``(H, W)`` for the course's first,
single-channel convolution (``N x H x W``).
"""
import numpy as np

from . import images
from .conventions import note_convention, validate_conventions
from .inputs import as_jacobians, away_from_zero_inputs, input_layer_data, kind_of
from .reference import reference_for
from .report import CheckFailure
from .student import DEFAULT_SIZE_IN, DtypeNotes, as_width, build, student_parameters

__all__ = ["LayerContext", "LAYER_SIZES", "DEFAULT_WIDTH"]


#: the numbers of observations every layer check runs with: one, and several
LAYER_SIZES = (1, 7)
#: the input width tried when the layer has no ``sizeIn``, no weights, and none is given
DEFAULT_WIDTH = 3


def _checked_input_width(input_width):
    """``input_width`` as ``None``, an ``int`` or a tuple of them; ``ValueError`` otherwise."""
    if input_width is None:
        return None
    several = isinstance(input_width, (tuple, list))
    widths = []
    for value in (input_width if several else (input_width,)):
        width, problem = as_width(value, "input_width")
        if width is None or problem:
            raise ValueError(f"check_layer: {problem}; give a positive integer D (a tuple of them for a layer of "
                             f"several inputs)")
        widths.append(width)
    return tuple(widths) if several else widths[0]


class LayerContext:
    """What the layer checks share: how to build the layer (``layer()``), its ``name``,
    ``kind`` (``'input'``, ``'weights'`` or ``'plain'``), the ``shapes`` of one observation of
    each input (``widths``: ``D`` for ``(D,)``), whether it is an ``image`` layer, the numbers
    of observations tried (``sizes_tried``), the inputs they try (``inputs(n)``), the
    ``conventions`` found and those ``pinned``, the ``reference`` class and the ``make`` it
    came from. ``forward``/``backward``/``jacobians`` call the layer and refuse what the
    contract does not allow."""

    def __init__(self, make, input_width=None, make_inputs=None, reference="auto", conventions=None,
                 input_shape=None):
        self.make, self.pinned, self.conventions = make, validate_conventions(conventions), {}
        self.size_notes, self.dtypes = [], DtypeNotes()
        input_width = _checked_input_width(input_width)
        width = input_width if isinstance(input_width, int) else (
            input_width[0] if isinstance(input_width, tuple) and len(input_width) == 1 else None)
        self.data = input_layer_data(width or DEFAULT_WIDTH)
        first = build(make, width, self.data)
        self.name = type(first).__name__
        self.n_inputs = self._n_inputs(first)
        self.built_from_data = isinstance(make, type) and first is not None and self._took_data(make)
        self.kind = "input" if ("InputLayer" in self.name or self.built_from_data) else (
            "weights" if self._parameters(first) else "plain")
        self.make_inputs = make_inputs
        if make_inputs is not None:  # the inputs decide the shapes
            shapes = tuple(x.shape[1:] for x in self._called(make_inputs, np.random.default_rng(0), 1))
        elif input_shape is not None:
            shapes = (images.checked_shape(input_shape),) * self.n_inputs
        elif input_width is None and images.is_image_layer(first, self.name):
            shapes = (images.observation_shape(first, self),) * self.n_inputs
        else:
            shapes = tuple((w,) for w in self._widths(first, input_width))
        #: the shape of one observation of each input: ``(D,)``, or ``(C, H, W)`` for an image
        self.shapes = tuple(tuple(int(d) for d in shape) for shape in shapes)
        self.image = any(len(shape) > 1 for shape in self.shapes)
        self.widths = tuple(shape[0] if len(shape) == 1 else shape for shape in self.shapes)
        #: the numbers of observations the checks try: fewer for images (each is many entries)
        self.sizes_tried = images.IMAGE_SIZES if self.image else LAYER_SIZES
        if self.make_inputs is None:
            self.make_inputs = self._data_inputs if self.kind == "input" else away_from_zero_inputs(*self.widths)
        self.reference = reference_for(self.name, reference)

    @staticmethod
    def _called(make_inputs, rng, n):
        inputs = make_inputs(rng, n)
        inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
        return tuple(np.array(x, dtype=float) for x in inputs)

    def flat_size(self, slot):
        """The number of entries of one observation of input ``slot`` (``D``, or ``C H W``)."""
        return int(np.prod(self.shapes[slot]))

    def _n_inputs(self, first):
        value = getattr(first, "n_inputs", 1)
        count, problem = as_width(value, "n_inputs")
        if count is None:
            self.size_notes.append(f"{problem}; the layer was checked with 1 input")
        elif problem:
            self.size_notes.append(problem)
        return count or 1

    @property
    def notes(self):
        """What the kit noticed that no check decides: a ``sizeIn`` or ``n_inputs`` that is not
        a positive integer (and what was used instead), methods returning another dtype than
        float64."""
        return self.size_notes + self.dtypes.sentences()

    def explain(self, failure):
        """``failure`` led by the dtype when the class computes in another dtype than float64
        (``student.DtypeNotes``): that, not a wrong derivative, is what to fix first."""
        return self.dtypes.explain(failure)

    def _took_data(self, make):
        try:
            build(make, None, None)
            return False
        except Exception:
            return True

    @staticmethod
    def _parameters(layer):
        own = getattr(layer, "parameters", None)
        if callable(own):
            return tuple(own())
        return student_parameters(layer)

    def _widths(self, first, input_width):
        if input_width is not None:
            widths = (input_width,) * self.n_inputs if isinstance(input_width, int) else input_width
            if len(widths) != self.n_inputs:
                raise ValueError(f"check_layer: {self.name} takes {self.n_inputs} inputs, got widths {widths}")
            return widths
        if self.kind == "input" and self.built_from_data:
            return (self.data.shape[1],)
        size_in, problem = as_width(getattr(first, "sizeIn", None)) if hasattr(first, "sizeIn") else (None, "")
        if size_in is not None:
            if problem:
                self.size_notes.append(problem)
            return (size_in,) * self.n_inputs
        if self.kind != "weights":
            if problem:
                self.size_notes.append(f"{problem}; the width {DEFAULT_WIDTH} was tried")
            return (DEFAULT_WIDTH,) * self.n_inputs
        widths = self._weights_width(first, problem)
        if problem:
            self.size_notes.append(f"{problem}; the width {widths[0]} was read from the weights")
        return widths

    def _weights_width(self, first, size_problem):
        weights = [p for p in student_parameters(first) if p.name == "weights"]
        shape = np.shape(weights[0].raw()) if weights else ()
        candidates = sorted(dict.fromkeys(shape), key=lambda w: w != DEFAULT_SIZE_IN)
        problem = None
        for width in candidates:
            try:
                out = build(self.make, width, self.data).forward(np.ones((2, width)))
                if np.shape(out)[0] == 2:
                    return (width,)
            except Exception as err:  # the width is wrong, or forward is: try the next one
                problem = err
        raise ValueError(
            f"check_layer: cannot tell {self.name}'s input width: "
            f"{size_problem or 'it has no sizeIn attribute'}, and forward "
            f"failed on the widths its weights suggest ({' and '.join(map(str, candidates)) or 'none'}"
            f"{'; ' + type(problem).__name__ + ': ' + str(problem)[:80] if problem else ''}). Give the class a "
            f"sizeIn attribute, or pass check_layer({self.name}, input_width=D)")

    def _data_inputs(self, rng, n):
        return (self.data.mean(axis=0) + self.data.std(axis=0) * rng.standard_normal((n, self.data.shape[1])),)

    def layer(self):
        """A fresh layer (one per check: one set of weights for the whole check)."""
        return build(self.make, self.widths[0], self.data)

    def inputs(self, n, salt=0):
        """The inputs the checks try for ``n`` observations: a tuple of ``n x D`` arrays."""
        return self._called(self.make_inputs, np.random.default_rng([n, salt, 15]), n)

    @staticmethod
    def gradIn(shape, salt=1):
        """A seeded random ``gradIn`` of ``shape``."""
        return np.random.default_rng([shape[0], salt, 16]).standard_normal(shape)

    def forward(self, layer, inputs, copy=True):
        """``layer.forward(*inputs)`` (on copies), refused unless a 2-D array; a dtype other
        than float64 is noted (``explain``)."""
        out = self.dtypes.record("forward", layer.forward(*[x.copy() for x in inputs] if copy else inputs))
        if self.image and isinstance(out, np.ndarray) and out.ndim >= 2:
            return out
        if not isinstance(out, np.ndarray) or out.ndim != 2:
            raise CheckFailure(f"forward returned {kind_of(out)}, not a{'n' if self.image else ' 2-D'} N x K array",
                               "the first axis is the observations, also for N = 1" if self.image else
                               "every value is 2-D: one row per observation, also for N = 1")
        return out

    def backward(self, layer, G, copy=True):
        """``layer.backward(G)`` as a tuple, one gradient per input."""
        result = self.dtypes.record("backward", layer.backward(G.copy() if copy else G))
        if self.n_inputs == 1:
            return (np.asarray(result, dtype=float),)
        if not isinstance(result, (tuple, list)) or len(result) != self.n_inputs:
            raise CheckFailure(f"backward returned {kind_of(result)}, not {self.n_inputs} gradients (one per input)")
        return tuple(np.asarray(r, dtype=float) for r in result)

    def jacobians(self, layer, n, k):
        """``[(N x K x D tensor, form)]`` per input, from ``layer.gradient()`` in any allowed
        form (``K`` and ``D``: the entries of one observation's output and input, an image's
        flattened); records the form in ``conventions`` (or fails a pinned one)."""
        result = self.dtypes.record("gradient()", layer.gradient())
        results = [result] * self.n_inputs
        if self.n_inputs > 1 and not isinstance(result, np.ndarray):
            if not isinstance(result, (tuple, list)) or len(result) != self.n_inputs:
                raise CheckFailure(f"gradient() returned {kind_of(result)}: one Jacobian per input, or a shared one")
            results = list(result)
        found = []
        for slot, r in enumerate(results):
            tensor, form = as_jacobians(r, n, k, self.flat_size(slot), shared_first=self.kind == "weights")
            note_convention(self.conventions, self.pinned, "gradient()", form)
            found.append((tensor, form, np.asarray(r, dtype=float)))
        return found

    def slot(self, k):
        """``'input k, '`` for a layer of several inputs, else ``''``."""
        return f"input {k}, " if self.n_inputs > 1 else ""

    def sizes(self):
        """``'N = 1, 7'`` (the numbers of observations tried)."""
        return f"N = {', '.join(map(str, self.sizes_tried))}"

    def unread_gradient(self, layer, n, k):
        """For an image layer, the row's "not checked" sentence when its ``gradient()`` raises or
        gives no Jacobian in an allowed form (the assignment's image layers need only
        ``backward``); ``None`` when it can be read (or for other layers)."""
        if not self.image:
            return None
        try:
            result = layer.gradient()
            as_jacobians(result, n, k, self.flat_size(0), shared_first=self.kind == "weights")
        except Exception as err:  # a CheckFailure too: no allowed form
            reason = f"gave {kind_of(result)}" if isinstance(err, CheckFailure) else f"raised {type(err).__name__}"
            return (f"not checked: {self.name}.gradient() {reason}, not a Jacobian of one observation's flattened "
                    "output; an image layer's backward is checked against central differences instead")
        return None
