"""Reads for EPS tokens, scoped to what the user may see.

`token_figures` is the one place stock, daily use and days of cover are read: for one
premises' page, for a head office's 2,000 premises, for the low-stock job. It takes a
premises queryset the caller has already scoped and answers in one query, whatever the
number of premises; what the figures mean (days of cover, low, order by) is eps.cover's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Lower
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts import standings
from accounts.models import Membership, Premises, PremisesStanding
from accounts.permissions import Permission, has_permission, scope_for
from accounts.selectors import organisations_for_user, premises_for_user

from . import cover
from .cover import USAGE_WINDOW_DAYS
from .models import (
    OrderEscalation,
    PcseOrderer,
    StockMovement,
    TokenOrder,
    TokenSettings,
    default_settings,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from accounts.models import Organisation, User

AREA = "eps"

Kind = StockMovement.Kind
Status = TokenOrder.Status


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
    @property
    def has_usage(self):
        return self.days_of_cover is not None

    @property
    def daily_use(self):
        return cover.daily_use(self.usage_tokens, self.usage_days)

    @property
    def reorder_days(self):
        return cover.reorder_days(self.lead_time_days, self.safety_margin_days)

    @property
    def run_out_on(self):
        return cover.run_out_on(self.today, self.days_of_cover)

    @property
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


def with_standings(figures_list: Iterable[TokenFigures]) -> list[TokenFigures]:
    """Attach each premises' stored EPS standing (made current first) to its figures, for
    the status column and the home panel: a fixed number of queries."""
    return standings.attach(figures_list, AREA, premises_id=lambda figures: figures.premises.pk)


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


# --- Premises-level reads ------------------------------------------------------------------


def token_premises_get(
    user: User, pk: int, permission: Permission = Permission.VIEW_TOKENS
) -> Premises:
    """One premises where the user holds `permission` (viewing tokens by default). Raises
    Http404 otherwise."""
    return get_object_or_404(premises_for_user(user, permission), pk=pk)


def token_settings_for(premises: Premises) -> TokenSettings:
    """The premises' settings row, or an unsaved one holding the defaults."""
    return TokenSettings.objects.filter(premises=premises).first() or TokenSettings(
        premises=premises
    )


def movements_for_premises(user: User, premises: Premises) -> QuerySet[StockMovement]:
    """The premises' stock ledger (usage, deliveries, adjustments), newest first, with
    recorder and order joined, for someone who may view its tokens; none otherwise
    (docs/decisions/0012-eps-stock-ledger.md)."""
    if not has_permission(user, Permission.VIEW_TOKENS, premises):
        return StockMovement.objects.none()
    return StockMovement.objects.filter(premises=premises).select_related("recorded_by", "order")


def stock_history(
    premises: Premises, *, today: date | None = None, days: int = USAGE_WINDOW_DAYS
) -> list[tuple[date, int]]:
    """[(day, tokens in stock at the end of that day)] for the last `days` days."""
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    movements = StockMovement.objects.filter(premises=premises)
    opening = movements.filter(occurred_on__lt=start).aggregate(total=Sum("quantity"))["total"]
    changes = dict(
        movements.filter(occurred_on__gte=start, occurred_on__lte=today)
        .order_by()
        .values_list("occurred_on")
        .annotate(delta=Sum("quantity"))
    )
    stock = opening or 0
    history = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        stock += changes.get(day, 0)
        history.append((day, stock))
    return history


def orders_for_user(
    user: User, permission: Permission = Permission.VIEW_TOKENS
) -> QuerySet[TokenOrder]:
    """Token orders at premises where the user holds `permission`, with premises,
    organisation, requester and placer joined."""
    scope = scope_for(user)
    return TokenOrder.objects.filter(
        scope.premises_filter(permission, prefix="premises__")
    ).select_related("premises", "premises__organisation", "requested_by", "placed_by")


def open_orders_for_premises(user: User, premises: Premises) -> QuerySet[TokenOrder]:
    """The premises' orders still open (TokenOrder.OPEN_STATUSES: draft or placed) the user
    may see, newest first."""
    return orders_for_user(user).filter(premises=premises, status__in=TokenOrder.OPEN_STATUSES)


def recent_closed_orders_for_premises(
    user: User, premises: Premises, limit: int = 5
) -> QuerySet[TokenOrder]:
    """The premises' last `limit` received or cancelled orders the user may see, newest
    first."""
    return (
        orders_for_user(user)
        .filter(premises=premises)
        .exclude(status__in=TokenOrder.OPEN_STATUSES)[:limit]
    )


def order_get(user: User, pk: int) -> TokenOrder:
    """One order from orders_for_user. Raises Http404 for one out of the user's sight."""
    return get_object_or_404(orders_for_user(user), pk=pk)


def is_pcse_orderer(
    user: User | AnonymousUser, premises: Premises, *, today: date | None = None
) -> bool:
    """Whether the user works at the premises on `today` (today when None) and is linked to
    its PCSE Online account; False when not signed in."""
    if not user.is_authenticated:
        return False
    return (
        Membership.objects.current(today)
        .filter(premises=premises, user=user, user__pcse_orderer_links__premises=premises)
        .exists()
    )


def can_handle_orders(user: User, premises: Premises) -> bool:
    """Managers, head office and admins; and staff linked to the premises' PCSE Online
    account, who are the people placing the orders (docs/decisions/0010-eps-permissions.md)."""
    if has_permission(user, Permission.MANAGE_TOKENS, premises):
        return True
    return has_permission(user, Permission.VIEW_TOKENS, premises) and is_pcse_orderer(
        user, premises
    )


def order_get_for_handling(user: User, pk: int) -> TokenOrder:
    """An order the user may place, receive, cancel or chase (can_handle_orders). Raises
    Http404 for anything else."""
    order = order_get(user, pk)
    if not can_handle_orders(user, order.premises):
        raise Http404
    return order


def escalations_for_order(order: TokenOrder) -> QuerySet[OrderEscalation]:
    """The chases of an order with PCSE, newest first, with who chased joined. The
    caller has fetched the order through a scoped selector."""
    return OrderEscalation.objects.filter(order=order).select_related("escalated_by")


def pcse_orderers_for_premises(
    user: User, premises: Premises, *, today: date | None = None
) -> QuerySet[PcseOrderer]:
    """The people linked to the premises' PCSE account, with user and adder joined, each
    annotated `works_here` (bool: still works there on `today`; only those count towards
    the two the guidance asks for, docs/decisions/0008-eps-pcse-contacts.md); none for
    someone who may not view its tokens."""
    if not has_permission(user, Permission.VIEW_TOKENS, premises):
        return PcseOrderer.objects.none()
    current = Membership.objects.current(today).filter(user=OuterRef("user"), premises=premises)
    return (
        PcseOrderer.objects.filter(premises=premises)
        .select_related("user", "added_by")
        .annotate(works_here=Exists(current))
    )


def pcse_orderer_get(user: User, pk: int) -> PcseOrderer:
    """One PCSE orderer link at a premises where the user may manage tokens, with user,
    premises and organisation joined. Raises Http404 otherwise."""
    scope = scope_for(user)
    return get_object_or_404(
        PcseOrderer.objects.filter(
            scope.premises_filter(Permission.MANAGE_TOKENS, prefix="premises__")
        ).select_related("user", "premises", "premises__organisation"),
        pk=pk,
    )


def staff_who_could_order(premises: Premises, *, today: date | None = None) -> QuerySet[Membership]:
    """Current staff at the premises (on `today`, today when None) not yet linked to its
    PCSE account, by name with user joined: the add-orderer form's choices."""
    return (
        Membership.objects.current(today)
        .filter(premises=premises)
        .exclude(user__pcse_orderer_links__premises=premises)
        .select_related("user")
        .order_by("user__full_name")
    )


# --- Lists across premises -----------------------------------------------------------------


def own_premises_figures(user: User, *, today: date | None = None) -> list[TokenFigures]:
    """TokenFigures, with their stored standing, for the premises the user works at (the
    home page and the tokens page); [] for someone who works nowhere."""
    staff_premises_ids = scope_for(user).staff_premises_ids
    if not staff_premises_ids:
        return []
    premises = premises_for_user(user, Permission.VIEW_TOKENS).filter(pk__in=staff_premises_ids)
    return with_standings(token_figures(premises, today=today))


def token_alerts_for_user(user: User, *, today: date | None = None) -> list[TokenFigures]:
    """The user's own premises' TokenFigures whose EPS standing is short of green (or not
    worked out)."""
    return [
        figures
        for figures in own_premises_figures(user, today=today)
        if figures.standing is None or not figures.standing.is_best
    ]


def token_organisations_for_user(user: User) -> QuerySet[Organisation]:
    """Organisations whose token pages the user may see (head office, portal admins), by name."""
    return organisations_for_user(user, Permission.VIEW_TOKENS)


def organisation_token_figures(
    user: User, organisation: Organisation, *, today: date | None = None
) -> list[TokenFigures]:
    """Every premises of an organisation the user may see tokens for, with figures and
    stored standing."""
    premises = premises_for_user(user, Permission.VIEW_TOKENS).filter(organisation=organisation)
    return with_standings(token_figures(premises, today=today))


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


def home_panel(user: User) -> dict[str, list[TokenFigures]] | None:
    """The home page's EPS panel: {"alerts": [TokenFigures]} for the user's premises that
    need something doing about tokens, or None when there is nothing to say."""
    alerts = token_alerts_for_user(user)
    return {"alerts": alerts} if alerts else None


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
