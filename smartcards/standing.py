"""The smartcards standing of a premises, in one place (see accounts.standings).

Red, needs action:
  - a certificate of someone working there has expired: once expired, only the
    Registration Authority can repair the card, and until then they cannot use it;
  - an urgent unlock or renewal request (someone cannot dispense) is waiting or claimed.
Amber, watch:
  - a certificate ends within EXPIRING_SOON_DAYS days (renew it before it expires);
  - an unlock or renewal request is waiting or claimed;
  - no local smartcard unlocker covers the premises.
Green, in order: none of these.

Figures (for the dashboard, the table's filters, the CSV and the API):
  open_requests, urgent_requests (int), oldest_raised_at (ISO 8601; absent when none),
  certificates_expired, expiring_30, expiring_60, expiring_90 (int: certificates of people
  working there now; expiring_N counts those not yet expired that end within N days),
  unlocker_count (int), unlocker_on_site (bool).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from accounts.standings import AMBER, GREEN, RED, Standing

from .selectors import premises_smartcard_figures

if TYPE_CHECKING:
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import Premises

EXPIRING_SOON_DAYS = 30
FIGURES = (
    "open_requests",
    "urgent_requests",
    "certificates_expired",
    "expiring_30",
    "expiring_60",
    "expiring_90",
    "unlocker_count",
)


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


def standing_from_figures(f: dict[str, int]) -> Standing:
    """The Standing for one premises' figures (a dict with the FIGURES keys)."""
    red, amber = [], []
    if f["certificates_expired"]:
        red.append(
            f"{_plural(f['certificates_expired'], 'certificate')} expired: only the "
            "Registration Authority can repair "
            + ("that card" if f["certificates_expired"] == 1 else "those cards")
        )
    if f["urgent_requests"]:
        red.append(
            f"{_plural(f['urgent_requests'], 'urgent request')} from someone who cannot dispense"
        )
    if f["expiring_30"]:
        amber.append(
            f"{_plural(f['expiring_30'], 'certificate')} ending within {EXPIRING_SOON_DAYS} days"
        )
    other_requests = f["open_requests"] - f["urgent_requests"]
    if other_requests:
        amber.append(f"{_plural(other_requests, 'unlock or renewal request')} waiting")
    if not f["unlocker_count"]:
        amber.append("no local smartcard unlocker covers this premises")
    if red:
        return Standing(RED, _sentence(red + amber), f)
    if amber:
        return Standing(AMBER, _sentence(amber), f)
    window = settings.SMARTCARD_RENEWAL_WINDOW_DAYS
    cards = f"{_plural(f['expiring_90'], 'certificate')} due for renewal within {window} days"
    return Standing(GREEN, f"Nothing waiting; {cards}", f)


def _sentence(parts):
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def work_out(premises_queryset: QuerySet[Premises], on: date) -> dict[int, Standing]:
    """{premises_id: Standing} for every premises of the queryset on day `on`: one query."""
    standings = {}
    for premises in premises_smartcard_figures(premises_queryset.order_by().only("pk"), on):
        figures = {name: getattr(premises, name) for name in FIGURES}
        figures["unlocker_on_site"] = premises.unlocker_on_site
        # Left out, not null, when nothing waits: SQLite reads a JSON null as "null".
        if premises.oldest_raised_at:
            figures["oldest_raised_at"] = premises.oldest_raised_at.isoformat()
        standings[premises.pk] = standing_from_figures(figures)
    return standings
