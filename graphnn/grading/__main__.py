"""``python -m graphnn.grading SUBMISSIONS/``: the class grader (``cli``)."""
import sys

from .cli import main

sys.exit(main())
