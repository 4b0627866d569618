"""The verdicts of ``check_layer`` and ``check_objective``: ``Check`` rows in a ``ContractReport``.

Two kinds of rows: the assignment's contract (forward values, ``gradient()``, ``backward``,
parameter gradients, ``eval``/``gradient`` of an objective, the right answers) decides pass
or fail; *advice* rows (wrong shapes refused, warnings at extreme inputs, arguments left
unchanged) are reported and fail the report only when the teacher asks (``strict=True``).
A row that a check could not judge (an input layer's gradient, a class graphnn has no
reference for) passes with ``numbers`` saying why it was not checked.
"""
import warnings
from dataclasses import dataclass, field

import numpy as np

from .limits import CheckTimeout, call_with_time_limit, time_limit

__all__ = ["Check", "ContractReport", "CheckFailure", "CheckTimeout", "time_limit", "run_check", "finish",
           "describe_error", "timed_out_report", "TIMEOUT_HINT"]


@dataclass
class Check:
    """One row of a ``ContractReport``: the check's ``name``, whether it ``passed``, the
    ``numbers`` that decided it, a ``hint`` for a failure with a recognisable shape,
    whether it is ``advice`` (robustness, not the assignment's contract) and, for a failure,
    the smallest ``failing_input`` it was seen on (text, or ``""``)."""
    name: str
    passed: bool
    numbers: str
    hint: str = ""
    advice: bool = False
    failing_input: str = ""


class CheckFailure(Exception):
    """A check's verdict against the class under test: its ``numbers``, a ``hint`` and the
    smallest ``failing_input`` (text). Raised inside a check; ``run_check`` makes it a row.
    ``explained``: the verdict names its cause already (the context's ``explain`` leaves it
    as it is)."""

    def __init__(self, numbers, hint="", failing_input="", explained=False):
        super().__init__(numbers)
        self.numbers, self.hint, self.failing_input = numbers, hint, failing_input
        self.explained = explained


@dataclass
class ContractReport:
    """What ``check_layer`` or ``check_objective`` found for ``subject`` (the class's name).

    ``rows``: the ``Check`` objects in the order they ran; ``conventions``: ``{what: the
    convention the class follows}`` (e.g. ``{"gradient()": "N x D"}``) as detected;
    ``strict``: whether advice rows decide too. ``passed`` (and ``bool(report)``): every
    deciding row passed; ``failed``: the names of the deciding rows that failed;
    ``advice``: the names of the advice rows that failed; ``report["name"]``: one row.
    ``str(report)`` is a table.
    """
    subject: str
    rows: list
    conventions: dict = field(default_factory=dict)
    strict: bool = False
    notes: list = field(default_factory=list)

    def _decides(self, row):
        return self.strict or not row.advice

    @property
    def passed(self):
        """True when every row that decides (all of them with ``strict``) passed."""
        return all(row.passed for row in self.rows if self._decides(row))

    @property
    def failed(self):
        """The names of the deciding checks that failed, in order (empty when all passed)."""
        return [row.name for row in self.rows if not row.passed and self._decides(row)]

    @property
    def advice(self):
        """The names of the advice rows that failed (robustness worth telling the student)."""
        return [row.name for row in self.rows if not row.passed and row.advice]

    def __bool__(self):
        return self.passed

    def __getitem__(self, name):
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no check named {name!r}; checks: {', '.join(r.name for r in self.rows)}")

    def __str__(self):
        width = max([len("check")] + [len(row.name) for row in self.rows])  # the header lines up too
        lines = [f"{self.subject}: contract checks", f"  {'check':<{width}}  result  numbers"]
        for row in self.rows:
            result = "ok" if row.passed else ("advice" if row.advice and not self.strict else "FAIL")
            lines.append(f"  {row.name:<{width}}  {result:<6}  {row.numbers}")
            if row.failing_input:
                lines.append(f"  {'':<{width}}  {'':<6}  input: {row.failing_input}")
            if row.hint:
                lines.append(f"  {'':<{width}}  {'':<6}  hint: {row.hint}")
        for what, convention in self.conventions.items():
            lines.append(f"  convention: {what}: {convention}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        deciding = [row for row in self.rows if self._decides(row)]
        verdict = "PASSED" if self.passed else f"FAILED {len(self.failed)} of {len(deciding)}"
        if self.advice and not self.strict:
            verdict += f" (advice: {', '.join(self.advice)})"
        lines.append(f"{verdict}: {self.subject}")
        return "\n".join(lines)

    __repr__ = __str__

    def to_dict(self):
        """The report as plain data (JSON-ready): subject, passed, conventions, rows."""
        return {"subject": self.subject, "passed": self.passed, "strict": self.strict,
                "conventions": dict(self.conventions), "notes": list(self.notes),
                "rows": [dict(vars(row)) for row in self.rows]}


def describe_error(err):
    """``'TypeError: message'``, the message's first line cut at 110 characters."""
    if isinstance(err, SystemExit):
        return f"SystemExit: the code called sys.exit({err.code!r})"
    message = str(err).splitlines()[0] if str(err) else ""
    if len(message) > 110:
        message = message[:107] + "..."
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def _hint_for_error(err):
    if isinstance(err, Warning):
        return "a numpy warning: compute so that nothing overflows or divides by zero (clip, or a stable formula)"
    if isinstance(err, SystemExit):
        return "never call sys.exit (or exit()) in a class: it stops whoever uses it"
    return ""


#: the hint of a check that ran past its time limit
TIMEOUT_HINT = "an endless loop, or far too slow (a loop over entries numpy could do)"


def _explained(context, failure):
    """``failure`` as the context explains it (``context.explain(failure)``, e.g. a layer that
    computes in float32 is told so rather than that its derivative is wrong)."""
    explain = getattr(context, "explain", None)
    return explain(failure) if callable(explain) and not failure.explained else failure


def run_check(name, check, context, advice=False, seconds=None):
    """Run ``check(context)``, returning its ``Check`` row. A ``CheckFailure``, any exception
    of the code under test, or its ``sys.exit`` fail this row only. In advice rows every
    warning is an error (a warning at extreme inputs is what they look for); in contract rows
    warnings are ignored (they are advice, not a wrong answer). ``seconds``: the check's time
    limit (``limits.call_with_time_limit``); running past it fails the row, naming the
    method that was running and the time."""
    if advice:
        errstate = dict(divide="warn", over="warn", invalid="warn", under="ignore")
    else:
        errstate = dict(all="ignore")

    def run():
        with np.errstate(**errstate):  # inside: numpy's error state belongs to the thread that runs
            return check(context)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error" if advice else "ignore")
            numbers = call_with_time_limit(run, seconds)
        return Check(name, True, numbers, advice=advice)
    except CheckFailure as failure:
        failure = failure if advice else _explained(context, failure)
        return Check(name, False, failure.numbers, failure.hint, advice, failure.failing_input)
    except CheckTimeout as err:
        return Check(name, False, str(err), TIMEOUT_HINT, advice)
    except (Exception, SystemExit) as err:  # the code under test raised: this check's verdict
        return Check(name, False, f"raised {describe_error(err)}", _hint_for_error(err), advice)


def finish(subject, checks, context, raise_on_failure=False, strict=False, conventions=None, advice=(),
           seconds=None):
    """Run ``checks`` (``(name, check)`` pairs) on ``context`` and return the
    ``ContractReport``; ``conventions``: the dict the checks fill as they detect them;
    ``advice``: the names of the checks that are advice; ``seconds``: each check's time
    limit. The report's ``notes`` are the context's ``notes`` (what the kit noticed about
    the class that no check decides, e.g. a ``sizeIn`` that is not a width). With
    ``raise_on_failure`` a failed report raises ``AssertionError`` holding its table."""
    rows, stopped = [], None
    for name, check in checks:
        if stopped:  # one endless loop costs one time limit, not one per check
            rows.append(Check(name, False, f"not run: {stopped!r} timed out", advice=name in advice))
            continue
        rows.append(run_check(name, check, context, name in advice, seconds))
        if not rows[-1].passed and rows[-1].hint == TIMEOUT_HINT:
            stopped = name
    report = ContractReport(subject, rows, conventions if conventions is not None else {}, strict,
                            list(getattr(context, "notes", ())))
    if raise_on_failure and not report.passed:
        raise AssertionError("\n" + str(report))
    return report


def timed_out_report(make, checks, advice, err, strict=False, raise_on_failure=False):
    """The ``ContractReport`` of a class whose building timed out (``err``, a
    ``CheckTimeout``: its constructor, or the ``forward`` that finds its input width, loops):
    the first check fails with ``err``'s message, the others are not run."""
    subject = getattr(make, "__name__", type(make).__name__)
    rows = [Check(checks[0][0], False, f"{err} (while building the class, before the checks)", TIMEOUT_HINT,
                  checks[0][0] in advice)]
    rows += [Check(name, False, "not run: building the class timed out", advice=name in advice)
             for name, _ in checks[1:]]
    report = ContractReport(subject, rows, {}, strict)
    if raise_on_failure:
        raise AssertionError("\n" + str(report))
    return report
