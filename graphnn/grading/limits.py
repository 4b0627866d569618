"""How long a student's code may run: a check that loops forever fails, it does not hang.

``call_with_time_limit(function, seconds)`` runs ``function()`` and raises ``CheckTimeout``
when it runs longer than ``seconds``; ``time_limit(seconds)`` limits a ``with`` block the same
way. The message names the student's method that was running (``Slow.backward timed out
after 5 s``), read from where the timeout interrupted it.

Why these mechanisms (the choice matters, a Python loop cannot be stopped from outside at
will):

- In a process's main thread, ``signal.setitimer`` and ``SIGALRM``, as the class grader's
  worker (``worker``) has always limited each check: the handler raises inside whatever
  Python code runs, and the signal also ends a ``time.sleep``. A timer the caller had set
  (pytest-timeout, an outer limit) is put back afterwards with what was left of it.
- In any other thread (a notebook's worker thread, a test runner's thread, a web app) signals
  cannot be used: the function runs in a helper thread, which receives ``CheckTimeout``
  asynchronously at the limit (``PyThreadState_SetAsyncExc``, CPython's way to raise in
  another thread: it lands at the next Python bytecode, so any Python loop stops). The
  caller waits at most ``seconds + GRACE`` for it, so it never hangs, even when the student's
  code is stuck inside one C call (a huge numpy product, ``time.sleep``): that thread is then
  left to finish in the background (a daemon thread) and the check fails saying so.
- Not a process per check (the class grader puts each *student* in one): the class under
  test may be defined in a notebook cell or a test function, which a new process cannot
  import or unpickle; ``fork`` is unsafe in a process with threads (and deprecated there
  since Python 3.12); and a process per check costs more than most checks take.

``CheckTimeout`` derives from ``BaseException``, so a student's ``except Exception:`` does
not swallow it; the timer fires again every ``REPEAT`` seconds until the block ends, so one
swallowed by a bare ``except:`` comes back.
"""
import contextlib
import ctypes
import signal
import threading
import time
from pathlib import Path

__all__ = ["CheckTimeout", "time_limit", "call_with_time_limit", "running_method", "DEFAULT_TIMEOUT", "GRACE",
           "REPEAT"]

#: seconds each check of ``check_layer`` and ``check_objective`` may run by default: a
#: correct class's slowest check takes about 0.2 s on a busy machine
DEFAULT_TIMEOUT = 5.0
#: seconds the caller of ``call_with_time_limit`` waits, past the limit, for a helper thread
#: to stop before leaving it behind
GRACE = 1.0
#: seconds between two ``CheckTimeout`` raised in a block that swallowed the first
REPEAT = 0.25

_PACKAGE = str(Path(__file__).resolve().parents[1])


class CheckTimeout(BaseException):
    """Raised inside code that ran past its time limit (``time_limit``,
    ``call_with_time_limit``). ``str()`` says what timed out and after how long, e.g.
    ``'Slow.backward timed out after 5 s'``. A ``BaseException``: a student's ``except
    Exception`` does not stop it."""


def _is_graphnn(frame):
    return frame.f_code.co_filename.startswith(_PACKAGE)


def _wraps_graphnn(traceback):
    """Whether the frame of ``traceback``, outside graphnn, belongs to a wrapper put around one
    of graphnn's functions (a decorator, a profiler's or a mutation tester's trampoline): plain
    functions (no ``self`` or ``cls``) outside graphnn, one calling the next, the last calling
    straight into graphnn's code again. Such frames say nothing about the student's code."""
    while traceback is not None and not _is_graphnn(traceback.tb_frame):
        if _owner(traceback.tb_frame) is not None:
            return False
        traceback = traceback.tb_next
    return traceback is not None


def _owner(frame):
    return frame.f_locals.get("self", frame.f_locals.get("cls"))


def _method_name(frame):
    owner = _owner(frame)
    if owner is None:
        return frame.f_code.co_name, None
    cls = owner if isinstance(owner, type) else type(owner)
    return f"{cls.__name__}.{frame.f_code.co_name}", owner


def running_method(traceback):
    """``'Class.method'`` (or ``'function'``) of the student's code a ``traceback`` passed
    through: the first frame outside graphnn entered from graphnn's checks (the method a
    check called), followed by ``' (in Class.other)'`` when it was inside another method of
    the same object then; ``None`` when it passed through graphnn's code only."""
    inside, entry, owner, innermost = False, None, None, None
    while traceback is not None:
        frame = traceback.tb_frame
        if _is_graphnn(frame) and entry is None:
            inside = True
        elif inside and entry is None and _wraps_graphnn(traceback):
            pass  # a decorator's or a tool's wrapper around graphnn's own function, not the student's method
        elif inside and entry is None:
            name, owner = _method_name(frame)
            if owner is not None or not name.startswith("<"):  # a factory's lambda: what it calls says more
                entry = name
        elif entry is not None and owner is not None and frame.f_locals.get("self") is owner:
            innermost = _method_name(frame)[0]
        traceback = traceback.tb_next
    if entry is not None and innermost not in (None, entry):
        return f"{entry} (in {innermost})"
    return entry


def _message(seconds, err):
    what = running_method(err.__traceback__) if err is not None else None
    return f"{what + ' ' if what else ''}timed out after {seconds:g} s"


def _usable_signal():
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _alarm(seconds):
    def expire(signum, frame):
        raise CheckTimeout()

    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # an outer timer: re-armed with what is left of it (at once if it is past)
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3))


def _raise_in(thread_id, exception):
    """Raise ``exception`` (a class) in the thread ``thread_id`` at its next bytecode; ``None``
    takes back one not raised yet. False where CPython's API is missing."""
    api = getattr(getattr(ctypes, "pythonapi", None), "PyThreadState_SetAsyncExc", None)
    if api is None:
        return False
    api(ctypes.c_ulong(thread_id), None if exception is None else ctypes.py_object(exception))
    return True


@contextlib.contextmanager
def _async_alarm(seconds):
    """The block's thread receives ``CheckTimeout`` at the limit, and every ``REPEAT`` seconds
    after, until the block ends; one not delivered by then is taken back."""
    target, lock, done = threading.get_ident(), threading.Lock(), threading.Event()

    def watch():
        delay = seconds
        while not done.wait(delay):
            with lock:
                if done.is_set():
                    return
                _raise_in(target, CheckTimeout)
            delay = REPEAT

    watchdog = threading.Thread(target=watch, name="graphnn-time-limit", daemon=True)
    watchdog.start()
    try:
        yield
    finally:
        with lock:
            done.set()
            _raise_in(target, None)  # one sent but not yet delivered must not fire after the block


@contextlib.contextmanager
def time_limit(seconds):
    """Raise ``CheckTimeout`` in the ``with`` block when it runs more than ``seconds`` (a
    float; ``None`` or 0: no limit), with a message naming the student's method that was
    running. ``SIGALRM`` in a process's main thread; elsewhere an asynchronous exception,
    which stops Python code but cannot end a single long C call (``call_with_time_limit``
    never waits for one)."""
    if not seconds:
        yield
        return
    alarm = _alarm if _usable_signal() else _async_alarm
    try:
        with alarm(seconds):
            yield
    except CheckTimeout as err:
        if err.args:  # an inner limit's, already worded
            raise
        raise CheckTimeout(_message(seconds, err)).with_traceback(err.__traceback__) from None


def call_with_time_limit(function, seconds):
    """``function()``, or ``CheckTimeout`` once it has run ``seconds`` (``None`` or 0: no
    limit). In a process's main thread it runs there under ``time_limit``; in another thread
    it runs in a helper thread under ``time_limit``, and the caller waits at most ``seconds +
    GRACE``: a function stuck in C code is left running in the background, and the caller
    gets a ``CheckTimeout`` saying so. Whatever ``function`` raises is raised here."""
    if not seconds or _usable_signal():
        with time_limit(seconds):
            return function()
    outcome = {}

    def run():
        try:
            with time_limit(seconds):
                outcome["value"] = function()
        except BaseException as err:  # noqa: handed to the caller, whatever it is
            outcome["error"] = err

    helper = threading.Thread(target=run, name="graphnn-check", daemon=True)
    helper.start()
    helper.join(seconds + GRACE)
    if helper.is_alive():
        raise CheckTimeout(f"timed out after {seconds:g} s, stuck outside Python code (a long numpy or C call); "
                           "it is left running in the background")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
