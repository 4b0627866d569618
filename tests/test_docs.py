"""The prose documentation says only what is true of the repository."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKDOWN = sorted([ROOT / "README.md", ROOT / "data" / "README.md", *(ROOT / "docs").glob("*.md")])


def relative_links(path):
    """The targets of ``[text](target)`` and ``![alt](target)`` that are files of the repository."""
    targets = re.findall(r"\]\(([^)\s]+)\)", path.read_text())
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


@pytest.mark.parametrize("path", MARKDOWN, ids=[str(p.relative_to(ROOT)) for p in MARKDOWN])
def test_every_relative_link_and_image_exists(path):
    missing = [target for target in relative_links(path) if not (path.parent / target).exists()]
    assert not missing, f"{path.relative_to(ROOT)} links to missing files: {missing}"


def test_the_architecture_page_lists_exactly_the_layer_contract_tests():
    source = (ROOT / "tests" / "test_layer_contract.py").read_text()
    case_tests = {
        node.name for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        and any("CASES" in ast.unparse(d) for d in node.decorator_list)
    }
    listed = set(re.findall(r"^\| `(test_\w+)` \|", (ROOT / "docs" / "architecture.md").read_text(), flags=re.M))
    assert listed == case_tests
