"""What mutation testing found unchecked in the engine's shared pieces (docs/reliability.md,
"Mutation testing"): the input checks of ``graphnn._validation`` (which rank each message asks
for, the hints, the conversions) and ``Parameter`` (its gradient, its array protocol)."""
import warnings

import numpy as np
import pytest

from graphnn._validation import (as_batch, as_matrix, describe_shape, ieee_arithmetic, ieee_quiet,
                                 integer_at_least, is_batch, is_matrix, one_d_hint, require_finite,
                                 require_same_shape, require_width)
from graphnn.parameter import Parameter


def message_of(function, *args, **kwargs):
    with pytest.raises(ValueError) as info:
        function(*args, **kwargs)
    return str(info.value)


# --- _validation -------------------------------------------------------------------------------

def test_describe_shape_joins_every_rank():
    assert describe_shape(()) == "()"
    assert describe_shape((5,)) == "5"
    assert describe_shape((673, 16)) == "673 x 16"
    assert describe_shape((64, 1, 8, 8)) == "64 x 1 x 8 x 8"


@pytest.mark.parametrize("value, matrix", [
    (np.ones((2, 3)), True),
    (np.ones((2, 3), dtype=np.float32), True),
    (np.ones((2, 3), dtype=np.longdouble), True),
    (np.ones((2, 3), dtype=np.float16), False),   # converted to float32 by as_matrix
    (np.ones((2, 3), dtype=int), False),
    (np.ones((0, 3)), False),
    (np.ones((1, 3)), True),
    (np.ones(3), False),
    (np.ones((1, 2, 3)), False),
    (np.ones((2, 3)).view(np.ma.MaskedArray), False),  # a subclass: converted to a plain array
    ([[1.0]], False),
])
def test_is_matrix_says_whether_as_matrix_has_work_to_do(value, matrix):
    assert is_matrix(value) is matrix
    assert is_batch(value) is matrix


def test_is_batch_checks_the_rank_asked_for():
    images = np.ones((2, 1, 3, 3))
    assert is_batch(images, 4) and not is_batch(images, 2) and not is_batch(images, 3)
    assert is_batch(images, None) and is_batch(np.ones((2, 3)), None)
    assert not is_batch(np.ones(3), None) and not is_batch(np.ones((0, 2, 2)), None)
    assert not is_batch(images.astype(int), 4)


def test_as_matrix_converts_once_and_keeps_float_dtypes():
    X = np.ones((2, 2))
    assert as_matrix(X, "o") is X
    assert as_matrix(np.ones((2, 2), dtype=np.float32), "o").dtype == np.float32
    assert as_matrix(np.ones((2, 2), dtype=np.float16), "o").dtype == np.float32
    assert as_matrix(np.ones((2, 2), dtype=np.int8), "o").dtype == np.float64
    assert as_matrix([[True, False]], "o").dtype == np.float64
    assert as_batch(np.ones((2, 1, 2, 2), dtype=np.uint8), "o", ndim=4).dtype == np.float64


@pytest.mark.parametrize("ndim, value, words", [
    (2, np.ones((2, 2, 2)), "o: x must be a 2-D N x D array, got 3-D shape (2, 2, 2)"),
    (3, np.ones((2, 2)), "o: x must be a 3-D N x C x L array, got 2-D shape (2, 2)"),
    (4, np.ones((2, 2)), "o: x must be a 4-D N x C x H x W array, got 2-D shape (2, 2)"),
    (5, np.ones((2, 2)), "o: x must be a 5-D array, got 2-D shape (2, 2)"),
])
def test_as_batch_names_the_rank_it_wants(ndim, value, words):
    assert message_of(as_batch, value, "o", "x", ndim=ndim).startswith(words)


def test_as_matrix_and_as_batch_by_default_want_n_x_d_and_call_it_the_input():
    for convert in (as_matrix, as_batch):
        assert message_of(convert, np.ones((2, 2, 2)), "o").startswith(
            "o: input must be a 2-D N x D array, got 3-D shape (2, 2, 2)")
    assert as_batch(np.ones((2, 3), dtype=int), "o").shape == (2, 3)


def test_as_batch_hints_follow_the_rank():
    # a 1-D array where rows are wanted: both readings
    message = message_of(as_batch, np.ones(3), "o", "x", ndim=2)
    assert message.endswith("(for 3 observations of one value use x.reshape(-1, 1); "
                            "for one observation of 3 values, x.reshape(1, -1))")
    message = message_of(as_batch, np.ones(3), "o", "x", ndim=None)  # any rank of at least 2
    assert message.startswith("o: x must be a 2-D N x D array, or one of higher rank")
    assert "got 1-D shape (3,) (for 3 observations of one value" in message
    # images without their channel axis: the hint says how to add it
    message = message_of(as_batch, np.ones((2, 3, 3)), "o", "x", ndim=4)
    assert message.endswith("(for one channel, add its axis: x.reshape(N, 1, H, W), or "
                            "x[:, None] on an N x H x W array)")
    # no hint for other mismatches
    assert message_of(as_batch, np.ones(3), "o", "x", ndim=4).endswith("got 1-D shape (3,)")
    assert message_of(as_batch, np.ones((2, 2)), "o", "x", ndim=4).endswith("shape (2, 2)")


def test_as_batch_refuses_what_is_not_numbers_or_has_no_rows():
    assert message_of(as_matrix, [[1.0], [1.0, 2.0]], "o", "x").startswith(
        "o: x could not be read as an array (")
    assert message_of(as_matrix, np.array([["a"]]), "o", "x") == "o: x must be numeric, got dtype <U1"
    assert message_of(as_matrix, np.ones((0, 3)), "o", "x") == "o: x has no observations (shape 0 x 3)"
    assert message_of(as_matrix, np.ones((2, 2), dtype=complex), "o").startswith(
        "o: input must be numeric")  # "input" by default


def test_one_d_hint():
    assert one_d_hint(1) == "for one observation use x.reshape(1, -1)"
    assert one_d_hint(2) == ("for 2 observations of one value use x.reshape(-1, 1); for one "
                             "observation of 2 values, x.reshape(1, -1)")


@pytest.mark.parametrize("value, minimum, words", [
    (0, 1, "o: n must be a positive integer, got 0"),
    (1, 2, "o: n must be an integer >= 2, got 1"),
    (True, 0, "o: n must be an integer >= 0, got True"),
    (2.0, 1, "o: n must be a positive integer, got 2.0"),
])
def test_integer_at_least_refuses_by_name(value, minimum, words):
    assert message_of(integer_at_least, value, minimum, "o", "n") == words


def test_integer_at_least_accepts_the_minimum_and_numpy_integers():
    assert integer_at_least(1, 1, "o", "n") == 1
    value = integer_at_least(np.int64(3), 3, "o", "n")
    assert value == 3 and type(value) is int


def test_the_shape_checks_name_what_they_compare():
    assert message_of(require_width, np.ones((2, 3)), 4, "o") == "o: input must have 4 columns, got 2 x 3"
    assert message_of(require_same_shape, np.ones((2, 3)), (2, 2), "o", "g") == "o: g must be 2 x 2, got 2 x 3"
    require_width(np.ones((2, 3)), 3, "o")
    require_same_shape(np.ones((2, 3)), (2, 3), "o", "g")


def test_require_finite_counts_and_locates():
    X = np.zeros((3, 2))
    X[1, 1], X[2, 0] = np.inf, np.nan
    assert message_of(require_finite, X, "o", "x") == (
        "o: x (3 x 2) holds 2 NaN or inf entries, the first at row 1, column 1 (inf)")
    require_finite(np.zeros((3, 2)), "o")


def overflow_invalid_and_divide():
    big, x = np.array([1000.0]), np.array([-1.0, 0.0])
    return np.exp(big), np.sqrt(x), x / 0.0


def test_the_ieee_context_and_decorator_silence_overflow_invalid_and_divide():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning fails
        with ieee_arithmetic():
            exp, root, ratio = overflow_invalid_and_divide()
        assert exp[0] == np.inf and np.isnan(root[0]) and np.isnan(ratio[1])
        exp, root, ratio = ieee_quiet(overflow_invalid_and_divide)()  # decorated when the test runs
        assert ratio[0] == -np.inf


# --- Parameter ---------------------------------------------------------------------------------

def test_a_parameters_gradient_starts_at_zero_and_accumulates_in_its_dtype():
    p = Parameter(np.ones((1, 2), dtype=np.float32), "b")
    assert p.grad.dtype == np.float32 and not p.grad.any()
    p.zero_grad()
    first = np.array([[1.0, 2.0]])  # float64: converted
    p.accumulate(first)
    assert p.grad.dtype == np.float32
    p.accumulate(np.array([[0.5, 0.5]], dtype=np.float32))
    np.testing.assert_array_equal(p.grad, [[1.5, 2.5]])
    p.zero_grad()
    same = np.array([[3.0, 4.0]], dtype=np.float32)
    p.accumulate(same)
    assert p.grad is same  # kept, not copied, after zero_grad
    p.grad = np.zeros((1, 2), dtype=np.float32)
    assert not p.grad.any()


def test_a_parameter_reports_its_shape_size_and_name():
    p = Parameter(np.zeros((3, 2)), "weights")
    assert p.shape == (3, 2) and p.size == 6
    assert repr(p) == "Parameter('weights', shape=(3, 2), dtype=float64)"
    assert Parameter(np.zeros(1)).name == "param"


def test_a_parameter_converts_to_an_array_as_numpy_asks():
    value = np.arange(3.0)
    p = Parameter(value, "w")
    assert np.asarray(p) is value
    assert np.array(p, copy=True) is not value and np.array_equal(np.array(p, copy=True), value)
    assert np.asarray(p, dtype=np.float64) is value
    converted = np.asarray(p, dtype=np.float32)
    assert converted.dtype == np.float32 and np.array_equal(converted, value)
    with pytest.raises(ValueError, match="Parameter 'w': cannot give a float32 view of a float64 "
                                         "value without a copy"):
        p.__array__(np.float32, copy=False)
    assert p.__array__(None, copy=False) is value
    assert p.__array__(np.float32).dtype == np.float32  # the protocol itself, not numpy's help
