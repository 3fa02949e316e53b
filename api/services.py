"""Writes for API tokens: create (the token is returned once), revoke, and last-used.

docs/decisions/0004-api-tokens-and-sync.md records the choices.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.permissions import has_permission

from .models import ApiToken, hash_api_token
from .selectors import TOKEN_PERMISSION

if TYPE_CHECKING:
    from datetime import datetime

    from accounts.models import Organisation, User

# Recording every request's time would make each API call a write; a minute is precise
# enough to tell a token in use from one left behind.
LAST_USED_PRECISION = timedelta(minutes=1)


def _require(actor, organisation):
    if not has_permission(actor, TOKEN_PERMISSION, organisation):
        raise PermissionDenied


@transaction.atomic
def token_create(
    *, actor: User, organisation: Organisation, name: str, valid_days: int
) -> tuple[ApiToken, str]:
    """Create an API token for the organisation, valid for `valid_days` days, audited:
    (api_token, token). The token text is given here once; only its hash is stored.

    Raises PermissionDenied without TOKEN_PERMISSION on the organisation (head office and
    portal admins), and ValidationError ({"name": ...}) for a blank name.
    """
    _require(actor, organisation)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Enter a name for the token"})
    now = timezone.now()
    token = ApiToken.new_token()
    api_token = ApiToken.objects.create(
        organisation=organisation,
        name=name,
        token_hash=hash_api_token(token),
        token_prefix=token[:12],
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    audit_record(
        actor=actor,
        action="api_token.created",
        obj=api_token,
        organisation=organisation,
        changes={"name": name, "expires_at": api_token.expires_at.isoformat()},
    )
    return api_token, token


@transaction.atomic
def token_revoke(*, actor: User, api_token: ApiToken) -> ApiToken:
    """Revoke an API token now, audited; it answers 401 from then on. Raises
    PermissionDenied without TOKEN_PERMISSION on its organisation, and ValidationError
    when it was already revoked."""
    _require(actor, api_token.organisation)
    api_token = ApiToken.objects.select_for_update().get(pk=api_token.pk)
    if api_token.revoked_at is not None:
        raise ValidationError("This token was already revoked")
    api_token.revoked_at = timezone.now()
    api_token.revoked_by = actor
    api_token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        action="api_token.revoked",
        obj=api_token,
        organisation=api_token.organisation,
        changes={"name": api_token.name},
    )
    return api_token


def token_touch(api_token: ApiToken, now: datetime | None = None) -> None:
    """Record that the token was used at `now` (default: now), at most once a minute
    (LAST_USED_PRECISION) so most API calls write nothing."""
    now = now or timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        api_token.last_used_at = now
