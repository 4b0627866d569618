"""The grading kit against a careless student (issue 29, item 17, and its siblings): code that
never returns, classes built with arguments the kit cannot guess, a ``sizeIn`` that is no
width, and classes that compute in float32 or integers. Each case failed before (a hang, a bare
``TypeError``, a numpy error, "the derivative's formula is wrong"); each now gets a sentence
naming what is wrong. docs/reliability.md lists them in its catalogue."""
import re
import signal
import sys
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from graphnn.grading import limits
from graphnn.grading.checks import check_layer, check_objective
from graphnn.grading.limits import CheckTimeout, call_with_time_limit, time_limit
from graphnn.grading.results import gradescope_results, load_rubric
from graphnn.grading.student import MAX_WIDTH, as_width, dtype_note

#: a time limit short enough for tests; the default (limits.DEFAULT_TIMEOUT) is tested once
SHORT = 0.5


class Sigmoid:
    def forward(self, X):
        self.s = 1 / (1 + np.exp(-np.clip(X, -500, 500)))
        return self.s

    def gradient(self):
        return self.s * (1 - self.s)

    def backward(self, gradIn):
        return gradIn * self.gradient()


class FullyConnected:
    def __init__(self, sizeIn, sizeOut):
        self.W = np.random.default_rng(0).normal(size=(sizeIn, sizeOut))
        self.b = np.zeros((1, sizeOut))

    def forward(self, X):
        self.X = X
        return X @ self.W + self.b

    def gradient(self):
        return self.W.T

    def backward(self, gradIn):
        return gradIn @ self.W.T

    def updateWeights(self, gradIn, eta):
        self.W = self.W - eta * self.X.T @ gradIn / len(gradIn)
        self.b = self.b - eta * gradIn.mean(axis=0)


class SquaredError:
    def eval(self, Y, Yhat):
        return float(np.mean(np.sum((Y - Yhat) ** 2, axis=1)))

    def gradient(self, Y, Yhat):
        return -2 * (Y - Yhat)


def rows(report):
    """``{check: numbers}`` of the rows that ran."""
    return {row.name: row.numbers for row in report.rows if not row.numbers.startswith("not run")}


# ---------------------------------------------------------------- code that never returns

class LoopingForward(Sigmoid):
    def forward(self, X):
        while True:
            pass


class LoopingBackward(Sigmoid):
    def backward(self, gradIn):
        while True:
            pass


class LoopingGradient(Sigmoid):
    def gradient(self):
        count = 0
        while True:
            count += 1


class LoopingConstructor(Sigmoid):
    def __init__(self):
        while True:
            pass


class SwallowingLoop(Sigmoid):
    """A loop that catches every ``Exception`` it meets, as some students write."""

    def backward(self, gradIn):
        while True:
            try:
                time.sleep(0.001)
            except Exception:
                pass


class SleepingForward(Sigmoid):
    def forward(self, X):
        time.sleep(3600)


class LoopingUpdate(FullyConnected):
    def updateWeights(self, gradIn, eta):
        while True:
            pass


class LoopingWidthProbe:
    """No sizeIn: the kit runs forward to find the width from the weights, and it loops."""

    def __init__(self):
        self.W = np.ones((3, 2))

    def forward(self, X):
        while True:
            pass

    def gradient(self):
        return self.W.T

    def backward(self, gradIn):
        return gradIn @ self.W.T


class LoopingEval(SquaredError):
    def eval(self, Y, Yhat):
        while True:
            pass


class LoopingObjectiveGradient(SquaredError):
    def gradient(self, Y, Yhat):
        while True:
            pass


@pytest.mark.parametrize("cls, check, message", [
    (LoopingForward, "forward shapes", "LoopingForward.forward timed out after 0.5 s"),
    (LoopingBackward, "rows independent", "LoopingBackward.backward timed out after 0.5 s"),
    (LoopingGradient, "rows independent",
     "LoopingGradient.backward (in LoopingGradient.gradient) timed out after 0.5 s"),
    (SwallowingLoop, "rows independent", "SwallowingLoop.backward timed out after 0.5 s"),
    (SleepingForward, "forward shapes", "SleepingForward.forward timed out after 0.5 s"),
    (LoopingUpdate, "parameter gradients", "LoopingUpdate.updateWeights timed out after 0.5 s"),
], ids=["forward", "backward", "gradient", "except-Exception", "sleep", "updateWeights"])
def test_a_method_that_never_returns_fails_its_check_naming_it_and_the_time(cls, check, message):
    make = (lambda: cls(4, 3)) if issubclass(cls, FullyConnected) else cls
    report = check_layer(make, timeout=SHORT)
    assert rows(report)[check] == message
    assert report[check].hint == "an endless loop, or far too slow (a loop over entries numpy could do)"
    after = [row for row in report.rows[[r.name for r in report.rows].index(check) + 1:]]
    assert after and all(row.numbers == f"not run: {check!r} timed out" for row in after)


def _stand_in_traceback(*frames):
    """A stand-in for a traceback through ``frames`` (outermost first), each ``(file, function,
    locals)``: what ``running_method`` reads of one."""
    entry = None
    for filename, function, local in reversed(frames):
        frame = SimpleNamespace(f_code=SimpleNamespace(co_filename=filename, co_name=function), f_locals=local)
        entry = SimpleNamespace(tb_frame=frame, tb_next=entry)
    return entry


def test_a_wrapper_around_graphnns_own_function_is_not_taken_for_the_students_method():
    # a decorator (or a profiler's, a mutation tester's trampoline) outside graphnn around one of
    # graphnn's functions adds a frame with no `self` between graphnn's frames
    inside = limits._PACKAGE + "/grading/layer_checks.py"
    student = LoopingForward()
    for wrappers in ([("/tools/wrap.py", "wrapper", {"args": ()})],
                     [("/tools/wrap.py", "outer", {}), ("/tools/wrap.py", "trampoline", {"kwargs": {}})]):
        wrapped = _stand_in_traceback((inside, "run_check", {}), *wrappers, (inside, "forward_shapes", {}),
                                      ("/class/FC.py", "forward", {"self": student}))
        assert limits.running_method(wrapped) == "LoopingForward.forward"
    # a student's method that calls graphnn's (super().forward()) is still the one named
    calls_back = _stand_in_traceback((inside, "run_check", {}), ("/class/FC.py", "forward", {"self": student}),
                                     (inside, "forward", {"self": student}))
    assert limits.running_method(calls_back) == "LoopingForward.forward"
    # a plain student function at the end is named, graphnn alone names nothing
    assert limits.running_method(_stand_in_traceback((inside, "run_check", {}), ("/class/f.py", "helper", {}))) \
        == "helper"
    assert limits.running_method(_stand_in_traceback((inside, "run_check", {}))) is None


@pytest.mark.parametrize("cls, message", [
    (LoopingConstructor, "LoopingConstructor.__init__ timed out after 0.5 s"),
    (LoopingWidthProbe, "LoopingWidthProbe.forward timed out after 0.5 s"),
], ids=["constructor", "width-probe"])
def test_building_a_class_that_never_returns_is_a_failing_report(cls, message):
    report = check_layer(cls, timeout=SHORT)
    assert report.rows[0].numbers == f"{message} (while building the class, before the checks)"
    assert all(row.numbers == "not run: building the class timed out" for row in report.rows[1:])
    assert report.subject == cls.__name__ and not report.passed
    with pytest.raises(AssertionError, match="while building the class"):
        check_layer(cls, timeout=SHORT, raise_on_failure=True)


@pytest.mark.parametrize("cls, check, method", [
    (LoopingEval, "eval is one float", "LoopingEval.eval"),
    (LoopingObjectiveGradient, "gradient shape", "LoopingObjectiveGradient.gradient"),
])
def test_an_objective_that_never_returns_fails_its_check(cls, check, method):
    report = check_objective(cls, timeout=SHORT)
    assert rows(report)[check] == f"{method} timed out after 0.5 s"


def test_the_default_time_limit_is_a_few_seconds():
    assert 1 <= limits.DEFAULT_TIMEOUT <= 10
    report = check_objective(LoopingEval)  # no timeout given: the default, not a hang
    assert report["eval is one float"].numbers == f"LoopingEval.eval timed out after {limits.DEFAULT_TIMEOUT:g} s"


def test_time_limit_is_the_older_name_of_timeout():
    assert check_layer(LoopingBackward, time_limit=SHORT)["rows independent"].numbers == \
        "LoopingBackward.backward timed out after 0.5 s"


def test_no_limit_when_asked_and_a_correct_class_passes_under_a_limit():
    assert check_layer(Sigmoid, timeout=None).passed
    assert check_layer(Sigmoid, timeout=2).passed  # each check takes milliseconds
    assert check_objective(SquaredError, timeout=2).passed


def in_a_thread(function):
    """``function()`` run in a thread of its own (not the main one); what it raises is raised."""
    result = {}

    def run():
        try:
            result["value"] = function()
        except BaseException as err:  # noqa: handed to the test
            result["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    if "error" in result:
        raise result["error"]
    return result["value"]


@pytest.mark.parametrize("cls, check, message", [
    (LoopingForward, "forward shapes", "LoopingForward.forward timed out after 0.5 s"),
    (SwallowingLoop, "rows independent", "SwallowingLoop.backward timed out after 0.5 s"),
    (LoopingConstructor, "forward shapes",
     "LoopingConstructor.__init__ timed out after 0.5 s (while building the class, before the checks)"),
], ids=["forward", "except-Exception", "constructor"])
def test_outside_the_main_thread_a_loop_is_stopped_too(cls, check, message):
    report = in_a_thread(lambda: check_layer(cls, timeout=SHORT))
    assert rows(report)[check] == message


def test_outside_the_main_thread_a_call_stuck_in_c_code_is_left_behind_not_waited_for():
    report = in_a_thread(lambda: check_layer(SleepingForward, timeout=SHORT))
    assert report["forward shapes"].numbers == ("timed out after 0.5 s, stuck outside Python code (a long numpy "
                                                "or C call); it is left running in the background")
    # the thread left behind says whose it is, for whoever lists a process's threads
    assert "graphnn-check" in [thread.name for thread in threading.enumerate()]


def test_outside_the_main_thread_a_correct_class_passes_and_errors_come_back():
    assert in_a_thread(lambda: check_layer(Sigmoid, timeout=2)).passed

    def fails():
        raise KeyError("mine")

    with pytest.raises(KeyError, match="mine"):
        in_a_thread(lambda: call_with_time_limit(fails, SHORT))


def test_a_timer_the_caller_had_set_is_put_back():
    previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1000)
        check_layer(LoopingBackward, timeout=SHORT)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 900 < remaining <= 1000
        assert signal.getsignal(signal.SIGALRM) is signal.default_int_handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def blocks_ending_near_their_limit():
    """Blocks that end about when their limit expires: each may time out or not, but nothing
    may arrive after it ended (the sleep after them would raise)."""
    for _ in range(20):
        try:
            with time_limit(0.01):
                time.sleep(0.009)
        except CheckTimeout:
            pass
        try:
            call_with_time_limit(lambda: time.sleep(0.009), 0.01)
        except CheckTimeout:
            pass
    time.sleep(0.1)
    return True


def test_nothing_fires_after_a_limited_block_ends():
    assert blocks_ending_near_their_limit()
    assert in_a_thread(blocks_ending_near_their_limit)


def test_a_time_out_is_a_base_exception_a_student_cannot_swallow_with_except_exception():
    assert not issubclass(CheckTimeout, Exception)
    with pytest.raises(CheckTimeout, match=r"^<lambda> timed out after 0.2 s$|^timed out after 0.2 s$"):
        call_with_time_limit(lambda: time.sleep(5), 0.2)


def test_the_class_graders_worker_names_the_looping_method(tmp_path, monkeypatch):
    from graphnn.grading.worker import grade_folder
    (tmp_path / "TanhLayer.py").write_text(
        "import numpy as np\n"
        "class TanhLayer:\n"
        "    def forward(self, X):\n"
        "        while True:\n"
        "            pass\n"
        "    def gradient(self):\n"
        "        return 1\n"
        "    def backward(self, G):\n"
        "        return G\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "TanhLayer", raising=False)
    try:
        result = grade_folder(tmp_path, tmp_path / "result.json", {"classes": ["TanhLayer"], "time_limit": SHORT})
    finally:
        sys.modules.pop("TanhLayer", None)
    first = result["classes"]["TanhLayer"]["report"]["rows"][0]
    assert first["numbers"] == "TanhLayer.forward timed out after 0.5 s"


# ---------------------------------------------------------------- constructor arguments

class NeedsExtra(FullyConnected):
    def __init__(self, sizeIn, sizeOut, activation):
        super().__init__(sizeIn, sizeOut)


class NeedsUnknownNames(FullyConnected):
    def __init__(self, a, b):
        super().__init__(a, b)


class NeedsKeywordOnly(Sigmoid):
    def __init__(self, *, slope):
        self.slope = slope


class ObjectiveNeedsEpsilon(SquaredError):
    def __init__(self, eps):
        self.eps = eps


@pytest.mark.parametrize("make, message", [
    (NeedsExtra, "check_layer: NeedsExtra needs constructor arguments the kit cannot guess: activation (it fills "
                 "sizeIn-like names with the width, sizeOut-like names with 3, dataIn-like names with data). Pass a "
                 "factory: check_layer(lambda: NeedsExtra(4, 3, activation=...))"),
    (NeedsUnknownNames, "needs constructor arguments the kit cannot guess: a, b (it fills"),
    (NeedsUnknownNames, "Pass a factory: check_layer(lambda: NeedsUnknownNames(a=..., b=...))"),
    (NeedsKeywordOnly, "Pass a factory: check_layer(lambda: NeedsKeywordOnly(slope=...))"),
], ids=["one-unknown", "all-unknown", "all-unknown-factory", "keyword-only"])
def test_a_class_needing_arguments_is_told_to_pass_a_factory_naming_them(make, message):
    with pytest.raises(TypeError) as caught:
        check_layer(make)
    assert message in str(caught.value)
    assert "missing" not in str(caught.value)  # not Python's own "missing 1 required positional argument"


def test_the_factory_the_message_suggests_works():
    assert check_layer(lambda: NeedsExtra(4, 3, activation="none")).passed
    assert check_layer(lambda: NeedsKeywordOnly(slope=1)).passed


def test_an_objective_needing_arguments_is_told_to_pass_a_factory():
    with pytest.raises(TypeError, match=r"^check_objective: ObjectiveNeedsEpsilon needs constructor arguments the kit "
                                        r"cannot guess: eps .*Pass a factory: check_objective\(lambda: "
                                        r"ObjectiveNeedsEpsilon\(eps=\.\.\.\)\)$"):
        check_objective(ObjectiveNeedsEpsilon)
    assert check_objective(lambda: ObjectiveNeedsEpsilon(1e-7)).passed


@pytest.mark.parametrize("check, make", [
    (check_layer, lambda width: FullyConnected(width, 2)),
    (check_objective, lambda eps: SquaredError()),
])
def test_a_factory_that_asks_for_arguments_is_refused_naming_them(check, make):
    name = check.__name__
    with pytest.raises(TypeError, match=rf"^{name}: the factory <lambda> asks for \w+; pass a function of no "
                                        rf"arguments: {name}\(lambda: MyLayer\(\.\.\.\)\)$"):
        check(make)


def test_a_factory_without_a_name_is_called_the_factory_given():
    """A ``functools.partial`` has no ``__name__``: the message still reads."""
    import functools

    with pytest.raises(TypeError, match=r"^check_layer: the factory given asks for width; pass a function of no "):
        check_layer(functools.partial(lambda width: FullyConnected(width, 2)))


def test_an_objective_instance_is_refused_naming_check_objective():
    with pytest.raises(TypeError, match=r"check_objective\(lambda: SquaredError\(\.\.\.\)\)\), not a 'SquaredError'"):
        check_objective(SquaredError())


# ---------------------------------------------------------------- sizeIn that is no width

def with_size_in(base, value):
    return type(f"{base.__name__}Sized", (base,), {"sizeIn": value})


@pytest.mark.parametrize("value, note", [
    (None, "sizeIn is None (NoneType), not a width (a positive integer); the width 3 was tried"),
    ("3", "sizeIn is '3' (str), not a width (a positive integer); the width 3 was tried"),
    (0, "sizeIn is 0: a width is a positive integer; the width 3 was tried"),
    (-2, "sizeIn is -2: a width is a positive integer; the width 3 was tried"),
    (2.5, "sizeIn is 2.5 (float), not a width (a positive integer); the width 3 was tried"),
    (True, "sizeIn is True, a bool, not a width (a positive integer); the width 3 was tried"),
    (10 ** 7, f"sizeIn is 10000000: wider than the kit checks ({MAX_WIDTH}; each entry is differenced); "
              "the width 3 was tried"),
    (float("nan"), "sizeIn is nan (float), not a width (a positive integer); the width 3 was tried"),
], ids=["None", "str", "0", "negative", "2.5", "bool", "huge", "nan"])
def test_a_size_in_that_is_no_width_is_told_and_the_layer_is_still_checked(value, note):
    report = check_layer(with_size_in(Sigmoid, value))
    assert report.passed, str(report)
    assert report.notes == [note]
    assert f"note: {note}" in str(report)
    assert report.to_dict()["notes"] == [note]


def test_a_float_size_in_holding_a_whole_number_is_used_and_told():
    report = check_layer(with_size_in(Sigmoid, 5.0))
    assert report.passed and "5 x 5 -> 7 x 5" not in report["forward shapes"].numbers
    assert "7 x 5 -> 7 x 5" in report["forward shapes"].numbers
    assert report.notes == ["sizeIn is 5.0, a float: a width is an integer (int(...)); 5 was used"]


@pytest.mark.parametrize("value", [None, 3.0, 0, "4"])
def test_a_layer_with_weights_and_a_bad_size_in_is_checked_at_its_weights_width(value):
    class Dense(FullyConnected):
        def __init__(self, sizeIn, sizeOut):
            super().__init__(sizeIn, sizeOut)
            self.sizeIn = value

    report = check_layer(Dense)
    assert report.passed, str(report)
    if value == 3.0:  # a width (with a note): the layer is built with sizeIn 3
        assert "7 x 3 -> 7 x 3" in report["forward shapes"].numbers
        assert report.notes == ["sizeIn is 3.0, a float: a width is an integer (int(...)); 3 was used"]
    else:  # read from the weights of the layer built with the kit's sizeIn, 4
        assert "7 x 4 -> 7 x 3" in report["forward shapes"].numbers
        assert report.notes[0].endswith("; the width 4 was read from the weights")


@pytest.mark.parametrize("value", [None, "2", 0, 1.5])
def test_an_n_inputs_that_is_no_count_is_told_not_a_crash(value):
    layer = with_size_in(Sigmoid, 3)
    layer.n_inputs = value
    report = check_layer(layer)
    assert report.passed, str(report)
    assert report.notes[0].startswith(f"n_inputs is {value!r}") and report.notes[0].endswith(
        "; the layer was checked with 1 input")


@pytest.mark.parametrize("value, message", [
    (3.0, "input_width is 3.0, a float"), ("3", "input_width is '3' (str)"), (0, "input_width is 0"),
    ((3, None), "input_width is None"),
])
def test_a_bad_input_width_argument_is_refused_with_a_sentence(value, message):
    with pytest.raises(ValueError, match=rf"^check_layer: {re.escape(message)}.*give a positive integer D"):
        check_layer(Sigmoid, input_width=value)


def test_as_width():
    assert as_width(4) == (4, "") and as_width(np.int64(4)) == (4, "")
    assert as_width(MAX_WIDTH)[0] == MAX_WIDTH and as_width(MAX_WIDTH + 1)[0] is None
    assert as_width(np.float64(2.0)) == (2, "sizeIn is 2.0, a float: a width is an integer (int(...)); 2 was used")
    assert as_width([4], "n") == (None, "n is [4] (list), not a width (a positive integer)")


# ---------------------------------------------------------------- float32 and integers

class Sigmoid32(Sigmoid):
    def forward(self, X):
        self.s = (1 / (1 + np.exp(-X))).astype(np.float32)
        return self.s


class IntegerReLU:
    def forward(self, X):
        self.X = X
        out = np.zeros(X.shape, dtype=int)
        out[X > 0] = X[X > 0]
        return out

    def gradient(self):
        return (self.X > 0).astype(float)

    def backward(self, gradIn):
        return gradIn * self.gradient()


class Gradient32(Sigmoid):
    def gradient(self):
        return (self.s * (1 - self.s)).astype(np.float32)


class Backward32(Sigmoid):
    def backward(self, gradIn):
        return (gradIn * self.gradient()).astype(np.float32)


class RoundingSigmoid(Sigmoid):
    def forward(self, X):
        self.s = np.round(1 / (1 + np.exp(-X)), 2)
        return self.s


class IntegerWeights(FullyConnected):
    def __init__(self, sizeIn, sizeOut):
        self.W = np.random.default_rng(0).integers(-3, 4, size=(sizeIn, sizeOut))
        self.b = np.zeros((1, sizeOut), dtype=int)


FLOAT32 = ("; the checks compare in float64: a central difference (step 1e-6) needs float64's 16 digits and "
           "float32 keeps about 6, so every derivative looks wrong. Compute in float64 (no astype(np.float32), "
           "no dtype=np.float32)")


@pytest.mark.parametrize("cls, failed, lead", [
    (Sigmoid32, ["gradient() vs central differences", "backward vs central differences"],
     "forward and gradient() return float32"),
    (Backward32, ["backward = gradIn x gradient()"], "backward returns float32"),
], ids=["forward", "backward"])
def test_a_float32_layer_is_told_its_dtype_not_that_its_derivative_is_wrong(cls, failed, lead):
    report = check_layer(cls)
    assert report.failed == failed
    for name in failed:
        assert report[name].numbers.startswith(f"{lead}: N = ")
        assert report[name].hint == lead + FLOAT32
    assert report.notes == [lead + FLOAT32]


def test_a_float32_gradient_alone_passes_its_checks_and_is_told_in_a_note():
    report = check_layer(Gradient32)  # rounding to float32 moves it by 1e-8: within the tolerance
    assert report.passed, str(report)
    assert report.notes == ["gradient() returns float32" + FLOAT32]


def test_an_integer_layer_is_told_its_dtype():
    report = check_layer(IntegerReLU)
    assert report.failed == ["gradient() vs central differences", "backward vs central differences"]
    assert report["backward vs central differences"].numbers.startswith("forward returns int64 (integers): N = ")
    assert report["backward vs central differences"].hint == (
        "forward returns int64 (integers); the checks compare in float64, and integers cut every value to a whole "
        "number, so derivatives look wrong. Compute in floats (np.zeros(shape), not np.zeros(shape, dtype=int); "
        "no astype(int))")


def test_a_rounding_layer_is_told_its_output_does_not_move():
    report = check_layer(RoundingSigmoid)
    assert report["backward vs central differences"].hint == (
        "the finite differences are all 0: the output does not move when an input moves by 1e-6; does it round, "
        "or compute in integers?")


def test_integer_weights_are_told_they_cannot_be_updated():
    report = check_layer(IntegerWeights)
    assert report.failed == ["parameter gradients"]
    assert report["parameter gradients"].numbers == (
        "weights (attribute W) are int64 (integers): an update weights -= eta * gradient cannot be stored in them")
    assert "not with integers (randint, dtype=int)" in report["parameter gradients"].hint


def test_a_float32_objective_is_told_its_dtype():
    class LogLoss32:
        def eval(self, Y, Yhat):
            Y, Yhat = Y.astype(np.float32), Yhat.astype(np.float32)
            return np.mean(-(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat)))

        def gradient(self, Y, Yhat):
            Y, Yhat = Y.astype(np.float32), Yhat.astype(np.float32)
            return -(Y - Yhat) / (Yhat * (1 - Yhat))

    report = check_objective(LogLoss32, reference=None)
    assert report.failed == ["gradient vs central differences", "mean of the rows"]
    assert report["gradient vs central differences"].numbers.startswith("eval and gradient return float32: 1 x 3: ")
    assert report["mean of the rows"].hint == "eval and gradient return float32" + FLOAT32
    assert report.notes == ["eval and gradient return float32" + FLOAT32]


def test_a_float32_layer_that_passes_is_still_told_in_a_note_and_on_gradescope():
    report = check_layer(Sigmoid32, reference=None)
    result = {"classes": {"LogisticSigmoidLayer": {"status": "checked", "report": report.to_dict()}}}
    output = gradescope_results(result, load_rubric())["output"]
    assert "LogisticSigmoidLayer: forward and gradient() return float32; the checks compare in float64" in output


def test_dtype_note():
    assert dtype_note("forward", np.zeros(2)) == "" and dtype_note("forward", 3.0) == ""
    assert dtype_note("forward", np.zeros(2, dtype=np.longdouble)) == ""
    assert dtype_note("forward", np.zeros(2, dtype=">f8")) == ""  # float64, big-endian: 16 digits all the same
    assert dtype_note("forward", np.zeros(2, dtype=">f4")).startswith("forward returns >f4; ")
    assert dtype_note("eval", np.float32(1)).startswith("eval returns float32; ")
    assert dtype_note("forward", np.zeros(2, dtype=bool)).startswith("forward returns bool (integers); ")
    assert dtype_note("forward", np.zeros(2, dtype=complex)) == \
        "forward returns an array of dtype complex128; the checks compare float64 arrays"


def test_a_big_endian_float64_layer_passes_with_no_dtype_note():
    """Arrays read from a file written big-endian (``>f8``) are float64 to every check."""
    class BigEndianSigmoid(Sigmoid):
        def forward(self, X):
            return super().forward(X).astype(">f8")

        def gradient(self):
            return super().gradient().astype(">f8")

    BigEndianSigmoid.__name__ = "LogisticSigmoidLayer"
    report = check_layer(BigEndianSigmoid)
    assert report.passed, str(report)
    assert report.notes == []


def test_graphnns_own_float32_layer_is_told_its_dtype_too():
    import graphnn as gn
    report = check_layer(lambda: gn.FullyConnectedLayer(4, 3, seed=0, dtype=np.float32))
    assert report.failed == ["parameter gradients"]  # was: "raised ValueError: numerical_gradient: ..."
    assert report["parameter gradients"].numbers == "weights is float32; the checks compare in float64"
    assert report.notes == ["gradient() returns float32" + FLOAT32]
