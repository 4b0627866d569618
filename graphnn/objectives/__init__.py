"""Objectives: one class per file, named after the class (as the seed asks)."""
from .CrossEntropy import CrossEntropy
from .LogLoss import LogLoss
from .Objective import Objective
from .SquaredError import SquaredError

__all__ = ["Objective", "SquaredError", "LogLoss", "CrossEntropy"]
