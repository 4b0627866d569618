"""``python -m graphnn.grading SUBMISSIONS/``: the class grader (``cli``)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
