"""The daily low-stock job: episodes that ended, and one alert per episode."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.emails import queue_email
from accounts.models import Membership, OrganisationAdmin, Premises

from .. import selectors
from ..models import TokenSettings
from ._shared import _audit, _lock_settings

if TYPE_CHECKING:
    from datetime import date

LOW_STOCK_JOB = "eps low-stock job"


@transaction.atomic
def token_low_stock_sweep(*, today: date | None = None) -> list[int]:
    """End the episodes of premises that recovered; return the ids of premises that
    need a low-stock email now. Reads every premises in a fixed number of queries."""
    # Ids only: the sweep reads figures, not names or addresses, of 12,000 premises.
    figures = selectors.token_figures(Premises.objects.order_by("pk").only("pk"), today=today)
    recovered = [
        f.premises.pk for f in figures if f.low_stock_alerted_at is not None and not f.is_low
    ]
    if recovered:
        TokenSettings.objects.filter(premises_id__in=recovered).update(low_stock_alerted_at=None)
    return [f.premises.pk for f in figures if f.needs_alert and f.low_stock_alerted_at is None]


def _alert_recipients(premises):
    managers = list(
        Membership.objects.current()
        .filter(premises=premises, is_manager=True, user__is_active=True)
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )
    if managers:
        return managers
    # No manager on the staff list: the group's head office is the next pair of hands.
    return list(
        OrganisationAdmin.objects.filter(
            organisation_id=premises.organisation_id, user__is_active=True
        )
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )


@transaction.atomic
def token_low_stock_alert(*, premises_id: int, today: date | None = None) -> bool:
    """Email the premises managers (its head office when it has none) that tokens are
    running low, once per episode (docs/decisions/0007-eps-low-stock-alerts.md). True when
    this call sent it.

    Safe to run twice: the settings row is locked and the episode marker checked, so a
    second run (a retried task, a second beat) sends nothing."""
    premises = Premises.objects.select_related("organisation").get(pk=premises_id)
    settings_row = _lock_settings(premises)
    if settings_row.low_stock_alerted_at is not None:
        return False
    figures = selectors.token_figures_for(premises, today=today)
    if not figures.needs_alert:
        return False
    settings_row.low_stock_alerted_at = timezone.now()
    settings_row.save(update_fields=["low_stock_alerted_at"])
    recipients = _alert_recipients(premises)
    for email in recipients:
        queue_email(
            to=email,
            subject=f"EPS tokens running low at {premises.name}",
            template="eps/emails/low_stock.txt",
            context={"premises": premises, "figures": figures},
        )
    _audit(
        actor=LOW_STOCK_JOB,
        action="tokens.low_stock_alerted",
        obj=settings_row,
        premises=premises,
        changes={
            "stock": figures.stock,
            "days_of_cover": figures.days_of_cover,
            "reorder_days": figures.reorder_days,
            "recipients": recipients,
        },
    )
    return True
