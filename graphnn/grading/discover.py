"""Finding a class's submissions: one folder per student, each class in the file the seed
names after it (``LogisticSigmoidLayer.py`` holds ``LogisticSigmoidLayer``), anywhere inside
the student's folder (students zip a folder of their own, or several)."""
from pathlib import Path

__all__ = ["SEED_CLASSES", "find_students", "find_class_files", "IGNORED_PARTS"]

#: the classes assignment 2 asks for, by the name of their file, and what each is
SEED_CLASSES = {
    "InputLayer": "layer", "FullyConnectedLayer": "layer", "LinearLayer": "layer", "ReLULayer": "layer",
    "LogisticSigmoidLayer": "layer", "TanhLayer": "layer", "SoftmaxLayer": "layer",
    "SquaredError": "objective", "LogLoss": "objective", "CrossEntropy": "objective",
}

#: folders never searched: archives' metadata, caches, virtual environments
IGNORED_PARTS = ("__MACOSX", "__pycache__", ".git", ".venv", "venv", "site-packages", ".ipynb_checkpoints")


def find_students(root):
    """The students' folders under ``root`` (its sub-folders, sorted by name, hidden ones and
    ``IGNORED_PARTS`` left out). ``ValueError`` when ``root`` is not a folder."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"graphnn-grade: {root} is not a folder of students' folders")
    return sorted(path for path in root.iterdir()
                  if path.is_dir() and not path.name.startswith(".") and path.name not in IGNORED_PARTS)


def find_class_files(folder, classes=None):
    """``{class name: path of its file or None}`` for each of ``classes`` (default the keys of
    ``SEED_CLASSES``) inside ``folder``: the shallowest ``Name.py``, outside ``IGNORED_PARTS``."""
    folder = Path(folder)
    found = {}
    for name in classes or SEED_CLASSES:
        candidates = [path for path in folder.rglob(f"{name}.py")
                      if not any(part in IGNORED_PARTS for part in path.relative_to(folder).parts)]
        found[name] = min(candidates, key=lambda path: (len(path.parts), str(path))) if candidates else None
    return found
