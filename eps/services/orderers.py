"""The people linked to the premises' PCSE Online account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.actions import enforce
from accounts.models import Membership

from .. import actions
from ..actions import OrdererAction
from ..models import PcseOrderer
from ._shared import _audit

if TYPE_CHECKING:
    from accounts.models import Premises, User


@transaction.atomic
def pcse_orderer_add(*, actor: User, premises: Premises, user: User) -> PcseOrderer:
    """Record that PCSE linked `user`, who works at the premises, to its PCSE Online
    account (eps.actions decides who may)."""
    enforce(actions.check_orderers(actor, OrdererAction.ADD, premises))
    if not Membership.objects.current().filter(premises=premises, user=user).exists():
        raise ValidationError({"user": f"{user.full_name} does not work at {premises.name}"})
    if PcseOrderer.objects.filter(premises=premises, user=user).exists():
        raise ValidationError(
            {"user": f"{user.full_name} is already linked to the PCSE Online account"}
        )
    orderer = PcseOrderer.objects.create(premises=premises, user=user, added_by=actor)
    _audit(
        actor=actor,
        action="tokens.pcse_orderer_added",
        obj=orderer,
        premises=premises,
        changes={"user": user.email},
    )
    return orderer


@transaction.atomic
def pcse_orderer_remove(*, actor: User, orderer: PcseOrderer) -> None:
    """Unlink a person from the premises' PCSE Online account, audited. Raises
    PermissionDenied without Permission.MANAGE_TOKENS there."""
    enforce(actions.check_orderers(actor, OrdererAction.REMOVE, orderer.premises))
    _audit(
        actor=actor,
        action="tokens.pcse_orderer_removed",
        obj=orderer,
        premises=orderer.premises,
        changes={"user": orderer.user.email},
    )
    orderer.delete()
