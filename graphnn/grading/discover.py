"""Finding a class's submissions: one folder per student, each class in the file the seed
names after it (``LogisticSigmoidLayer.py`` holds ``LogisticSigmoidLayer``), anywhere inside
the student's folder (students zip a folder of their own, or several). The convolution
assignment's classes (``IMAGE_CLASSES``) are found the same way."""
from pathlib import Path

__all__ = ["SEED_CLASSES", "IMAGE_CLASSES", "IGNORED_PARTS", "class_kind", "find_students", "find_class_files",
           "classes_handed_in"]

#: the classes assignment 2 asks for, by the name of their file, and what each is
SEED_CLASSES = {
    "InputLayer": "layer", "FullyConnectedLayer": "layer", "LinearLayer": "layer", "ReLULayer": "layer",
    "LogisticSigmoidLayer": "layer", "TanhLayer": "layer", "SoftmaxLayer": "layer",
    "SquaredError": "objective", "LogLoss": "objective", "CrossEntropy": "objective",
}

#: the classes the convolution assignment asks for (``images``: checked on ``N x C x H x W``)
IMAGE_CLASSES = {"ConvolutionalLayer": "layer", "MaxPoolLayer": "layer", "FlatteningLayer": "layer"}

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
    ``SEED_CLASSES``) inside ``folder``: the shallowest ``Name.py``, outside ``IGNORED_PARTS``.
    A file named in another case (``maxpoollayer.py``, as a student's editor or archive left
    it) is found too when no file has the exact name."""
    folder = Path(folder)
    files = [path for path in folder.rglob("*.py")
             if not any(part in IGNORED_PARTS for part in path.relative_to(folder).parts)]
    found = {}
    for name in classes or SEED_CLASSES:
        # exact names first, then the shallowest, then by path (the same answer on every machine)
        candidates = [path for path in files if path.stem.lower() == name.lower()]
        found[name] = min(candidates, key=lambda path: (path.stem != name, len(path.parts), str(path))) \
            if candidates else None
    return found


def class_kind(name):
    """``'objective'`` or ``'layer'`` (the checks a class of that name gets): an objective of
    the seed's, else a layer."""
    return SEED_CLASSES.get(name, "layer")


def classes_handed_in(students, classes):
    """Those of ``classes`` that at least one of the ``students``' folders holds, in the
    order given (for one student's folder: the optional classes of a rubric it is checked on)."""
    found = [find_class_files(folder, list(classes)) for folder in students]
    return [name for name in classes if any(files[name] is not None for files in found)]
