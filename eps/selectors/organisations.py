"""The head-office pages: organisations, their premises' figures, the sorted table
read from stored standings, and its totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Count, F, IntegerField, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Lower
from django.shortcuts import get_object_or_404

from accounts import standings
from accounts.models import Premises, PremisesStanding
from accounts.permissions import Permission
from accounts.selectors import organisations_for_user, premises_for_user

from ._shared import AREA
from .figures import TokenFigures, token_figures, with_standings

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from django.db.models import QuerySet

    from accounts.models import Organisation, User


# --- Sorting the head-office table ---------------------------------------------------------

_LAST = float("inf")

SORTS = {
    "name": ("Premises", lambda f: (f.premises.name.lower(), f.premises.pk)),
    "ods": ("ODS code", lambda f: f.premises.ods_code),
    "stock": ("Tokens in stock", lambda f: (f.stock, f.premises.name.lower())),
    "days": (
        "Days of cover",
        lambda f: (_LAST if f.days_of_cover is None else f.days_of_cover, f.premises.name),
    ),
    "orders": ("Open orders", lambda f: (f.open_orders, f.premises.name.lower())),
    "orderers": ("PCSE orderers", lambda f: (f.orderers, f.premises.name.lower())),
}
DEFAULT_SORT = "days"


def parse_sort(value: str | None) -> tuple[str, bool]:
    """("days", False) from "days", ("days", True) from "-days"; unknown gives the default."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.lstrip("-")
    if key not in SORTS:
        return DEFAULT_SORT, False
    return key, descending


def sort_figures(
    figures: Iterable[TokenFigures], key: str, descending: bool = False
) -> list[TokenFigures]:
    """The figures sorted by a SORTS key (as parse_sort gives it; KeyError for another);
    premises without usage last when sorting by days of cover."""
    return sorted(figures, key=SORTS[key][1], reverse=descending)


def token_organisations_for_user(user: User) -> QuerySet[Organisation]:
    """Organisations whose token pages the user may see (head office, portal admins), by name."""
    return organisations_for_user(user, Permission.VIEW_TOKENS)


def organisation_token_figures(
    user: User,
    organisation: Organisation,
    *,
    today: date | None = None,
    with_standing: bool = True,
) -> list[TokenFigures]:
    """Every premises of an organisation the user may see tokens for, with figures and
    (unless with_standing is False: the CSV, which shows none) stored standing."""
    premises = premises_for_user(user, Permission.VIEW_TOKENS).filter(organisation=organisation)
    figures = token_figures(premises, today=today)
    return with_standings(figures) if with_standing else figures


def token_organisation_get(user: User, pk: int) -> Organisation:
    """One organisation from token_organisations_for_user. Raises Http404 otherwise."""
    return get_object_or_404(token_organisations_for_user(user), pk=pk)


def organisation_summary(figures: Sequence[TokenFigures]) -> dict[str, int]:
    """Counts over figures carrying their standing (with_standings): {"premises", "low",
    "overdue", "too_few_orderers", "no_usage"}, each a number of premises."""
    return {
        "premises": len(figures),
        "low": sum(1 for f in figures if f.is_low),
        "overdue": sum(1 for f in figures if f.overdue_orders),
        "too_few_orderers": sum(
            1 for f in figures if f.standing and f.standing["too_few_orderers"]
        ),
        "no_usage": sum(1 for f in figures if not f.has_usage),
    }


# --- The head-office table, from the stored standings ----------------------------------------


@dataclass(frozen=True)
class StoredTokenRow:
    """One premises' row of the head-office table, read from its stored EPS standing
    (eps/standing.py keeps the figures there current): no ledger is summed to show it."""

    premises: Premises
    standing: object  # accounts.standings.StoredStanding

    def __getattr__(self, name):
        # stock, days_of_cover, has_usage, open_orders, orderers, ... as TokenFigures has.
        try:
            return self.standing.figures[name]
        except KeyError:
            raise AttributeError(name) from None


def _figure(name):
    return Cast(KT(f"figures__{name}"), IntegerField())


def _stored_order(key, descending):
    """ORDER BY terms giving SORTS' order over stored standings, in the database."""
    name = Lower("premises__name")
    terms = {
        "name": [name, F("premises_id")],
        "ods": [F("premises__ods_code")],
        "stock": [_figure("stock"), name],
        "days": [_figure("days_of_cover"), F("premises__name")],
        "orders": [_figure("open_orders"), name],
        "orderers": [_figure("orderers"), name],
    }[key]
    if descending:
        # Python's reverse sort puts unknown days of cover first.
        return [term.desc(nulls_first=True) for term in terms]
    return [term.asc(nulls_last=True) for term in terms]


def organisation_token_table(
    user: User, organisation: Organisation, sort: str = DEFAULT_SORT, descending: bool = False
) -> tuple[QuerySet[PremisesStanding], dict[str, int]]:
    """The head-office table of an organisation's premises the user may see tokens for:
    (a queryset of their stored EPS standings in the order asked, with the premises,
    for a Paginator; the summary counts over all of them). Made current first; a fixed
    number of queries whatever the number of premises. Turn a page's standings into
    rows with `stored_token_rows`. sort: a SORTS key (KeyError for another); summary:
    {"premises", "low", "overdue", "too_few_orderers", "no_usage"}, numbers of premises."""
    premises = premises_for_user(user, Permission.VIEW_TOKENS).filter(organisation=organisation)
    standings.ensure_current(premises)
    rows = PremisesStanding.objects.filter(
        area=AREA, premises__in=premises.order_by().values("pk")
    ).select_related("premises")
    summary = rows.aggregate(
        premises=Count("pk"),
        low=Count("pk", filter=Q(figures__is_low=True)),
        overdue=Count("pk", filter=Q(figures__overdue_orders__gt=0)),
        too_few_orderers=Count("pk", filter=Q(figures__too_few_orderers=True)),
        no_usage=Count("pk", filter=Q(figures__has_usage=False)),
    )
    return rows.order_by(*_stored_order(sort, descending)), summary


def stored_token_rows(page_standings: Iterable[PremisesStanding]) -> list[StoredTokenRow]:
    """StoredTokenRows for a page of organisation_token_table's standings."""
    return [StoredTokenRow(row.premises, standings.stored_standing(row)) for row in page_standings]
