"""A generated class of students for the class grader: folders of .py files written as students
write them (``from Layer import Layer``), from the corpus's classes (tests/students/corpus.py).

``make_class(root, n=40)`` writes ``n`` students: most hand in each seed class right or with
one of the corpus's mistakes (decided by their index), and a few misbehave: they hang (at
import, in a method, everywhere), crash at import, print 10 MB, call ``sys.exit``, write files.
Returns ``{student: {class: "right" | check expected to fail | "error"}}`` for the students
whose every class has a known verdict, and ``{student: what they do}`` for the misbehaving.

Run ``python tests/students/make_class.py DIR`` to write one and look at it.
"""
import importlib.util
import inspect
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("student_corpus_class", HERE / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = corpus  # inspect.getsource finds classes through their module
_spec.loader.exec_module(corpus)

SEED = ("InputLayer", "FullyConnectedLayer", "LinearLayer", "ReLULayer", "LogisticSigmoidLayer", "TanhLayer",
        "SoftmaxLayer", "SquaredError", "LogLoss", "CrossEntropy")


def _variants():
    """``{seed name: [(class, tag)]}``, right ones first."""
    variants = {name: [] for name in SEED}
    for cls, tag in corpus.CORPUS:
        variants[corpus.SEED_NAMES.get(cls.__name__, cls.__name__)].append((cls, tag))
    for name in variants:
        variants[name].sort(key=lambda item: item[1] != "right")
    return variants


VARIANTS = _variants()


def _source(cls, seed_name):
    """The file a student hands in for ``cls`` under ``seed_name``: its corpus source (and its
    parents' within the corpus, renamed apart), importing the student's own Layer."""
    chain = [klass for klass in reversed(cls.__mro__) if klass.__module__ == corpus.__name__
             and klass is not corpus.Layer]
    parts, renamed = [], {}
    for klass in chain:
        name = seed_name if klass is cls else f"{klass.__name__}Base"
        renamed[klass.__name__] = name
        text = textwrap.dedent(inspect.getsource(klass))
        text = "\n".join(line for line in text.splitlines() if not line.startswith("@"))
        header, rest = text.split("\n", 1)
        for old, new in renamed.items():
            header = header.replace(f"class {old}(", f"class {new}(").replace(f"({old})", f"({new})") \
                .replace(f"class {old}:", f"class {new}:")
        parts.append(header + "\n" + rest)
    return "import sys\nimport numpy as np\nfrom Layer import Layer\n\n\n" + "\n\n\n".join(parts) + "\n"


LAYER_SOURCE = "from abc import ABC, abstractmethod\n\nimport numpy as np\n\n\n" + \
    textwrap.dedent(inspect.getsource(corpus.Layer))

MISBEHAVING = {
    "hangs_at_import": "TanhLayer.py loops forever at import",
    "hangs_in_forward": "SoftmaxLayer.forward sleeps for ever",
    "hangs_everywhere": "Layer.__init__ sleeps for ever: every layer hangs",
    "crashes_at_import": "Layer.py has a syntax error",
    "imports_missing_module": "every objective imports a module that does not exist",
    "prints_10_mb": "LogisticSigmoidLayer.py prints 10 MB at import",
    "calls_sys_exit": "SquaredError.eval calls sys.exit",
}


def make_class(root, n=40):
    """Write ``n`` students under ``root`` (see the module's docstring); returns ``(expected,
    misbehaving)``."""
    root = Path(root)
    expected, odd = {}, {}
    names = list(MISBEHAVING) + [f"student{i:02d}" for i in range(n - len(MISBEHAVING))]
    for index, student in enumerate(names):
        folder = root / student / ("hw2" if index % 3 == 0 else "")  # some zip a folder of their own
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Layer.py").write_text(LAYER_SOURCE, encoding="utf-8")
        verdicts = {}
        for j, name in enumerate(SEED):
            variants = VARIANTS[name]
            cls, tag = variants[(index * 7 + j * 3) % len(variants)]
            (folder / f"{name}.py").write_text(_source(cls, name), encoding="utf-8")
            verdicts[name] = tag
        (folder / "main.py").write_text("print('my results')\n", encoding="utf-8")
        if student in MISBEHAVING:
            _misbehave(student, folder)
            odd[student] = verdicts
        else:
            if index % 4 == 0:  # writes files at import: harmless
                path = folder / "ReLULayer.py"
                path.write_text("open('scratch.txt', 'w').write('x')\n" + path.read_text(), encoding="utf-8")
            expected[student] = verdicts
    return expected, odd


def _misbehave(student, folder):
    def prepend(name, text):
        path = folder / f"{name}.py"
        path.write_text(text + path.read_text(encoding="utf-8"), encoding="utf-8")

    if student == "hangs_at_import":
        prepend("TanhLayer", "while True:\n    pass\n")
    elif student == "hangs_in_forward":
        path = folder / "SoftmaxLayer.py"
        path.write_text(path.read_text().replace("    def forward(self, dataIn):\n",
                                                 "    def forward(self, dataIn):\n        import time; time.sleep(1e6)\n", 1))
    elif student == "hangs_everywhere":
        (folder / "Layer.py").write_text(LAYER_SOURCE.replace(
            "    def __init__(self):\n", "    def __init__(self):\n        import time; time.sleep(1e6)\n", 1))
    elif student == "crashes_at_import":
        (folder / "Layer.py").write_text(LAYER_SOURCE + "\ndef broken(:\n    pass\n")
    elif student == "imports_missing_module":
        for name in ("SquaredError", "LogLoss", "CrossEntropy"):
            prepend(name, "import tensorflow_for_students_that_does_not_exist\n")
    elif student == "prints_10_mb":
        prepend("LogisticSigmoidLayer", "print('x' * 10_000_000)\nimport sys\nsys.stderr.write('e' * 1_000_000)\n")
    elif student == "calls_sys_exit":
        path = folder / "SquaredError.py"
        path.write_text(path.read_text().replace("    def eval(self, Y, Yhat):\n",
                                                 "    def eval(self, Y, Yhat):\n        sys.exit(3)\n", 1))


if __name__ == "__main__":
    expected, odd = make_class(Path(sys.argv[1]))
    print(f"wrote {len(expected) + len(odd)} students to {sys.argv[1]}")
