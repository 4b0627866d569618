"""Points and the files a class's grading writes: per student a Gradescope ``results.json``
and an HTML report; for the class a CSV (a row per student, a column per check) and a summary
page.

Points come from a rubric (``load_rubric``): a built-in one per assignment (``ASSIGNMENTS``:
``"seed"``, the ten seed classes, and ``"cnn"``, the convolution assignment) updated with a
small JSON file, every key optional::

    {"points": {"default": 1, "backward vs central differences": 2},
     "classes": {"SoftmaxLayer": {"backward vs central differences": 3}},
     "graded": ["ConvolutionalLayer", "MaxPoolLayer"], "optional": ["ReLULayer"],
     "input_shapes": {"ConvolutionalLayer": [1, 8, 8]},
     "strict": false, "conventions": {"LogLoss": {"eval": "mean over N"}},
     "time_limit": 30, "student_time_limit": 600, "memory_mb": 2048}

``graded`` names the classes every student must hand in; ``optional`` those checked, as
feedback worth no points, for a student whose folder holds them (the seed's classes in a
convolution assignment: the network around the convolution). To count one, name it in
``graded``.
Every check that decides (``report.failed``) is worth ``points[check]`` (else ``default``, 1)
of its class, overridden per class under ``classes``; a check a class needs not (``not
checked: ...``, e.g. an input layer's gradient) earns its points. Advice rows are worth 0
points unless ``strict``. A missing class, or one whose file cannot be imported, earns 0 of
its points. ``input_shapes`` gives an image layer's ``check_layer(input_shape=...)``.
"""
import csv
import html
import json
from pathlib import Path

from .discover import IMAGE_CLASSES, SEED_CLASSES, class_kind
from .layer_checks import LAYER_ADVICE, LAYER_CHECKS
from .objective_checks import OBJECTIVE_ADVICE, OBJECTIVE_CHECKS

__all__ = ["DEFAULT_RUBRIC", "CNN_RUBRIC", "ASSIGNMENTS", "load_rubric", "check_names", "score_student", "gradescope_results",
           "validate_gradescope", "class_entries", "is_feedback", "student_html", "write_class_csv", "summary_html"]

#: the rubric used for every key a rubric file leaves out: the seed's ten classes (assignment 2)
DEFAULT_RUBRIC = {
    "points": {"default": 1},
    "classes": {},
    "graded": list(SEED_CLASSES),
    "optional": [],
    "input_shapes": {},
    "strict": False,
    "conventions": {},
    "time_limit": 30,
    "import_time_limit": 30,
    "student_time_limit": 600,
    "memory_mb": 2048,
}

#: checks an image layer is not asked for: ``gradient()`` is optional for them (the checks say
#: "not checked" and pass), and the seed has no worked numbers for them
_NOT_ASKED_OF_IMAGES = {"gradient() vs central differences": 0, "backward = gradIn x gradient()": 0,
                        "seed's worked numbers": 0}

#: the convolution assignment: its three image layers, 8 + 6 + 6 points, and the seed's classes
#: checked as feedback (no points) for a student who hands them in
CNN_RUBRIC = {
    **DEFAULT_RUBRIC,
    "points": {"default": 1, "backward vs central differences": 2, "parameter gradients": 2,
               "same values as graphnn": 2},
    "classes": {"ConvolutionalLayer": dict(_NOT_ASKED_OF_IMAGES),
                "MaxPoolLayer": {**_NOT_ASKED_OF_IMAGES, "parameter gradients": 0},
                "FlatteningLayer": {**_NOT_ASKED_OF_IMAGES, "parameter gradients": 0}},
    "graded": list(IMAGE_CLASSES),
    "optional": list(SEED_CLASSES),
}

#: the built-in rubrics, by the name ``graphnn-grade --assignment`` takes
ASSIGNMENTS = {"seed": DEFAULT_RUBRIC, "cnn": CNN_RUBRIC}

#: the keys whose dicts a rubric file updates rather than replaces (``classes`` per class)
_MERGED = ("points", "classes", "conventions", "input_shapes")


def load_rubric(path=None, assignment="seed"):
    """The rubric: the built-in one of ``assignment`` (a key of ``ASSIGNMENTS``) updated with
    the JSON file at ``path`` (when given): ``points``, ``classes`` (class by class),
    ``conventions`` and ``input_shapes`` are updated, the other keys replaced. ``ValueError``
    naming the file for a key it does not know or a file that is not JSON, or naming the
    assignments for an unknown one."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}")
    rubric = json.loads(json.dumps(ASSIGNMENTS[assignment]))
    if path is None:
        return rubric
    try:
        given = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"rubric {path}: not JSON ({err})") from None
    unknown = sorted(set(given) - set(DEFAULT_RUBRIC))
    if unknown:
        raise ValueError(f"rubric {path}: unknown keys {', '.join(unknown)}; known: {', '.join(DEFAULT_RUBRIC)}")
    for key, value in given.items():
        if key == "classes" and isinstance(value, dict):
            for name, points in value.items():
                rubric[key].setdefault(name, {}).update(points)
        elif key in _MERGED and isinstance(value, dict):
            rubric[key].update(value)
        else:
            rubric[key] = value
    return rubric


def check_names(class_name):
    """``[(check name, advice?)]`` for the class called ``class_name``, in the order they run."""
    objective = class_kind(class_name) == "objective"
    checks, advice = (OBJECTIVE_CHECKS, OBJECTIVE_ADVICE) if objective else (LAYER_CHECKS, LAYER_ADVICE)
    return [(name, name in advice) for name, _ in checks]


def is_feedback(rubric, class_name):
    """True when ``class_name`` is checked but worth no points: optional, not graded."""
    return class_name in (rubric.get("optional") or []) and class_name not in (rubric.get("graded") or [])


def _points(rubric, class_name, check, advice):
    if (advice and not rubric.get("strict")) or is_feedback(rubric, class_name):
        return 0.0
    own = rubric.get("classes", {}).get(class_name, {})
    return float(own.get(check, rubric["points"].get(check, rubric["points"].get("default", 1))))


def class_entries(result):
    """``[(class, entry)]`` of one student's ``result``: every class the grader asked for
    (``result['graded']``), in its order, those the worker did not reach (a time-out, a crash)
    with an empty entry, then any other class the worker wrote."""
    classes = result.get("classes", {})
    names = list(result.get("graded") or []) + [name for name in classes if name not in (result.get("graded") or [])]
    return [(name, classes.get(name, {})) for name in names]


def score_student(result, rubric):
    """``(score, max_score, rows)`` for one student's ``result`` (what ``classgrade`` collected):
    ``rows`` is ``[(class, check, points earned, points, status, output)]`` with status
    ``'passed'``, ``'failed'`` or ``'advice'`` (an advice row that failed, worth nothing)."""
    rows = []
    for class_name, entry in class_entries(result):
        report_rows = {row["name"]: row for row in (entry.get("report") or {}).get("rows", [])}
        for check, advice in check_names(class_name):
            points = _points(rubric, class_name, check, advice)
            row = report_rows.get(check)
            if row is None:
                message = entry.get("message") or result.get("problem") or "not graded"
                rows.append((class_name, check, 0.0, points, "failed", message))
                continue
            output = row["numbers"] + (f"\ninput: {row['failing_input']}" if row.get("failing_input") else "") + \
                (f"\nhint: {row['hint']}" if row.get("hint") else "")
            lenient = (advice and not rubric.get("strict")) or is_feedback(rubric, class_name)
            status = "passed" if row["passed"] else ("advice" if lenient else "failed")
            rows.append((class_name, check, points if row["passed"] else 0.0, points, status, output))
    return sum(r[2] for r in rows), sum(r[3] for r in rows), rows


def gradescope_results(result, rubric):
    """Gradescope's ``results.json`` for one student: ``score``, ``output``, ``visibility``,
    ``stdout_visibility`` and ``tests`` (one per class and check, each with ``name``,
    ``score``, ``max_score``, ``status``, ``output``, ``visibility``)."""
    score, max_score, rows = score_student(result, rubric)
    tests = [{"name": f"{class_name}: {check}", "score": earned, "max_score": points,
              "status": "passed" if status == "passed" else "failed", "output": output,
              "visibility": "visible"} for class_name, check, earned, points, status, output in rows]
    notes = [f"{score:g} of {max_score:g} points."]
    if result.get("problem"):
        notes.append(result["problem"])
    for name, entry in class_entries(result):
        conventions = (entry.get("report") or {}).get("conventions")
        if conventions:
            notes.append(f"{name}: " + ", ".join(f"{what} {value}" for what, value in conventions.items()))
        notes += [f"{name}: {note}" for note in (entry.get("report") or {}).get("notes", [])]
    return {"score": score, "output": "\n".join(notes), "execution_time": round(result.get("seconds", 0.0), 2),
            "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def validate_gradescope(results):
    """Raise ``ValueError`` unless ``results`` follows Gradescope's published ``results.json``
    format (the keys and types used here): a numeric ``score``; ``tests`` a list of objects
    with a string ``name``, numeric ``score`` and ``max_score``, ``status`` ``'passed'`` or
    ``'failed'``, a string ``output``; visibilities among ``hidden``, ``after_due_date``,
    ``after_published``, ``visible``."""
    visibilities = {"hidden", "after_due_date", "after_published", "visible"}
    allowed_top = {"score", "execution_time", "output", "output_format", "test_output_format",
                   "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
    allowed_test = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
                    "tags", "visibility", "extra_data"}
    problems = [f"unknown key {key!r}" for key in results if key not in allowed_top]
    if not isinstance(results.get("score"), (int, float)):
        problems.append("score is not a number")
    for key in ("visibility", "stdout_visibility"):
        if key in results and results[key] not in visibilities:
            problems.append(f"{key} {results[key]!r}")
    for i, test in enumerate(results.get("tests", [])):
        problems += [f"test {i}: unknown key {key!r}" for key in test if key not in allowed_test]
        if not isinstance(test.get("name"), str) or not isinstance(test.get("output", ""), str):
            problems.append(f"test {i}: name and output are strings")
        if not all(isinstance(test.get(key), (int, float)) for key in ("score", "max_score")):
            problems.append(f"test {i}: score and max_score are numbers")
        if test.get("status") not in (None, "passed", "failed"):
            problems.append(f"test {i}: status {test.get('status')!r}")
        if test.get("visibility", "visible") not in visibilities:
            problems.append(f"test {i}: visibility {test.get('visibility')!r}")
    if problems:
        raise ValueError("results.json: " + "; ".join(problems))


_STYLE = ("body{font-family:sans-serif;margin:2em;max-width:75em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
          "td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}td:first-child{white-space:nowrap}"
          ".passed{background:#e6f4ea}.failed{background:#fce8e6}.advice{background:#fef7e0}"
          "pre{white-space:pre-wrap;margin:0;font-size:90%}pre.message{padding:.5em;margin:.5em 0}"
          ".unscored td{color:#555}td.number{text-align:right}")


def _page(title, body):
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>\n")


def student_html(name, result, rubric):
    """The HTML report of one student: the score, any problem (time-out, crash), and per class
    a table of its checks with the numbers, the smallest failing input and the hint."""
    score, max_score, rows = score_student(result, rubric)
    parts = [f"<h1>{html.escape(name)}: {score:g} / {max_score:g}</h1>"]
    if result.get("problem"):
        parts.append(f"<p class='failed'><b>{html.escape(result['problem'])}</b></p>")
    for class_name, entry in class_entries(result):
        feedback = " <small>(feedback, not counted in the score)</small>" if is_feedback(rubric, class_name) else ""
        parts.append(f"<h2>{html.escape(class_name)}{feedback}</h2>")
        said = entry.get("message") or ("" if entry else result.get("problem") or "not graded")
        if said:
            parts.append(f"<pre class='failed message'>{html.escape(said)}</pre>")
        conventions = (entry.get("report") or {}).get("conventions")
        if conventions:
            parts.append("<p>conventions: " + html.escape(", ".join(f"{k}: {v}" for k, v in conventions.items())) + "</p>")
        parts += [f"<p>note: {html.escape(note)}</p>" for note in (entry.get("report") or {}).get("notes", [])]
        parts.append("<table><tr><th>check</th><th>points</th><th>result</th></tr>")
        for row_class, check, earned, points, status, output in rows:
            if row_class == class_name:
                shown = "(see above)" if said and output == said else output  # once is enough
                kind = f"{status} unscored" if points == 0 else status
                parts.append(f"<tr class='{kind}'><td>{html.escape(check)}</td><td>{earned:g} / {points:g}</td>"
                             f"<td><pre>{html.escape(shown)}</pre></td></tr>")
        parts.append("</table>")
    for stream in ("stdout", "stderr"):
        if result.get(stream):
            parts.append(f"<h2>{stream} ({result.get(stream + '_bytes', 0)} bytes; the start)</h2>"
                         f"<pre>{html.escape(result[stream])}</pre>")
    return _page(f"{name}: grading", "".join(parts))


def write_class_csv(path, graded, rubric):
    """The class's CSV at ``path``: a row per student (``graded``: ``[(name, result)]``),
    columns ``student``, ``score``, ``max_score``, ``problem`` and one per class and check
    (the points earned)."""
    columns, table = [], []
    for name, result in graded:
        score, max_score, rows = score_student(result, rubric)
        record = {"student": name, "score": score, "max_score": max_score, "problem": result.get("problem", "")}
        for class_name, check, earned, _, _, _ in rows:
            column = f"{class_name}: {check}"
            if column not in columns:
                columns.append(column)
            record[column] = earned
        table.append(record)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["student", "score", "max_score", "problem"] + columns)
        writer.writeheader()
        writer.writerows(table)


def _why_ungraded(entry):
    """Why a class earned none of its points, in a few words (the report has the rest)."""
    if entry.get("status") == "missing":
        return "no file"
    if entry.get("status") == "error":
        return "its class could not be built" if entry.get("message", "").startswith("checking") \
            else "does not import"
    return "not reached"


def summary_html(graded, rubric, seconds=None):
    """The class's summary page: the classes graded, each student's score, classes not
    graded (a missing file, an import that failed) and problem, linked to their report, and
    how many students passed each check, with its points."""
    parts = [f"<h1>Class grading: {len(graded)} students</h1>"]
    required = list(rubric.get("graded") or [])
    extra = {}  # the classes beyond the required ones, and how many students handed each in
    for _, result in graded:
        for class_name, _ in class_entries(result):
            if class_name not in required:
                extra[class_name] = extra.get(class_name, 0) + 1
    if required:
        parts.append(f"<p>classes graded: {html.escape(', '.join(required))}</p>")
    if extra:
        listed = ", ".join(f"{name} ({count} of {len(graded)})" for name, count in extra.items())
        parts.append(f"<p>also checked where handed in, for no points: {html.escape(listed)}</p>")
    if seconds is not None:
        parts.append(f"<p>graded in {seconds:.1f} s</p>")
    parts.append("<table><tr><th>student</th><th>score</th><th>classes not graded</th><th>problem</th></tr>")
    passes = {}
    for name, result in graded:
        score, max_score, rows = score_student(result, rubric)
        link = html.escape(f"{name}/report.html", quote=True)
        lost = ", ".join(f"{class_name} ({_why_ungraded(entry)})"
                         for class_name, entry in class_entries(result) if entry.get("status") != "checked")
        parts.append(f"<tr><td><a href='{link}'>{html.escape(name)}</a></td>"
                     f"<td class='number'>{score:g} / {max_score:g}</td><td>{html.escape(lost)}</td>"
                     f"<td>{html.escape(result.get('problem', ''))}</td></tr>")
        for class_name, check, _, points, status, _ in rows:
            counts = passes.setdefault(f"{class_name}: {check}", [0, 0, points])
            counts[0] += status == "passed"
            counts[1] += 1
    parts.append("</table><h2>Checks</h2><table><tr><th>check</th><th>points</th><th>students passing</th></tr>")
    for check, (passed, total, points) in passes.items():
        kind = " class='unscored'" if points == 0 else ""
        parts.append(f"<tr{kind}><td>{html.escape(check)}</td><td class='number'>{points:g}</td>"
                     f"<td class='number'>{passed} / {total}</td></tr>")
    parts.append("</table>")
    return _page("Class grading", "".join(parts))
