"""What the EPS services share: the settings and order locks, audit with the standing
refresh, checks of token numbers and dates."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError

from accounts import standings
from accounts.audit import audit_record
from accounts.permissions import has_permission

from .. import selectors
from ..models import StockMovement, TokenOrder, TokenSettings
from ..selectors import AREA
from ..validators import MAX_TOKENS

Kind = StockMovement.Kind
Status = TokenOrder.Status

# How far back a movement may be dated: older corrections are a count adjustment today.
MAX_BACKDATE_DAYS = 90


def _audit(**event):
    """Audit a change to a premises' tokens; its EPS standing follows once it commits."""
    audit_record(**event)
    standings.refresh_on_commit([event["premises"].pk], areas=[AREA])


def _require(user, permission, premises):
    if not has_permission(user, permission, premises):
        raise PermissionDenied


def _fmt(day):
    return f"{day:%-d %B %Y}"


def _check_tokens(field, value, noun="tokens"):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: f"Enter the number of {noun} as a whole number"})
    if value < 1:
        raise ValidationError({field: f"Enter a number of {noun} of 1 or more"})
    if value > MAX_TOKENS:
        raise ValidationError({field: f"Enter a number of {noun} of {MAX_TOKENS:,} or fewer"})


def _check_recent_date(field, day, today, what):
    if day > today:
        raise ValidationError({field: f"The {what} must be today or in the past"})
    if day < today - timedelta(days=MAX_BACKDATE_DAYS):
        raise ValidationError(
            {field: f"The {what} must be within the last {MAX_BACKDATE_DAYS} days"}
        )


def _lock_settings(premises):
    """The premises' settings row, locked for the rest of the transaction."""
    TokenSettings.objects.get_or_create(premises=premises)
    return TokenSettings.objects.select_for_update().get(premises=premises)


def _lock_order(order):
    return TokenOrder.objects.select_for_update().select_related("premises").get(pk=order.pk)


def _end_episode_if_recovered(settings_row):
    """A low-stock episode ends when stock is back above the reorder point."""
    if settings_row.low_stock_alerted_at is None:
        return
    if not selectors.token_figures_for(settings_row.premises).is_low:
        settings_row.low_stock_alerted_at = None
        settings_row.save(update_fields=["low_stock_alerted_at"])
