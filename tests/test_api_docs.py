"""docs/api.md is generated from the docstrings by tools/api_docs.py: it is up to date, every
public object and method in it is documented, and every layer and objective states its shapes."""
import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import graphnn
from graphnn.layers import Layer
from graphnn.objectives import Objective

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "tools" / "api_docs.py"
REGENERATE = "python tools/api_docs.py"


def load_script():
    # tools/ is not a package, so the script is imported by its path.
    spec = importlib.util.spec_from_file_location("api_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


api_docs = load_script()
DOCSTRINGS = dict(api_docs.documented_entries())  # public name -> its own docstring


def run_script(*args, env=None):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=REPO,
        env=env, timeout=120,
    )


# ---------------------------------------------------------------------------- the generated file
def test_docs_api_md_is_what_the_docstrings_give():
    current = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == api_docs.render_api(), f"docs/api.md is stale: run `{REGENERATE}`"


@pytest.mark.parametrize("name", sorted(DOCSTRINGS))
def test_every_public_object_and_method_has_a_docstring(name):
    assert DOCSTRINGS[name].strip(), f"{name} has no docstring of its own"


SHAPED_CLASSES = [
    obj for obj in (getattr(graphnn, name) for name in graphnn.__all__)
    if inspect.isclass(obj) and issubclass(obj, (Layer, Objective))
]


@pytest.mark.parametrize("cls", SHAPED_CLASSES, ids=lambda cls: cls.__name__)
def test_every_layer_and_objective_states_its_shapes(cls):
    methods = ("forward", "backward", "gradient", "eval")
    docs = [cls.__doc__] + [getattr(cls, name).__doc__ for name in methods if hasattr(cls, name)]
    assert any("N x" in (doc or "") for doc in docs), f"{cls.__name__} states no N x ... shape"


# ---------------------------------------------------------------------------- the command line
def test_check_fails_on_a_stale_file_and_passes_a_fresh_one(tmp_path):
    target = tmp_path / "api.md"
    stale_text = api_docs.render_api() + "\nA line edited by hand.\n"
    target.write_text(stale_text, encoding="utf-8")
    stale = run_script("--check", "--output", str(target))
    assert stale.returncode == 1
    message = stale.stderr.strip()
    assert len(message.splitlines()) == 1 and "stale" in message and REGENERATE in message
    assert target.read_text(encoding="utf-8") == stale_text  # --check writes nothing

    target.write_text(api_docs.render_api(), encoding="utf-8")
    # Another hash seed: the text must not depend on the interpreter's set or dict order.
    fresh = run_script("--check", "--output", str(target), env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert fresh.returncode == 0, fresh.stderr


def test_check_calls_a_missing_file_stale(tmp_path, capsys):
    assert api_docs.main(["--check", "--output", str(tmp_path / "api.md")]) == 1
    assert "stale" in capsys.readouterr().err
    assert not (tmp_path / "api.md").exists()


def test_writing_says_what_it_wrote(tmp_path, capsys):
    target = tmp_path / "api.md"
    assert api_docs.main(["--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == api_docs.render_api()
    assert f"wrote {target}" in capsys.readouterr().out


def test_an_undocumented_method_is_refused_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(graphnn.Graph.predecessors, "__doc__", None)
    monkeypatch.setattr(graphnn.render.format_number, "__doc__", "   ")
    assert api_docs.main(["--output", str(tmp_path / "api.md")]) == 1
    message = capsys.readouterr().err
    assert "Graph.predecessors" in message and "graphnn.render.format_number" in message
    assert not (tmp_path / "api.md").exists()


def test_a_public_function_in_no_section_is_refused(monkeypatch):
    def brand_new():
        """Documented, but the reference does not know where to put it."""

    brand_new.__module__ = "graphnn.render"
    monkeypatch.setattr(graphnn.render, "brand_new", brand_new, raising=False)
    with pytest.raises(api_docs.ApiDocsError, match="public but in no section: graphnn.render.brand_new"):
        api_docs.render_api()


# ---------------------------------------------------------------------------- the text it makes
@pytest.mark.parametrize("value, text", [
    (np.float64, "numpy.float64"),
    (np.dtype("float32"), "dtype('float32')"),
    (np.float32(0.5), "0.5"),
    (Path("data") / "KidCreative.csv", "Path('data/KidCreative.csv')"),
    (len, "builtins.len"),
    (frozenset({"b", "a"}), "{'a', 'b'}"),
    ((0.9, 0.999), "(0.9, 0.999)"),
    (("X",), "('X',)"),
])
def test_defaults_are_written_stably(value, text):
    assert api_docs.stable_repr(value) == text


def test_an_object_with_an_address_is_refused():
    with pytest.raises(api_docs.ApiDocsError, match="memory address"):
        api_docs.stable_repr(object())


def test_rest_markup_becomes_markdown():
    doc = inspect.cleandoc('''
        The ``N x D`` input, with ``code that runs
        over a line break``.

        The usual loop::

            graph.forward(X=X)
            graph.backward()

        >>> 1 + 1
        2
        ''')
    assert api_docs.markdown_from_docstring(doc) == inspect.cleandoc('''
        The `N x D` input, with `code that runs
        over a line break`.

        The usual loop:

        ```
        graph.forward(X=X)
        graph.backward()
        ```

        ```pycon
        >>> 1 + 1
        2
        ```
        ''')
