"""The fast path, behind one door: ``Runner`` (``graphnn.core.fast.runner``) runs a plan's
compiled program (``program``) for the feeds the spine has proven, on the values ``feed``
prepares. Only ``graphnn.core.graph`` imports it; the spine never does."""
from .runner import Runner

__all__ = ["Runner"]
