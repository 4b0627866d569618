"""tools/package_diagram.py: the package diagram in docs/architecture.md is read from the code."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("package_diagram", ROOT / "tools" / "package_diagram.py")
package_diagram = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(package_diagram)


def test_the_committed_package_diagram_is_fresh():
    stale = package_diagram.stale()
    assert stale == [], f"stale: {[str(p) for p in stale]}; regenerate with `{package_diagram.COMMAND}`"


def test_every_module_has_a_role_and_a_rank():
    edges, files = package_diagram.dependencies()  # raises SystemExit naming a module without a role
    ranked = [module for rank in package_diagram.RANKS for module in rank]
    assert sorted(ranked) == sorted(package_diagram.ROLES)
    assert "FullyConnectedLayer" in files["layers"] and "LogLoss" in files["objectives"]


def test_arrows_follow_the_imports_and_say_when_they_are_made():
    edges, _ = package_diagram.dependencies()
    assert edges["layers", "parameter"] is True          # at module level
    assert edges["objectives", "layers"] is True         # LogLoss knows the sigmoid it fuses with
    assert edges["graph", "render"] is True              # the facade adds to_dot/render to the core
    assert edges["render", "core"] is True               # views read the core ...
    assert not any(source == "core" and target in ("graph", "render", "profiler", "plotting")
                   for source, target in edges)          # ... and the core imports no view
    assert ("layers", "graph") not in edges              # layers know nothing of graphs
    assert all(importer != imported for importer, imported in edges)


def test_imports_are_read_whatever_their_form(tmp_path, monkeypatch):
    package = tmp_path / "graphnn"
    (package / "layers").mkdir(parents=True)
    (package / "graph.py").write_text(
        "from .layers.Layer import Layer\nimport numpy\n"
        "def f():\n    from graphnn.render import render\n    from . import optim\n")
    (package / "layers" / "Layer.py").write_text("from .ElementwiseLayer import X\nfrom ..parameter import P\n")
    monkeypatch.setattr(package_diagram, "PACKAGE", package)
    assert package_diagram.imported_modules(package / "graph.py") == {
        "layers": True, "render": False, "optim": False}
    assert package_diagram.imported_modules(package / "layers" / "Layer.py") == {
        "layers": True, "parameter": True}
