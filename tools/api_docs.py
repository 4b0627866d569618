"""Write docs/api.md, graphnn's API reference, from the docstrings.

    python tools/api_docs.py            # (re)writes docs/api.md and says what it wrote
    python tools/api_docs.py --check    # writes nothing; exit 1 if docs/api.md is stale

"Public" is: the names in ``graphnn.__all__``, plus the names without a leading underscore
that the public submodules (``PUBLIC_MODULES``) define themselves -- classes, functions and
module-level constants -- and, on each class, the methods and properties without a leading
underscore that the class itself defines. Every one of them must have its own docstring
(constants: ``#:`` comment lines right above the assignment); otherwise the script refuses
to write, naming each undocumented entry, so the reference never shows an empty one.

``SECTIONS`` puts every public object in one section, in reading order. An object that is
public but in no section (or listed but no longer public) is an error too: a new public
function has to be given its place here.

The docstrings are reST-flavoured; ``markdown_from_docstring`` turns ``double backticks``,
``text::`` literal blocks and ``>>>`` examples into Markdown that reads well on GitHub.
The output depends on nothing but the code: no addresses, no dict order of the interpreter,
no platform (defaults such as ``numpy.float64`` or a ``Path`` are spelt out stably).
"""
import argparse
import ast
import dataclasses
import importlib
import inspect
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "docs" / "api.md"
COMMAND = "python tools/api_docs.py"

# Document the checkout this script sits in, not whichever graphnn happens to be installed.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import graphnn  # noqa: E402  (after the path fix above)
import numpy as np  # noqa: E402

PUBLIC_MODULES = (
    "graphnn.graph", "graphnn.parameter", "graphnn.gradcheck", "graphnn.render",
    "graphnn.training", "graphnn.optim", "graphnn.plotting", "graphnn.persistence",
    "graphnn.profiler", "graphnn.datasets", "graphnn.summarize",
)

#: (title, modules whose docstrings introduce the section, objects in reading order).
#: Objects are named as users import them: ``graphnn.X`` for the names in ``graphnn.__all__``.
SECTIONS = (
    ("Graph", ("graphnn.graph",), (
        "graphnn.Graph", "graphnn.graph.INPUT", "graphnn.graph.LAYER", "graphnn.graph.OBJECTIVE",
    )),
    ("Layers", ("graphnn.layers", "graphnn.parameter"), (
        "graphnn.Layer", "graphnn.ElementwiseLayer", "graphnn.InputLayer",
        "graphnn.FullyConnectedLayer", "graphnn.LinearLayer", "graphnn.ReLULayer",
        "graphnn.LogisticSigmoidLayer", "graphnn.TanhLayer", "graphnn.SoftmaxLayer",
        "graphnn.AddLayer", "graphnn.ConcatLayer", "graphnn.Parameter",
    )),
    ("Objectives", ("graphnn.objectives",), (
        "graphnn.Objective", "graphnn.SquaredError", "graphnn.LogLoss", "graphnn.CrossEntropy",
    )),
    ("Checking gradients", ("graphnn.gradcheck",), (
        "graphnn.gradcheck.gradcheck", "graphnn.gradcheck.GradcheckReport",
        "graphnn.gradcheck.numerical_gradient", "graphnn.gradcheck.relative_error",
        "graphnn.gradcheck.noise_floor", "graphnn.gradcheck.DEFAULT_EPS",
        "graphnn.gradcheck.DEFAULT_TOLERANCE", "graphnn.gradcheck.ROUNDING_UNITS",
    )),
    ("Drawing", ("graphnn.render",), (
        "graphnn.render.render", "graphnn.render.to_dot", "graphnn.render.network_diagram",
        "graphnn.render.gradient_diagram", "graphnn.render.format_number",
        "graphnn.render.VIEWS", "graphnn.render.RANKDIRS", "graphnn.render.SOURCE_FORMATS",
        "graphnn.render.IMAGE_FORMATS", "graphnn.render.VANISHING", "graphnn.render.EXPLODING",
        "graphnn.render.LOG_MIN", "graphnn.render.LOG_MAX", "graphnn.render.LEGEND_NODE",
        "graphnn.render.format_mean",
        "graphnn.render.Diagram", "graphnn.render.graph_repr", "graphnn.render.graph_svg",
        "graphnn.render.graph_mimebundle",
    )),
    ("Summary", ("graphnn.summarize",), (
        "graphnn.summary", "graphnn.summarize.Summary", "graphnn.summarize.Row",
    )),
    ("Training and optimizers", ("graphnn.training", "graphnn.optim", "graphnn.plotting"), (
        "graphnn.fit", "graphnn.predict", "graphnn.evaluate", "graphnn.History",
        "graphnn.training.train_validation_split", "graphnn.optim.Optimizer", "graphnn.SGD",
        "graphnn.Adam", "graphnn.plot_history",
    )),
    ("Saving", ("graphnn.persistence",), (
        "graphnn.save_parameters", "graphnn.load_parameters", "graphnn.persistence.parameter_keys",
    )),
    ("Profiling", ("graphnn.profiler",), (
        "graphnn.profile", "graphnn.Profile", "graphnn.profiler.NodeProfile",
        "graphnn.profiler.format_seconds", "graphnn.profiler.format_bytes",
    )),
    ("Data", ("graphnn.datasets",), (
        "graphnn.load_kidcreative", "graphnn.datasets.KIDCREATIVE_FEATURES",
        "graphnn.datasets.KIDCREATIVE_COLUMNS", "graphnn.datasets.kidcreative_path",
    )),
    ("Errors", (), (
        "graphnn.GraphError", "graphnn.render.RenderError",
        "graphnn.persistence.ParameterFileError", "graphnn.DatasetError",
    )),
)

ERRORS_INTRO = (
    "The exceptions graphnn defines. Each says what went wrong and, where it can, how to fix "
    "it; all but `RenderError` are `ValueError`s, so code that catches `ValueError` for bad "
    "input catches them too. Bad arrays handed to a layer or an objective raise a plain "
    "`ValueError` naming the layer and the shapes ([conventions.md](conventions.md))."
)

WIDTH = 88  # code lines longer than this are wrapped


class ApiDocsError(Exception):
    """The reference cannot be generated as it stands (message says why and what to do)."""


# ---------------------------------------------------------------------------- what is public
@dataclasses.dataclass
class Constant:
    """A module-level constant; ``doc`` comes from the ``#:`` comment lines above it."""

    name: str
    value: object
    doc: str


@dataclasses.dataclass
class Entry:
    """One documented thing: a class, function, constant, method or property."""

    name: str       # as users reach it: graphnn.Graph, Graph.forward
    kind: str       # "class", "function", "constant", "method" or "property"
    signature: str  # the code line(s) shown under the heading ('' for properties)
    doc: str        # the cleaned docstring ('' when missing)
    members: list = dataclasses.field(default_factory=list)  # a class's methods and properties


def public_objects():
    """``{display name: object}`` for every public class, function and constant."""
    objects = {}
    for name in graphnn.__all__:
        if not name.startswith("__"):  # __version__ is metadata, not API
            objects[f"graphnn.{name}"] = getattr(graphnn, name)
    exported = {id(obj) for obj in objects.values()}  # listed once, under graphnn.X
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            defined_here = getattr(obj, "__module__", None) == module_name
            if (not name.startswith("_") and defined_here and id(obj) not in exported
                    and (inspect.isclass(obj) or inspect.isfunction(obj))):
                objects[f"{module_name}.{name}"] = obj
        for constant in module_constants(module):
            objects[f"{module_name}.{constant.name}"] = constant
    return objects


def module_constants(module):
    """The public names a module assigns at top level, with their ``#:`` comments."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    for statement in ast.parse(source).body:
        for name in assigned_names(statement):
            if not name.startswith("_"):
                yield Constant(name, getattr(module, name), comment_above(lines, statement.lineno - 1))


def assigned_names(statement):
    """The names a statement assigns: ``A = ...``, ``A, B = ...``, ``A: int = ...``."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign):
        targets = [statement.target]
    else:
        return []
    return [node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)]


def as_sentence(text):
    """``#:`` comments are written as fragments ("the step for ..."); the reference shows
    them as sentences."""
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def comment_above(lines, index):
    """The text of the ``#:`` lines directly above line ``index`` (0-based)."""
    comment = []
    while index > 0 and lines[index - 1].lstrip().startswith("#:"):
        index -= 1
        comment.insert(0, lines[index].lstrip()[2:].strip())
    return "\n".join(comment)


def own_doc(obj):
    """The object's own docstring, cleaned; '' when it has none (nothing inherited)."""
    if isinstance(obj, Constant):
        return obj.doc
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if doc and doc.strip() else ""


def public_members(cls):
    """``(name, attribute)`` for the methods and properties ``cls`` itself defines."""
    for name, attribute in vars(cls).items():
        is_member = inspect.isfunction(attribute) or isinstance(attribute, (property, classmethod, staticmethod))
        if is_member and not name.startswith("_"):
            yield name, attribute


# ---------------------------------------------------------------------------- stable text
class _Verbatim:
    """Stands in for a default value: ``repr`` is the stable text chosen for it."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def stable_repr(value):
    """``repr(value)``, except where that would depend on the platform, the numpy version,
    the interpreter's hashing or a memory address."""
    if inspect.isclass(value) or inspect.isfunction(value) or inspect.isbuiltin(value):
        return f"{value.__module__}.{value.__qualname__}"  # numpy.float64, not <class ...>
    if isinstance(value, Path):
        return f"Path({value.as_posix()!r})"  # not PosixPath / WindowsPath
    if isinstance(value, np.generic):
        return repr(value.item())  # numpy 2 would print np.float64(...)
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(map(stable_repr, value))) + "}"  # hash order varies
    if isinstance(value, (tuple, list)):
        items = [stable_repr(item) for item in value]
        if isinstance(value, tuple):
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return f"[{', '.join(items)}]"
    text = repr(value)
    if re.search(r" at 0x[0-9a-fA-F]+", text):
        raise ApiDocsError(
            f"{text} has no stable text (a memory address); teach stable_repr in "
            "tools/api_docs.py how to write it"
        )
    return text


def wrapped(opening, items, closing):
    """``opening + ', '.join(items) + closing``, or, when longer than ``WIDTH``, the items
    packed onto indented lines between ``opening`` and ``closing``."""
    line = f"{opening}{', '.join(items)}{closing}"
    if len(line) <= WIDTH:
        return line
    lines, current = [], ""
    for item in items:
        candidate = f"{current} {item}," if current else f"    {item},"
        if len(candidate) > WIDTH and current:
            lines.append(current)
            candidate = f"    {item},"
        current = candidate
    lines.append(current)
    return "\n".join([opening, *lines, closing])


def signature_items(signature):
    """The parameters as text, with ``/`` and ``*`` where Python puts them, defaults made
    stable (see ``stable_repr``)."""
    items, kinds = [], inspect.Parameter
    previous = None
    for parameter in signature.parameters.values():
        if previous == kinds.POSITIONAL_ONLY and parameter.kind != previous:
            items.append("/")
        if parameter.kind == kinds.KEYWORD_ONLY and previous not in (kinds.KEYWORD_ONLY, kinds.VAR_POSITIONAL):
            items.append("*")
        if parameter.default is not parameter.empty:
            parameter = parameter.replace(default=_Verbatim(stable_repr(parameter.default)))
        items.append(str(parameter))
        previous = parameter.kind
    if previous == kinds.POSITIONAL_ONLY:
        items.append("/")
    return items


def call_signature(name, function, drop_self=False):
    signature = inspect.signature(function)
    if drop_self:
        signature = signature.replace(parameters=list(signature.parameters.values())[1:])
    return wrapped(f"{name}(", signature_items(signature), ")")


def class_signature(name, cls):
    if issubclass(cls, BaseException):  # called like the built-in exception it extends
        return f"class {name}({', '.join(base.__name__ for base in cls.__bases__)})"
    return "class " + call_signature(name, cls)


def constant_signature(name, value):
    if isinstance(value, (tuple, list)) and len(value) > 1:
        opening, closing = ("(", ")") if isinstance(value, tuple) else ("[", "]")
        return wrapped(f"{name} = {opening}", [stable_repr(item) for item in value], closing)
    return f"{name} = {stable_repr(value)}"


# ---------------------------------------------------------------------------- entries
def entry_for(display_name, obj):
    short = display_name.rsplit(".", 1)[1]
    if isinstance(obj, Constant):
        return Entry(display_name, "constant", constant_signature(short, obj.value), as_sentence(obj.doc))
    if inspect.isclass(obj):
        doc = own_doc(obj)
        # A constructor's docstring (Graph's explains `fuse`) follows the class's, but does
        # not stand in for a missing one.
        if doc and "__init__" in vars(obj):
            doc = "\n\n".join(filter(None, [doc, own_doc(vars(obj)["__init__"])]))
        members = [member_entry(obj, name, attribute) for name, attribute in public_members(obj)]
        return Entry(display_name, "class", class_signature(short, obj), doc, members)
    return Entry(display_name, "function", call_signature(short, obj), own_doc(obj))


def member_entry(cls, name, attribute):
    qualified = f"{cls.__name__}.{name}"
    if isinstance(attribute, property):
        return Entry(qualified, "property", "", own_doc(attribute))
    if isinstance(attribute, classmethod):
        signature = call_signature(qualified, getattr(cls, name))  # bound: no cls
        return Entry(qualified, "method", f"@classmethod\n{signature}", own_doc(attribute.__func__))
    if isinstance(attribute, staticmethod):
        return Entry(qualified, "method", call_signature(qualified, attribute.__func__), own_doc(attribute.__func__))
    return Entry(qualified, "method", call_signature(qualified, attribute, drop_self=True), own_doc(attribute))


def sections():
    """``[(title, intro markdown, [Entry])]`` in reading order; raises ``ApiDocsError`` if an
    object is public but placed nowhere, placed but not public, or anything is undocumented."""
    objects = public_objects()
    placed = [name for _, _, names in SECTIONS for name in names]
    unplaced = [name for name in objects if name not in placed]
    unknown = [name for name in placed if name not in objects]
    if unplaced or unknown:
        raise ApiDocsError(
            "SECTIONS in tools/api_docs.py does not match the public API: "
            + "; ".join(filter(None, [
                unplaced and f"public but in no section: {', '.join(unplaced)}",
                unknown and f"in a section but not public: {', '.join(unknown)}",
            ]))
        )
    result = []
    for title, modules, names in SECTIONS:
        intro = [own_doc(importlib.import_module(module)) for module in modules] or [ERRORS_INTRO]
        result.append((title, intro, [entry_for(name, objects[name]) for name in names]))
    undocumented = [entry.name for _, _, entries in result for entry in with_members(entries) if not entry.doc]
    if undocumented:
        raise ApiDocsError(
            f"{len(undocumented)} public object(s) without a docstring:\n"
            + "\n".join(f"  {name}" for name in undocumented)
        )
    return result


def with_members(entries):
    """Each entry, followed by its methods and properties."""
    for entry in entries:
        yield entry
        yield from entry.members


def documented_entries():
    """Every public object and method as ``(name, docstring)``, documented or not (for tests)."""
    entries = [entry_for(name, obj) for name, obj in public_objects().items()]
    return [(entry.name, entry.doc) for entry in with_members(entries)]


# ---------------------------------------------------------------------------- Markdown
def markdown_from_docstring(doc):
    """Markdown for a reST-flavoured docstring: ``x`` -> `x`, ``text::`` plus an indented
    block -> ``text:`` plus a fenced block, ``>>>`` examples -> a fenced ``pycon`` block."""
    lines, out, prose, i = doc.splitlines(), [], [], 0

    def flush_prose():
        # Prose is converted a paragraph run at a time: inline code may span a line break.
        out.extend(inline_markdown(prose))
        prose.clear()

    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>"):
            flush_prose()
            block, i = take_while(lines, i, lambda text: text.strip() != "")
            out.extend(fenced("pycon", block))
        elif line.rstrip().endswith("::"):
            lead = line.rstrip()[:-2].rstrip()  # "Usage::" -> "Usage:"; a bare "::" vanishes
            if lead:
                prose.append(lead + ":")
            flush_prose()
            indent = indented(line)
            block, i = take_while(lines, i + 1, lambda text: not text.strip() or indented(text) > indent)
            out.extend(["", *fenced("", block)])
        else:
            prose.append(line)
            i += 1
    flush_prose()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out).strip())  # one blank line between blocks


def take_while(lines, start, keep):
    """The lines from ``start`` on while ``keep(line)``, and the index after them."""
    end = start
    while end < len(lines) and keep(lines[end]):
        end += 1
    return lines[start:end], end


def indented(text):
    return len(text) - len(text.lstrip())


def fenced(language, block):
    """A fenced code block (dedented, without surrounding blank lines), then a blank line."""
    while block and not block[-1].strip():
        block = block[:-1]
    while block and not block[0].strip():
        block = block[1:]
    margin = min(indented(line) for line in block if line.strip())
    return [f"```{language}", *(line[margin:] for line in block), "```", ""]


def inline_markdown(lines):
    """The lines with ``x`` turned into `x`, also where ``x`` runs across a line break."""
    return re.sub(r"``(.+?)``", r"`\1`", "\n".join(lines), flags=re.S).split("\n")


class Anchors:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, and a
    ``-1``, ``-2`` suffix for repeats."""

    def __init__(self):
        self.seen = {}

    def __call__(self, heading):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = self.seen.get(slug, 0)
        self.seen[slug] = count + 1
        return slug if count == 0 else f"{slug}-{count}"


def render_api():
    """The whole of docs/api.md, as text."""
    anchors = Anchors()  # every heading passes through it, in document order
    anchors("API reference")
    anchors("Contents")
    toc, body = [], []
    for title, intro, entries in sections():
        section_anchor, links = anchors(title), []
        body += [f"## {title}", ""]
        body += [markdown_from_docstring(text) + "\n" for text in intro]
        for entry in entries:
            links.append(f"[`{entry.name}`](#{anchors(entry.name)})")
            body += render_entry(entry, level=3)
            for member in entry.members:
                anchors(member.name)
                body += render_entry(member, level=4)
        toc.append(f"- [{title}](#{section_anchor}): {', '.join(links)}")
    header = [
        "# API reference",
        "",
        f"> Generated from the docstrings in `graphnn/` by `{COMMAND}`: do not edit by hand. "
        f"The test suite fails when it is stale; `{COMMAND} --check` says whether it is.",
        "",
        "Shapes are written as in [conventions.md](conventions.md): every value is a 2-D "
        "`N x D` array, one row per observation; objectives read targets `Y` and estimates "
        "`Yhat`, both `N x K`.",
        "",
        "## Contents",
        "",
        *toc,
        "",
    ]
    return "\n".join(header + body).rstrip() + "\n"


def render_entry(entry, level):
    lines = [f"{'#' * level} `{entry.name}`", ""]
    if entry.kind == "property":
        lines += ["*Property.*", ""]
    else:
        lines += ["```python", entry.signature, "```", ""]
    return lines + [markdown_from_docstring(entry.doc), ""]


# ---------------------------------------------------------------------------- command line
def main(argv=None):
    parser = argparse.ArgumentParser(description="Write docs/api.md from graphnn's docstrings.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the file is not what the docstrings give")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="the file to write or check (default: docs/api.md)")
    args = parser.parse_args(argv)
    shown = shown_path(args.output)
    try:
        text = render_api()
    except ApiDocsError as err:
        print(f"api_docs: {err}", file=sys.stderr)
        return 1
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
        if current != text:
            print(f"{shown} is stale: run `{COMMAND}` to regenerate it", file=sys.stderr)
            return 1
        print(f"{shown} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {shown} ({len(text.splitlines())} lines)")
    return 0


def shown_path(path):
    """``path`` relative to the repository when it is inside it, as the messages show it."""
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
