"""No module of graphnn reaches another module's private names, and no import circle joins
its modules (imports inside functions count: a lazy import is still a dependency).

Both checks read the source with ``ast`` (nothing is imported), so they need nothing beside
the repository. And they bite: the same checks on a small package with one private reach
and one circle name them.
"""
import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "graphnn"



def _private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_reaches(root):
    """``[(file, line, what)]``: ``from M import _x`` (``_x`` not a module of the package),
    ``module._x`` on an imported module, or ``obj._x`` on anything but ``self``/``cls`` where
    the file itself defines or assigns no ``_x``."""
    modules = {p.stem for p in root.rglob("*.py")} | {p.name for p in root.rglob("*") if p.is_dir()}
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        own, imported = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                own.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif isinstance(node, ast.Import):
                imported.update(a.asname or a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.update(a.asname or a.name for a in node.names if a.name in modules)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                found += [(path, node.lineno, f"{node.module}.{a.name}") for a in node.names
                          if _private(a.name) and a.name not in modules]
            elif isinstance(node, ast.Attribute) and _private(node.attr):
                base = node.value
                if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                    continue
                if isinstance(base, ast.Name) and base.id in imported:
                    found.append((path, node.lineno, f"{base.id}.{node.attr}"))
                elif node.attr not in own:
                    found.append((path, node.lineno, f"<obj>.{node.attr}"))
    return found


def import_graph(root):
    """The package's modules and who imports whom, wherever the import stands. A package's
    ``__init__`` importing its own children (to re-export them) is no dependency of theirs."""
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = nx.DiGraph()
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    parts = here.split(".")
                    module = ".".join(parts[:len(parts) - node.level + 1] + ([module] if module else []))
                targets = [module] + [f"{module}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and not (is_package and target.startswith(name + ".")):
                    graph.add_edge(name, target)
    return graph


def import_circles(root):
    """Every circle among the modules, but those through the top-level package (its
    ``__init__`` re-exports everything, and modules import names from it)."""
    return [c for c in nx.simple_cycles(import_graph(root)) if root.name not in c]


def test_no_module_reaches_another_modules_private_names():
    reaches = private_reaches(PACKAGE)
    assert not reaches, "\n".join(f"{p.relative_to(ROOT)}:{line}: {what}" for p, line, what in reaches)


def test_no_import_circle_lazy_imports_included():
    circles = import_circles(PACKAGE)
    assert not circles, "\n".join(" -> ".join(c + [c[0]]) for c in circles)


def test_the_core_spine_never_imports_the_fast_path():
    graph = import_graph(PACKAGE)
    for module in ("kinds", "plan", "passes", "record", "steps", "checks", "sharing"):
        reached = nx.descendants(graph, f"graphnn.core.{module}")
        assert not {m for m in reached if m.startswith("graphnn.core.fast")}, module
    importers = {m for m, target in graph.edges if target.startswith("graphnn.core.fast")}
    assert {m for m in importers if not m.startswith("graphnn.core.fast")} == {"graphnn.core.graph"}


def test_the_checks_bite(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from .a import f\n")
    (package / "sub" / "a.py").write_text("from .b import _helper\n\ndef f():\n    return _helper()\n")
    (package / "sub" / "b.py").write_text(
        "def _helper():\n    from . import a  # a lazy import closing a circle\n    return a\n")
    (package / "c.py").write_text("from .sub import b\n\nb._helper()\n")
    reaches = {(p.name, what) for p, _, what in private_reaches(package)}
    assert reaches == {("a.py", "b._helper"), ("c.py", "b._helper")}
    assert import_circles(package) == [["pkg.sub.a", "pkg.sub.b"]] or \
        import_circles(package) == [["pkg.sub.b", "pkg.sub.a"]]
