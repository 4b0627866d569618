"""One student's grading, in a process of its own: ``python -m graphnn.grading.worker FOLDER
RESULT --config JSON``.

Run by the class grader (``classgrade``) in a temporary copy of the student's folder. It limits
its own memory first, puts the folders holding the student's files on ``sys.path`` (so that
``from Layer import Layer`` works as it did for the student), imports each class's file with
a time limit, runs ``check_layer`` or ``check_objective`` on the class with a time limit per
check, and writes ``RESULT`` (JSON) after every class, so that what was graded survives a
student who ends the process (``os._exit``) or runs out of time. Whatever the student's code
prints goes to this process's stdout and stderr, which the grader captures; the result file
is written apart from them.
"""
import argparse
import importlib
import json
import os
import sys
import traceback
from pathlib import Path

__all__ = ["main", "grade_folder", "import_class", "write_json", "limit_memory", "limit_cpu"]


def limit_cpu(seconds):
    """Let the kernel end this process after ``seconds`` of CPU time (``RLIMIT_CPU``), a net
    under the grader's own time limit should the grader itself be stopped."""
    if not seconds:
        return
    try:
        import resource
    except ImportError:
        return
    resource.setrlimit(resource.RLIMIT_CPU, (int(seconds), int(seconds) + 5))


def limit_memory(megabytes):
    """Limit this process's address space to ``megabytes`` (``RLIMIT_AS``; no limit for
    ``None`` or 0, or where ``resource`` does not exist)."""
    if not megabytes:
        return
    try:
        import resource
    except ImportError:  # not Unix: no limit
        return
    limit = int(megabytes) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def write_json(path, data):
    """Write ``data`` as JSON to ``path`` through a temporary file renamed over it (a reader
    never sees half a file)."""
    path = Path(path)
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def _short_traceback(err, limit=6):
    lines = traceback.format_exception(type(err), err, err.__traceback__)
    text = "".join(lines[-limit:])
    return text[-2000:]


def import_class(name, path, seconds):
    """``(class, None)`` for class ``name`` of the file ``path`` imported as module ``name``,
    or ``(None, message)`` when the import fails (any exception, ``sys.exit``, a time-out) or
    the file defines no class of that name."""
    from .limits import time_limit
    from .report import describe_error

    try:
        with time_limit(seconds):
            module = importlib.import_module(Path(path).stem)
    except BaseException as err:  # noqa: a student's module may raise anything, SystemExit included
        if isinstance(err, KeyboardInterrupt):
            raise
        return None, f"importing {Path(path).name} raised {describe_error(err)}\n{_short_traceback(err)}"
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        classes = sorted(key for key, value in vars(module).items()
                         if isinstance(value, type) and value.__module__ == module.__name__)
        return None, (f"{Path(path).name} defines no class {name}"
                      f"{' (it defines ' + ', '.join(classes) + ')' if classes else ''}")
    return cls, None


def grade_folder(folder, result_path, config):
    """Grade every class of ``config['classes']`` (default ``discover.SEED_CLASSES``) found in
    ``folder``, an image layer with ``check_layer(input_shape=config['input_shapes'][name])``
    when the rubric gives one; writes ``result_path`` after each and returns the result dict ``{"classes":
    {name: {"status": "checked" | "missing" | "error", "message": ..., "report": ...}}}``."""
    from .discover import SEED_CLASSES, class_kind, find_class_files
    from .layer_checks import check_layer
    from .objective_checks import check_objective
    from .report import describe_error

    classes = {name: class_kind(name) for name in config.get("classes") or SEED_CLASSES}
    files = find_class_files(folder, list(classes))
    for directory in sorted({str(path.parent) for path in files.values() if path}, key=len, reverse=True):
        sys.path.insert(0, directory)
    results = {"classes": {}, "finished": False}
    for name, kind in classes.items():
        path = files[name]
        if path is None:
            entry = {"status": "missing", "message": f"no file {name}.py in the submission"}
        else:
            cls, problem = import_class(name, path, config.get("import_time_limit"))
            if problem:
                entry = {"status": "error", "message": problem}
            else:
                check = check_objective if kind == "objective" else check_layer
                # the rubric's time_limit per check, null for none (the student's own limit still holds)
                options = {"strict": bool(config.get("strict")), "timeout": config.get("time_limit")}
                conventions = (config.get("conventions") or {}).get(name) or None
                shape = (config.get("input_shapes") or {}).get(name)
                if shape and kind == "layer":  # an image layer's (C, H, W); by default read from its kernels
                    options["input_shape"] = tuple(shape)
                try:
                    report = check(cls, conventions=conventions, **options)
                    entry = {"status": "checked", "report": report.to_dict()}
                except BaseException as err:  # noqa: building the class can fail in any way
                    if isinstance(err, KeyboardInterrupt):
                        raise
                    entry = {"status": "error", "message": f"checking {name} raised {describe_error(err)}\n"
                                                           f"{_short_traceback(err)}"}
        results["classes"][name] = entry
        write_json(result_path, results)
    results["finished"] = True
    write_json(result_path, results)
    return results


def main(argv=None):
    """The worker's command line: ``FOLDER RESULT [--config JSON]``. Returns 0."""
    parser = argparse.ArgumentParser(description="grade one student's folder (run by graphnn-grade)")
    parser.add_argument("folder", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--config", default="{}", help="JSON: strict, time_limit, import_time_limit, memory_mb, "
                                                       "student_time_limit, classes, conventions, input_shapes")
    args = parser.parse_args(argv)
    config = json.loads(args.config)
    limit_memory(config.get("memory_mb"))
    limit_cpu(config.get("student_time_limit") and config["student_time_limit"] + 10)
    import warnings
    warnings.simplefilter("ignore")  # a student's warnings are the advice rows' business
    from . import layer_checks, objective_checks  # noqa: F401 -- imported before the student's folder is on sys.path
    # resolved before the move: relative paths are relative to where the worker was started
    folder, result = args.folder.resolve(), args.result.resolve()
    os.chdir(folder)
    grade_folder(folder, result, config)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
