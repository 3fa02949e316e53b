"""The SCR/NCRS readiness standing of a premises, in one place (see accounts.standings).

Who counts as ready, and when training is due a refresh, is records.readiness; this
module decides what the premises' counts mean.

Red, needs action:
  - no registered pharmacist working there now is ready for SCR/NCRS, so nobody on the
    premises may be able to look at a patient's Summary Care Record.
Amber, watch:
  - eligible staff (pharmacists and technicians) working there are not ready;
  - CPPE SCR training of eligible staff is due a refresh.
Green, in order: none of these.

Figures: staff_count, eligible_staff_count, ready_staff_count, training_due_count (int),
has_ready_pharmacist (bool).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.standings import AMBER, GREEN, RED, Standing

from .selectors import readiness_figures

if TYPE_CHECKING:
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import Premises

FIGURES = (
    "staff_count",
    "eligible_staff_count",
    "ready_staff_count",
    "training_due_count",
    "has_ready_pharmacist",
)


def standing_from_figures(f: dict[str, int | bool]) -> Standing:
    """The Standing for one premises' figures (a dict with the FIGURES keys)."""
    eligible, ready = f["eligible_staff_count"], f["ready_staff_count"]
    amber = []
    if ready < eligible:
        amber.append(f"{eligible - ready} of {eligible} eligible staff not ready")
    if f["training_due_count"]:
        amber.append(
            f"CPPE SCR training due a refresh for {f['training_due_count']} of {eligible} "
            "eligible staff"
        )
    if not f["has_ready_pharmacist"]:
        if not f["staff_count"]:
            first = "No staff recorded here, so no pharmacist is ready for SCR/NCRS"
        else:
            first = f"No registered pharmacist here is ready for SCR/NCRS ({ready} staff ready)"
        return Standing(RED, "; ".join([first, *amber]), f)
    if amber:
        return Standing(AMBER, "; ".join(amber), f)
    return Standing(GREEN, f"{ready} of {eligible} eligible staff ready", f)


def work_out(premises_queryset: QuerySet[Premises], on: date) -> dict[int, Standing]:
    """{premises_id: Standing} for every premises of the queryset on day `on`: one query."""
    return {
        premises.pk: standing_from_figures({name: getattr(premises, name) for name in FIGURES})
        for premises in readiness_figures(premises_queryset.order_by().only("pk"), today=on)
    }
