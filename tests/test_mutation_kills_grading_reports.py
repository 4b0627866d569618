"""The grading kit's diagnostics and reports (``diagnose``, ``reference``, ``report``,
``results``), checked value by value: the statistics a report prints, the nodes
``find_nonfinite`` goes on past while it searches backward, the numpy error state it searches
in (the behaviours mutation testing found unchecked). The student's layers are
tests/test_diagnose.py's."""
import numpy as np

import graphnn as gn
from graphnn.grading.diagnose import array_statistics
from graphnn.grading import report
from graphnn.grading.reference import SEED_TOLERANCE, seed_agrees
from graphnn.grading.report import Check
from test_diagnose import Identity, Sqrt  # the student's layers find_nonfinite's tests use


# ---------------------------------------------------------------------------- diagnose.py


def ones_feed(*names):
    return {name: np.ones((2, 2)) for name in names}


def test_statistics_of_a_float32_array_are_computed_in_float64():
    """Two float32 entries near float32's limit: their mean is finite (3e+38), as in float64."""
    line = array_statistics(np.array([[3e38, 3e38]], dtype=np.float32))
    assert line == "1 x 2; min 3e+38, max 3e+38, mean 3e+38, max|x| 3e+38"


def test_a_parameter_gradient_report_gives_the_statistics_of_that_gradient():
    """The report's statistics are those of the non-finite parameter gradient (its shape and
    inf count), not of something else."""
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), objective=gn.SquaredError())
    graph.op("fc1").setWeights(np.full((2, 1), 1e-308))
    graph.op("fc1").setBiases(np.full((1, 1), -100.0))
    report = gn.find_nonfinite(graph, {"X": np.full((2, 2), 1e308), "Y": np.zeros((2, 1))})
    assert (report.direction, report.node, report.what) == ("backward", "fc1", "gradient of weights")
    assert report.statistics == "2 x 1; 0 NaN, 2 inf of 2"
    assert "gradient of weights: 2 x 1; 0 NaN, 2 inf of 2" in str(report)


def test_an_input_met_late_in_the_backward_order_does_not_end_the_search():
    """Nodes sort by name within the topological order: with lower-case inputs, the target
    ``y`` comes after the layer ``fc``, so backward meets it first; the layer is still found."""
    graph = gn.Graph()
    x, y = graph.input("x", requires_grad=True), graph.input("y")
    graph.add(gn.wrap(Identity(broken_backward=True)), x, name="fc")
    graph.add(gn.SquaredError(), y, "fc", name="loss")
    assert graph.nodes.index("y") > graph.nodes.index("fc")
    report = gn.find_nonfinite(graph, {"x": np.ones((2, 2)), "y": np.zeros((2, 2))})
    assert (report.found, report.direction, report.node) == (True, "backward", "fc")
    assert report.what == "gradient to input 0 (from x)"


def test_constant_branches_are_passed_over_not_the_end_of_the_search():
    """A layer on the constant target (``zz``) and an objective of constants only
    (``zmetric``) get no gradient; backward meets both before the broken layer ``mid``,
    skips them and still names ``mid``."""
    graph = gn.Graph()
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    graph.add(gn.wrap(Identity(broken_backward=True)), x, name="mid")
    graph.add(gn.TanhLayer(), y, name="zz")
    graph.add(gn.SquaredError(), "zz", "mid", name="loss")
    graph.add(gn.SquaredError(), y, "zz", name="zmetric")
    order = graph.nodes
    assert order.index("zz") > order.index("mid") and order[-1] == "zmetric"
    report = gn.find_nonfinite(graph, {"X": np.ones((2, 2)), "Y": np.zeros((2, 2))})
    assert (report.found, report.direction, report.node) == (True, "backward", "mid")
    assert report.path == ["mid", "loss"]


def test_a_search_under_numpy_errors_raised_still_finds_the_nan():
    """With numpy set to raise on invalid operations (as a user hunting NaNs sets it), the
    search silences numpy's errors: the NaN is reported as made, not as a raised error, and
    the caller's error state is back afterwards."""
    graph = gn.Graph.sequential(gn.wrap(Sqrt()), objective=gn.SquaredError())
    with np.errstate(all="raise"):
        report = gn.find_nonfinite(graph, {"X": -np.ones((2, 2)), "Y": np.zeros((2, 2))})
        assert np.geterr()["invalid"] == "raise"
    assert (report.direction, report.node, report.what, report.error) == ("forward", "sqrt1", "output", None)
    assert report.statistics == "2 x 2; 4 NaN, 0 inf of 4"


# ---------------------------------------------------------------------------- reference.py


def test_an_answer_exactly_the_tolerance_from_a_printed_zero_agrees():
    """``SEED_TOLERANCE`` is the largest difference that still agrees: ``1e-4`` where the
    seed prints 0 (a Jacobian's off-diagonal) agrees, the next float above does not."""
    printed = np.array([[0.0, 1.0], [0.0, 1.0]])
    assert seed_agrees(np.array([[SEED_TOLERANCE, 1.0], [-SEED_TOLERANCE, 1.0]]), printed)
    assert not seed_agrees(np.array([[np.nextafter(SEED_TOLERANCE, 1.0), 1.0], [0.0, 1.0]]), printed)


# ---------------------------------------------------------------------------- report.py


def sqrt_of_minus_one(context):
    return f"{np.sqrt(np.array(-1.0))}"


def underflow(context):
    return f"{np.array(1e-300) * np.array(1e-300)}"


class Endless:
    def backward(self, gradIn=None):
        while True:
            pass


def test_advice_rows_look_for_invalid_values_whatever_the_callers_numpy_state():
    """An advice row fails on an invalid value even when the teacher's script has numpy
    ignore them (``np.seterr(all="ignore")``), and passes an underflow even when the script
    has numpy raise on everything: the row sets its own error state."""
    with np.errstate(all="ignore"):
        row = report.run_check("i", sqrt_of_minus_one, None, advice=True)
    assert (row.passed, row.advice) == (False, True)
    assert "invalid value" in row.numbers and "sqrt" in row.numbers
    with np.errstate(all="raise"):
        assert report.run_check("u", underflow, None, advice=True) == Check("u", True, "0.0", advice=True)
    with np.errstate(under="warn"):
        assert report.run_check("u", underflow, None, advice=True).passed


def test_contract_rows_ignore_numpy_errors_whatever_the_callers_numpy_state():
    """A contract row computes quietly (a NaN is a value to compare, not an error) even when
    the teacher's script has numpy raise on everything."""
    with np.errstate(all="raise"):
        assert report.run_check("i", sqrt_of_minus_one, None) == Check("i", True, "nan")


def test_an_advice_row_that_times_out_stays_an_advice_row():
    """A timed-out advice row fails as advice: it is counted as advice, not against the class."""
    row = report.run_check("slow", lambda context: Endless().backward(), None, advice=True, seconds=0.05)
    assert (row.passed, row.advice, row.hint) == (False, True, report.TIMEOUT_HINT)
    assert "timed out after 0.05 s" in row.numbers
