"""What each kind of import file holds, how a row is checked, and what applying it does.

A row is checked in two steps: its cells alone (plain functions of cells.py per column:
shapes, dates, choices), then against the database in chunks (unknown premises, what
would change).
Previewing and applying run the same `classify`, so what the preview promised is what
the import does; `apply` then writes the chunk.
"""

from .base import (
    BLANK_WORDS,
    FORMULA_STARTS,
    Column,
    ImportKind,
    formula_problem,
    header_key,
    invitation_expiry,
)
from .nhsmail import NhsmailKind
from .premises import PremisesKind
from .staff import StaffKind, StaffStep

__all__ = [
    "BLANK_WORDS",
    "FORMULA_STARTS",
    "KINDS",
    "Column",
    "ImportKind",
    "NhsmailKind",
    "PremisesKind",
    "StaffKind",
    "StaffStep",
    "formula_problem",
    "header_key",
    "invitation_expiry",
    "kind_for",
]

KINDS = {kind.kind: kind() for kind in (PremisesKind, StaffKind, NhsmailKind)}


def kind_for(run_or_kind):
    return KINDS[getattr(run_or_kind, "kind", run_or_kind)]
