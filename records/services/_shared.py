"""What the records services share: the permission check, dates in words, and the
earliest date training can carry."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied

from accounts.permissions import has_permission

# Nothing recorded about SCR training or an SGP can predate SCR in community pharmacy.
EARLIEST_TRAINING_DATE = datetime.date(2010, 1, 1)


def _require(user, permission, obj=None):
    if not has_permission(user, permission, obj):
        raise PermissionDenied


def _day(value):
    return f"{value:%-d %B %Y}"


def _check_training_date(value, field, *, today):
    if value is None:
        return None
    if value > today:
        return {field: "The training date must be today or in the past"}
    if value < EARLIEST_TRAINING_DATE:
        return {field: f"Enter a training date from {_day(EARLIEST_TRAINING_DATE)} onwards"}
    return None


def _audit_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
