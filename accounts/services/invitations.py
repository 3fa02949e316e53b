"""Invitations: inviting someone to a premises or an organisation, and accepting."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..audit import audit_record
from ..emails import queue_email
from ..models import Invitation, Membership, Premises, User, hash_invitation_token
from ..permissions import Permission
from ._shared import _require, _staff_changed


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    premises: Premises,
    email: str,
    full_name: str,
    job_role: str,
    is_manager: bool = False,
) -> tuple[Invitation, str | None]:
    """Invite a person to work at a premises.

    A person who already has an account is added at once (they sign in as usual) and told
    by email; a new person gets a single-use link to set their password. Either way the
    invitation is kept as the record of who asked for the membership
    (docs/decisions/0002-memberships-and-invitations.md). Returns (invitation, token): the
    token for the emailed link, None when an existing account was added at once. The link
    lasts settings.INVITATION_VALID_DAYS days.

    Raises PermissionDenied without Permission.MANAGE_STAFF there, and ValidationError
    ({"email": ...}) when the person already works there.
    """
    _require(actor, Permission.MANAGE_STAFF, premises)
    email = User.objects.normalize_email(email).strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if (
        existing
        and Membership.objects.filter(
            user=existing, premises=premises, end_date__isnull=True
        ).exists()
    ):
        raise ValidationError({"email": f"{existing.full_name} already works at {premises.name}"})
    now = timezone.now()
    # A fresh invitation replaces any earlier unanswered one for the same person and place.
    Invitation.objects.filter(
        email=email, premises=premises, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        email=email,
        full_name=full_name.strip(),
        premises=premises,
        job_role=job_role,
        is_manager=is_manager,
        invited_by=actor,
        token_hash=hash_invitation_token(token),
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    audit_record(
        actor=actor,
        action="invitation.created",
        obj=invitation,
        premises=premises,
        changes={"email": email, "job_role": job_role, "is_manager": is_manager},
    )
    if existing and existing.is_active:
        membership = _membership_add(
            user=existing, invitation=invitation, actor=actor, accepted_at=now
        )
        queue_email(
            to=email,
            subject=f"You have been added to {premises.name} on the Pharmacy Digital Portal",
            template="accounts/emails/added_to_premises.txt",
            context={"membership": membership, "invited_by": actor},
        )
        return invitation, None
    queue_email(
        to=email,
        subject=f"Join {premises.name} on the Pharmacy Digital Portal",
        template="accounts/emails/invitation.txt",
        context={"invitation": invitation, "token": token, "invited_by": actor},
    )
    return invitation, token


def _membership_add(*, user, invitation, actor, accepted_at):
    invitation.accepted_at = accepted_at
    invitation.save(update_fields=["accepted_at"])
    # Dates the invitation carries (a locum booked for a month) are the membership's; a
    # blank start is the day of acceptance, but never after the booked end.
    start = invitation.start_date or timezone.localdate()
    if invitation.end_date and not invitation.start_date:
        start = min(start, invitation.end_date)
    membership = Membership.objects.create(
        user=user,
        premises=invitation.premises,
        job_role=invitation.job_role,
        is_manager=invitation.is_manager,
        start_date=start,
        end_date=invitation.end_date,
    )
    audit_record(
        actor=actor,
        action="membership.created",
        obj=membership,
        premises=invitation.premises,
        changes={
            "user": user.email,
            "job_role": membership.job_role,
            "is_manager": membership.is_manager,
        },
    )
    _staff_changed(invitation.premises)
    return membership


class InvitationUnusable(Exception):
    """The link was used, withdrawn or has expired: the message says which."""


def invitation_for_token(token: str | None) -> Invitation:
    """The invitation an emailed link's token names, with premises and organisation
    joined. Raises InvitationUnusable, its message for the person, when the token is
    unknown or the invitation was used, replaced or has expired."""
    invitation = (
        Invitation.objects.select_related("premises", "premises__organisation")
        .filter(token_hash=hash_invitation_token(token or ""))
        .first()
    )
    if invitation is None:
        raise InvitationUnusable("This invitation link is not valid. Check you copied all of it.")
    if invitation.accepted_at:
        raise InvitationUnusable("This invitation has already been used. Sign in instead.")
    if invitation.revoked_at:
        raise InvitationUnusable(
            "This invitation was replaced by a newer one. Use the link in the latest email."
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable(
            "This invitation has expired. Ask your manager or head office to invite you again."
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, full_name: str, password: str) -> tuple[User, Membership]:
    """Create the invited person's account with this password and add their membership
    (dates the invitation carries): (user, membership).

    Raises InvitationUnusable (see invitation_for_token, or an account with the email
    already exists) and ValidationError for a password the validators refuse.
    """
    invitation = invitation_for_token(token)
    # Lock the row so a double-submitted form cannot accept the invitation twice.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise InvitationUnusable("This invitation has already been used. Sign in instead.")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationUnusable("An account with this email already exists. Sign in instead.")
    user = User(email=invitation.email, full_name=full_name.strip())
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise InvitationUnusable(
            "An account with this email already exists. Sign in instead."
        ) from exc
    audit_record(actor=user, action="user.created", obj=user, premises=invitation.premises)
    membership = _membership_add(
        user=user, invitation=invitation, actor=user, accepted_at=timezone.now()
    )
    return user, membership
