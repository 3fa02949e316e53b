"""Stock, daily use and days of cover of many premises in one query: TokenFigures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts import standings
from accounts.models import Membership, Premises
from accounts.permissions import Permission
from accounts.selectors import premises_for_user

from .. import cover
from ..cover import USAGE_WINDOW_DAYS
from ..models import PcseOrderer, StockMovement, TokenOrder, default_settings
from ._shared import AREA, Kind, Status

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet

    from accounts.models import User


@dataclass
class TokenFigures:
    """Stock, usage and orders of one premises on one day, and what follows from them."""

    premises: Premises
    today: date
    stock: int
    # Tokens used in the usage window, and the days that usage covers.
    usage_tokens: int
    usage_from: date | None
    usage_to: date | None
    pack_size: int
    lead_time_days: int
    safety_margin_days: int
    open_orders: int
    placed_orders: int
    overdue_orders: int
    orderers: int
    low_stock_alerted_at: datetime | None = None
    usage_days: int | None = field(init=False)
    days_of_cover: int | None = field(init=False)
    # The stored EPS standing (accounts.standings.StoredStanding), for pages: with_standings.
    standing: object = field(default=None, compare=False)

    def __post_init__(self):
        self.usage_days = cover.usage_days(self.usage_tokens, self.usage_from, self.usage_to)
        self.days_of_cover = cover.days_of_cover(self.stock, self.usage_tokens, self.usage_days)

    # Each figure below is the days-of-cover rule's (eps.cover), from this premises' own.
    # The dates walk the bank-holiday calendar: worked out once, as a CSV row reads them
    # more than once.
    @property
    def has_usage(self):
        return self.days_of_cover is not None

    @property
    def daily_use(self):
        return cover.daily_use(self.usage_tokens, self.usage_days)

    @cached_property
    def reorder_days(self):
        return cover.reorder_days(self.lead_time_days, self.safety_margin_days)

    @cached_property
    def run_out_on(self):
        return cover.run_out_on(self.today, self.days_of_cover)

    @cached_property
    def order_by(self):
        return cover.order_by(self.run_out_on, self.reorder_days)

    @property
    def bank_holidays_ahead(self):
        return cover.bank_holidays_ahead(self.today, self.run_out_on)

    @property
    def order_now(self):
        return cover.order_now(self.order_by, self.today)

    @property
    def is_low(self):
        return cover.is_low(self.days_of_cover, self.reorder_days)

    @property
    def reorder_level(self):
        return cover.reorder_level(self.usage_tokens, self.usage_days, self.reorder_days)

    @property
    def needs_alert(self):
        return cover.needs_alert(self.is_low, self.placed_orders)

    def suggested_packs(self):
        return cover.suggested_packs(
            self.stock, self.usage_tokens, self.usage_days, self.reorder_days, self.pack_size
        )


def _value(queryset, aggregate):
    """One aggregate of a premises' rows, as a correlated subquery."""
    return Subquery(queryset.annotate(value=aggregate).values("value")[:1])


def _count(queryset):
    return Coalesce(_value(queryset, Count("pk")), Value(0))


def token_figures(
    premises_qs: QuerySet[Premises], *, today: date | None = None
) -> list[TokenFigures]:
    """TokenFigures for every premises of a queryset the caller has scoped: one query,
    whatever the number of premises.

    Every figure is a correlated subquery on an indexed premises column, so the database
    reads each premises' rows once; there is no GROUP BY over the joined ledger, which
    would make it evaluate the order counts once per movement.
    """
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=USAGE_WINDOW_DAYS - 1)
    movements = StockMovement.objects.filter(premises=OuterRef("pk")).order_by().values("premises")
    usage = movements.filter(kind=Kind.USAGE, occurred_on__gte=cutoff, occurred_on__lte=today)
    orders = TokenOrder.objects.filter(premises=OuterRef("pk")).order_by().values("premises")
    current_member = Membership.objects.current(today).filter(
        user=OuterRef("user"), premises=OuterRef("premises")
    )
    orderers = (
        PcseOrderer.objects.filter(premises=OuterRef("pk"))
        .filter(Exists(current_member))
        .order_by()
        .values("premises")
    )
    rows = premises_qs.annotate(
        stock_total=Coalesce(_value(movements, Sum("quantity")), Value(0)),
        usage_total=Coalesce(_value(usage, Sum("quantity")), Value(0)),
        usage_first=_value(usage, Min("covers_from")),
        usage_last=_value(usage, Max("occurred_on")),
        settings_pack_size=F("token_settings__pack_size"),
        settings_lead_time=F("token_settings__lead_time_days"),
        settings_safety_margin=F("token_settings__safety_margin_days"),
        settings_alerted_at=F("token_settings__low_stock_alerted_at"),
        open_orders=_count(orders.filter(status__in=TokenOrder.OPEN_STATUSES)),
        placed_orders=_count(orders.filter(status=Status.PLACED)),
        overdue_orders=_count(orders.filter(status=Status.PLACED, expected_delivery_on__lt=today)),
        orderers=_count(orderers),
    )
    defaults = default_settings()
    return [
        TokenFigures(
            premises=row,
            today=today,
            stock=row.stock_total,
            usage_tokens=-row.usage_total,
            usage_from=row.usage_first,
            usage_to=row.usage_last,
            pack_size=row.settings_pack_size or defaults["pack_size"],
            lead_time_days=row.settings_lead_time or defaults["lead_time_days"],
            safety_margin_days=(
                defaults["safety_margin_days"]
                if row.settings_safety_margin is None
                else row.settings_safety_margin
            ),
            open_orders=row.open_orders,
            placed_orders=row.placed_orders,
            overdue_orders=row.overdue_orders,
            orderers=row.orderers,
            low_stock_alerted_at=row.settings_alerted_at,
        )
        for row in rows
    ]


def token_figures_for(premises: Premises, *, today: date | None = None) -> TokenFigures:
    """The TokenFigures of one premises on `today` (today when None): one query. Unscoped:
    the caller has fetched the premises through a scoped selector."""
    return token_figures(Premises.objects.filter(pk=premises.pk), today=today)[0]


def token_figures_get(
    user: User,
    pk: int,
    permission: Permission = Permission.VIEW_TOKENS,
    *,
    today: date | None = None,
) -> TokenFigures:
    """The TokenFigures of one premises where the user holds `permission` (viewing tokens
    by default), on `today` (today when None), its premises with organisation and region
    joined: one query. Raises Http404 otherwise."""
    found = token_figures(premises_for_user(user, permission).filter(pk=pk), today=today)
    if not found:
        raise Http404
    return found[0]


def with_standings(figures_list: Iterable[TokenFigures]) -> list[TokenFigures]:
    """Attach each premises' stored EPS standing (made current first) to its figures, for
    the status column and the home panel: a fixed number of queries."""
    return standings.attach(figures_list, AREA, premises_id=lambda figures: figures.premises.pk)
