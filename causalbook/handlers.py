"""Placeholder: guarded versions of NumPyro's `do` and `condition` (being written)."""
from numpyro.handlers import condition, do  # noqa: F401
