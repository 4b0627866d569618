"""graphnn's layering (.importlinter) holds: ``lint-imports`` keeps every contract. And the
contracts bite: the same check on a copy of the package with one forbidden import fails,
naming it."""
import configparser
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")  # installed with import-linter


def lint_imports(root):
    """``lint-imports`` run on the package and the .importlinter found in ``root``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / ".importlinter")],
        cwd=root, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(root)},  # this checkout's graphnn, not another
    )


def test_graphnn_keeps_its_import_contracts():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, line, broken", [
    ("layers/ReLULayer.py", "from ..graph import Graph", "graphnn.layers is not allowed to import graphnn.graph"),
    ("objectives/Objective.py", "from ..views.render import to_dot",
     "graphnn.objectives is not allowed to import graphnn.views"),
    ("core/graph.py", "from ..views.profiler import profile", "graphnn.core is not allowed to import graphnn.views"),
    ("training/fit.py", "from ..views.render import to_dot", "graphnn.training is not allowed to import graphnn.views"),
    ("core/record.py", "from ..graph import Graph", "graphnn.core is not allowed to import graphnn.graph"),
    ("core/plan.py", "def f():\n    from .fast import program", "graphnn.core.plan is not allowed to import graphnn.core.fast"),
    ("core/passes.py", "from .graph import Graph", "graphnn.core.passes is not allowed to import graphnn.core.graph"),
    ("training/fit.py", "def f():\n    import examples.kidcreative", "graphnn is not allowed to import examples"),
    ("stray.py", "", "The following modules are not listed as layers:\n\n- graphnn.stray"),
    ("views/drawing.py", "def f():\n    from .render import RenderError",
     "graphnn.views.drawing is not allowed to import graphnn.views.render"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, line, broken):
    shutil.copy(ROOT / ".importlinter", tmp_path)
    shutil.copytree(ROOT / "graphnn", tmp_path / "graphnn", ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "graphnn" / module
    path.write_text((path.read_text() if path.exists() else "") + f"\n{line}\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert broken in result.stdout


def contract_layers():
    """The layers of the ``layers`` contract, top first, each a list of the modules that
    exist (an optional module, in parentheses, counts once it is there)."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    rows = parser["importlinter:contract:layers"]["layers"].strip().splitlines()
    layers = []
    for row in rows:
        names = [name.strip().strip("()") for name in re.split(r"[|:]", row)]
        layers.append([name for name in names if importlib.util.find_spec(f"graphnn.{name}")])
    return layers


def test_the_architecture_page_shows_the_layers_of_the_contract():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = page.split("| layer (top to bottom) | modules |")[1].split("\n\n")[0]
    shown = [re.findall(r"`(\w+)/?`", row.split("|")[2]) for row in table.strip().splitlines()[1:]]
    assert shown == contract_layers()
