"""Objectives (losses): one class per file, named after the class (as the seed asks).

Each reads targets ``Y`` and estimates ``Yhat``, both ``N x K``, and gives ``J``, a mean over
the ``N`` observations (``eval``), and each observation's gradient, ``N x K`` (``gradient``).
"""
from .CrossEntropy import CrossEntropy
from .LogLoss import LogLoss
from .Objective import Objective
from .SquaredError import SquaredError

__all__ = ["Objective", "SquaredError", "LogLoss", "CrossEntropy"]
