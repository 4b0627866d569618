"""The API reference (docs/api/*.md, rendered by mkdocstrings) keeps the rules the
hand-written generator enforced: every public object is given a place on one of its pages,
every public object and method has a docstring of its own, and every layer and objective
states its shapes.

"Public" is: the names in ``graphnn.__all__``, plus the names without a leading underscore
that graphnn's modules (every module whose name has no leading underscore) define themselves
-- classes, functions and module-level constants -- and, on each class, the methods and
properties without a leading underscore that the class itself defines. A constant is
documented by ``#:`` comment lines right above its assignment (mkdocs.yml reads them with
griffe-sphinx).
"""
import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import graphnn
from graphnn.layers import Layer
from graphnn.objectives import Objective

ROOT = Path(__file__).resolve().parent.parent
API_PAGES = sorted((ROOT / "docs" / "api").glob("*.md"))


def public_modules():
    """graphnn's modules, but the private ones and the one-class-per-file layer and
    objective files (their classes are all in ``graphnn.__all__``)."""
    for info in pkgutil.walk_packages(graphnn.__path__, "graphnn."):
        parts = info.name.split(".")
        if not any(part.startswith("_") for part in parts) and not (
                len(parts) == 3 and parts[1] in ("layers", "objectives")):
            yield importlib.import_module(info.name)


def module_constants(module):
    """``{name: #: comment}`` for the public names the module assigns at top level."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    constants = {}
    for statement in ast.parse(source).body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name) and not node.id.startswith("_"):
                        constants[node.id] = comment_above(lines, statement.lineno - 1)
    return constants


def comment_above(lines, index):
    comment = []
    while index > 0 and lines[index - 1].lstrip().startswith("#:"):
        index -= 1
        comment.insert(0, lines[index].lstrip()[2:].strip())
    return "\n".join(comment)


def own_doc(obj):
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return doc.strip() if doc else ""


def public_objects():
    """``{names it may be documented under: the object}`` for every public class, function
    and constant (a constant stands as its ``#:`` comment). An object of ``graphnn.__all__``
    may be named ``graphnn.X`` or by the module that defines it
    (``graphnn.datasets.load_kidcreative``: mkdocstrings reads the code, and the names that
    ``graphnn/__init__.py`` imports on first use are not in it)."""
    objects, exported = {}, set()
    for name in graphnn.__all__:
        if not name.startswith("__"):  # __version__ is metadata, not API
            obj = getattr(graphnn, name)
            exported.add(id(obj))
            objects[(f"graphnn.{name}", f"{obj.__module__}.{obj.__qualname__}")] = obj
    for module in public_modules():
        for name, obj in vars(module).items():
            if (not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__
                    and id(obj) not in exported and (inspect.isclass(obj) or inspect.isfunction(obj))):
                objects[(f"{module.__name__}.{name}",)] = obj
        for name, comment in module_constants(module).items():
            objects[(f"{module.__name__}.{name}",)] = comment
    return objects


def docstrings(objects):
    """``{name: its own docstring}`` for every object and for the methods and properties
    each class defines itself."""
    docs = {}
    for names, obj in objects.items():
        docs[names[0]] = obj if isinstance(obj, str) else own_doc(obj)
        if inspect.isclass(obj):
            for member, attribute in vars(obj).items():
                is_member = inspect.isfunction(attribute) or isinstance(
                    attribute, (property, classmethod, staticmethod))
                if is_member and not member.startswith("_"):
                    docs[f"{names[0]}.{member}"] = own_doc(getattr(attribute, "__func__", attribute))
    return docs


def placed_names():
    """The names the API pages document: each ``::: name`` directive, and, for what
    mkdocstrings cannot read (constants assigned in one tuple, ``A, B = 1, 2``), a full name in
    backticks in the page's prose."""
    text = "\n".join(page.read_text(encoding="utf-8") for page in API_PAGES)
    return set(re.findall(r"^::: (\S+)", text, flags=re.M)) | set(re.findall(r"`(graphnn\.[\w.]+)`", text))


OBJECTS = public_objects()
DOCS = docstrings(OBJECTS)
PLACED = placed_names()


@pytest.mark.parametrize("names", sorted(OBJECTS), ids=lambda names: names[0])
def test_every_public_object_has_a_place_in_the_api_reference(names):
    assert PLACED & set(names), (
        f"{names[0]} is public but on no page of the API reference: add `::: {names[0]}` to "
        "the page under docs/api/ where it belongs")


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_public_object_and_method_has_a_docstring(name):
    assert DOCS[name], f"{name} has no docstring of its own"


def test_every_api_page_is_in_the_site_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert [page.name for page in API_PAGES if f"api/{page.name}" not in nav] == []


SHAPED_CLASSES = [
    obj for obj in (getattr(graphnn, name) for name in graphnn.__all__)
    if inspect.isclass(obj) and issubclass(obj, (Layer, Objective))
]


@pytest.mark.parametrize("cls", SHAPED_CLASSES, ids=lambda cls: cls.__name__)
def test_every_layer_and_objective_states_its_shapes(cls):
    methods = ("forward", "backward", "gradient", "eval")
    docs = [cls.__doc__] + [getattr(cls, name).__doc__ for name in methods if hasattr(cls, name)]
    assert any("N x" in (doc or "") for doc in docs), f"{cls.__name__} states no N x ... shape"
