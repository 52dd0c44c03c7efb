"""One module per rule family; importing this package registers every rule in RULES."""

from __future__ import annotations

from imagewright.policy import RULES
from imagewright.registry import load_all

load_all(__name__)

__all__ = ["RULES"]
