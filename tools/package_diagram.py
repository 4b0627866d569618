"""Draw graphnn's package: its modules and which imports which (``docs/img/package.svg``).

The arrows are read from the code with ``ast``, so the picture cannot drift from it: a solid
arrow is an import at module level, a dashed one an import made inside a function, on first
use (to break an import cycle, or to keep a slow or optional dependency out of
``import graphnn``). ``layers/`` and ``objectives/`` are drawn as one box each, listing their
files. ``__init__`` only re-exports, so it is left out.

Usage::

    python tools/package_diagram.py            # write docs/img/package.dot and package.svg
    python tools/package_diagram.py --check    # write nothing; exit 1 if either is stale

``tests/test_package_diagram.py`` runs the check.
"""
import argparse
import ast
import re
import sys
import tempfile
from pathlib import Path

import graphviz

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "graphnn"
OUT = ROOT / "docs" / "img" / "package.svg"
COMMAND = "python tools/package_diagram.py"

#: one line per module: what it is for. A module missing here is an error, so a new module
#: cannot be left out of the picture.
ROLES = {
    "layers": "forward, gradient, backward",
    "objectives": "eval, gradient",
    "parameter": "a value and its gradient",
    "_validation": "input checks, dtypes, shapes",
    "graph": "build, plan, forward, backward",
    "gradcheck": "central differences",
    "render": "network and gradient diagrams",
    "_layout": "what a diagram draws: folds, ranges",
    "summarize": "summary: a table of the nodes",
    "profiler": "time and bytes per node",
    "optim": "SGD, Adam",
    "training": "fit, predict, evaluate",
    "persistence": "save and load parameters",
    "plotting": "learning curves (matplotlib)",
    "datasets": "Kid Creative loader (pandas)",
}
#: what a reader meets first at the top, the helpers at the bottom
RANKS = (
    ("training", "plotting", "datasets", "persistence", "optim", "gradcheck", "profiler", "render",
     "summarize"),
    ("_layout",),
    ("graph",),
    ("layers", "objectives"),
    ("parameter", "_validation"),
)


def module_of(path):
    """``graphnn/layers/ReLULayer.py`` -> ``"layers"``; ``graphnn/graph.py`` -> ``"graph"``."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imported_modules(path):
    """``{module: at_module_level}`` of the graphnn modules that the file at ``path`` imports."""
    tree = ast.parse(path.read_text(), filename=str(path))
    at_top = {id(node) for node in tree.body}
    inside = module_of(path) if path.parent != PACKAGE else None
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0 and not (node.module or "").startswith("graphnn"):
            continue
        if node.level == 0:
            target = node.module.split(".")[1:2]
        elif node.level == 1 and inside is not None:  # `from .Layer import` inside layers/
            target = [inside]
        elif node.module:  # `from .graph import Graph`, `from ..parameter import Parameter`
            target = node.module.split(".")[:1]
        else:  # `from . import render`
            target = [alias.name for alias in node.names]
        for name in target:
            found[name] = found.get(name, False) or id(node) in at_top
    return found


def dependencies():
    """``{(importer, imported): at_module_level}`` between the modules, and the files of
    the ``layers`` and ``objectives`` packages."""
    edges, files = {}, {"layers": [], "objectives": []}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py" and path.parent == PACKAGE:
            continue
        module = module_of(path)
        if module not in ROLES:
            raise SystemExit(f"{path}: add the module {module!r} to ROLES in {Path(__file__).name}")
        if module in files and path.name != "__init__.py":
            files[module].append(path.stem)
        for target, at_top in imported_modules(path).items():
            if target != module:
                edges[module, target] = edges.get((module, target), False) or at_top
    return edges, files


def diagram():
    """The package diagram, a ``graphviz.Digraph`` with deterministic source."""
    edges, files = dependencies()
    dot = graphviz.Digraph("graphnn_package", graph_attr={
        "rankdir": "TB", "nodesep": "0.25", "ranksep": "0.5", "fontname": "Helvetica",
        "label": "graphnn's modules; an arrow points from a module to one it imports "
                 "(dashed: imported inside a function, on first use)",
        "labelloc": "b", "fontsize": "11",
    }, node_attr={"shape": "box", "style": "rounded,filled", "fillcolor": "#f4f4f4",
                  "fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"color": "#555555", "arrowsize": "0.7"})
    for rank in RANKS:
        with dot.subgraph() as same:
            same.attr(rank="same")
            for module in rank:
                label = f"<<b>{module}</b><br/>{ROLES[module]}"
                if module in files:
                    label += '<br/><font point-size="9">' + "<br/>".join(
                        ", ".join(files[module][i:i + 3]) for i in range(0, len(files[module]), 3)) + "</font>"
                same.node(module, label + ">")
    for (importer, imported), at_top in sorted(edges.items()):
        dot.edge(importer, imported, style="solid" if at_top else "dashed")
    return dot


def svg_texts(path):
    """The words an SVG shows, in order: what stays the same between Graphviz versions."""
    return re.findall(r"<text[^>]*>(.*?)</text>", Path(path).read_text(), flags=re.S)


def write(svg_path=OUT):
    """Write the ``.dot`` source and the ``.svg`` (needs Graphviz's ``dot``); returns both paths."""
    svg_path = Path(svg_path)
    source = diagram()
    source_path = svg_path.with_suffix(".dot")
    source_path.parent.mkdir(parents=True, exist_ok=True)
    source_path.write_text(source.source)
    svg_path.write_bytes(source.pipe(format="svg"))
    return source_path, svg_path


def stale(svg_path=OUT):
    """The committed files that differ from fresh ones: the DOT source byte for byte, the SVG
    by the words it shows."""
    svg_path = Path(svg_path)
    with tempfile.TemporaryDirectory() as fresh:
        fresh_dot, fresh_svg = write(Path(fresh) / svg_path.name)
        found = []
        dot_path = svg_path.with_suffix(".dot")
        if not dot_path.exists() or dot_path.read_text() != fresh_dot.read_text():
            found.append(dot_path)
        if not svg_path.exists() or svg_texts(svg_path) != svg_texts(fresh_svg):
            found.append(svg_path)
        return found


def main(argv=None):
    parser = argparse.ArgumentParser(prog="package_diagram.py", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the diagram is stale")
    parser.add_argument("--out", metavar="SVG", default=str(OUT), help=f"default: {OUT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.check:
        found = stale(args.out)
        for path in found:
            print(f"stale: {path} (regenerate with: {COMMAND})", file=sys.stderr)
        return 1 if found else 0
    for path in write(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
