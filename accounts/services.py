"""Writes. Each service checks permission, changes state, records the audit event and
queues side effects on commit. Views and tasks call these; they hold no rules.

Each raises PermissionDenied when the actor lacks the permission (accounts.permissions,
docs/decisions/0001-roles-follow-what-users-hold.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import standings
from .audit import audit_record
from .emails import queue_email
from .models import (
    Invitation,
    Membership,
    Organisation,
    OrganisationAdmin,
    Premises,
    UnlockerCover,
    User,
    hash_invitation_token,
)
from .permissions import Permission, has_permission
from .validators import normalise_ods_code, normalise_postcode

if TYPE_CHECKING:
    from datetime import date


def _require(user, permission, obj=None):
    if not has_permission(user, permission, obj):
        raise PermissionDenied


def _cover_changed(premises, organisation):
    # Unlocker cover is part of the smartcards standing of every premises it covers.
    ids = [premises.pk] if premises else organisation.premises.values_list("pk", flat=True)
    standings.refresh_on_commit(ids, areas=["smartcards"])


def _staff_changed(premises):
    # Who works where feeds every area's standing (NHSmail counts, cards, readiness).
    standings.refresh_on_commit([premises.pk])


# --- Organisations and premises ----------------------------------------------------------


@transaction.atomic
def organisation_create(*, actor: User, name: str, kind: str) -> Organisation:
    """Create an organisation (kind: an Organisation.Kind value), name trimmed, and audit
    it. Portal admins only (Permission.MANAGE_ORGANISATIONS): PermissionDenied otherwise."""
    _require(actor, Permission.MANAGE_ORGANISATIONS)
    organisation = Organisation.objects.create(name=name.strip(), kind=kind)
    audit_record(
        actor=actor,
        action="organisation.created",
        obj=organisation,
        organisation=organisation,
        changes={"name": organisation.name, "kind": kind},
    )
    return organisation


PREMISES_FIELDS = (
    "ods_code",
    "name",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "region",
)


def _clean_premises_fields(fields):
    cleaned = dict(fields)
    if "ods_code" in cleaned:
        cleaned["ods_code"] = normalise_ods_code(cleaned["ods_code"])
    if "postcode" in cleaned:
        cleaned["postcode"] = normalise_postcode(cleaned["postcode"])
    return cleaned


@transaction.atomic
def premises_create(*, actor: User, organisation: Organisation, **fields: object) -> Premises:
    """Register a premises of the organisation from PREMISES_FIELDS (ODS code and postcode
    normalised), audit it and work out its standings on commit.

    Raises PermissionDenied without Permission.MANAGE_PREMISES on the organisation, and
    ValidationError for an ODS code already registered or a field the model refuses.
    """
    _require(actor, Permission.MANAGE_PREMISES, organisation)
    fields = _clean_premises_fields(fields)
    if Premises.objects.filter(ods_code=fields["ods_code"]).exists():
        raise ValidationError({"ods_code": "A premises with this ODS code is already registered"})
    premises = Premises(organisation=organisation, **fields)
    premises.full_clean()
    premises.save()
    audit_record(
        actor=actor,
        action="premises.created",
        obj=premises,
        premises=premises,
        changes={k: str(v) for k, v in fields.items()},
    )
    standings.refresh_on_commit([premises.pk])
    return premises


@transaction.atomic
def premises_update(*, actor: User, premises: Premises, **fields: object) -> Premises:
    """Change PREMISES_FIELDS of a premises, auditing {field: [old, new]}; the premises as
    it was when nothing changes. A new region refreshes its standings (the ICB trend).

    Raises PermissionDenied without Permission.MANAGE_PREMISES there, and ValidationError
    for an ODS code another premises holds or a field the model refuses.
    """
    _require(actor, Permission.MANAGE_PREMISES, premises)
    fields = _clean_premises_fields(fields)
    if (
        "ods_code" in fields
        and Premises.objects.filter(ods_code=fields["ods_code"]).exclude(pk=premises.pk).exists()
    ):
        raise ValidationError({"ods_code": "A premises with this ODS code is already registered"})
    changes = {}
    for name, value in fields.items():
        old = getattr(premises, name)
        if old != value:
            changes[name] = [str(old), str(value)]
            setattr(premises, name, value)
    if not changes:
        return premises
    premises.full_clean()
    premises.save()
    audit_record(
        actor=actor, action="premises.updated", obj=premises, premises=premises, changes=changes
    )
    if "region" in changes:
        # Today's trend counts the premises in its new ICB area.
        standings.refresh_on_commit([premises.pk])
    return premises


# --- Invitations and memberships ---------------------------------------------------------


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


@transaction.atomic
def membership_end(*, actor: User, membership: Membership, end_date: date) -> Membership:
    """End a membership on `end_date`, the first day the person no longer works there
    (docs/decisions/0002-memberships-and-invitations.md); audit it and refresh the
    premises' standings on commit. Never blocked by what it does to a standing
    (docs/decisions/0029-memberships-ending.md).

    Raises PermissionDenied without Permission.MANAGE_STAFF there, and ValidationError
    ({"end_date": ...}) when it already ended or the date is before its start.
    """
    _require(actor, Permission.MANAGE_STAFF, membership.premises)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.end_date is not None:
        raise ValidationError(
            {"end_date": f"This membership already ended on {membership.end_date:%-d %B %Y}"}
        )
    if end_date < membership.start_date:
        start = membership.start_date
        raise ValidationError(
            {"end_date": f"The end date must be on or after the start date, {start:%-d %B %Y}"}
        )
    membership.end_date = end_date
    membership.save(update_fields=["end_date"])
    audit_record(
        actor=actor,
        action="membership.ended",
        obj=membership,
        premises=membership.premises,
        changes={"user": membership.user.email, "end_date": end_date.isoformat()},
    )
    _staff_changed(membership.premises)
    return membership


@transaction.atomic
def membership_change_role(
    *, actor: User, membership: Membership, job_role: str, is_manager: bool
) -> Membership:
    """Set a membership's job role (a Membership.JobRole value) and manager flag, auditing
    {field: [old, new]} and refreshing standings; unchanged when nothing differs. Raises
    PermissionDenied without Permission.MANAGE_STAFF there."""
    _require(actor, Permission.MANAGE_STAFF, membership.premises)
    changes = {}
    if membership.job_role != job_role:
        changes["job_role"] = [membership.job_role, job_role]
    if membership.is_manager != is_manager:
        changes["is_manager"] = [membership.is_manager, is_manager]
    if not changes:
        return membership
    membership.job_role = job_role
    membership.is_manager = is_manager
    membership.save(update_fields=["job_role", "is_manager"])
    audit_record(
        actor=actor,
        action="membership.role_changed",
        obj=membership,
        premises=membership.premises,
        changes=changes,
    )
    _staff_changed(membership.premises)
    return membership


# --- Head office and unlocker cover ------------------------------------------------------


@transaction.atomic
def organisation_admin_add(
    *, actor: User, organisation: Organisation, user: User
) -> OrganisationAdmin:
    """Make the user a head-office admin of the organisation (audited once; the existing
    row when they already are). Raises PermissionDenied without
    Permission.MANAGE_ORGANISATIONS."""
    _require(actor, Permission.MANAGE_ORGANISATIONS)
    admin, created = OrganisationAdmin.objects.get_or_create(organisation=organisation, user=user)
    if created:
        audit_record(
            actor=actor,
            action="organisation_admin.added",
            obj=admin,
            organisation=organisation,
            changes={"user": user.email},
        )
    return admin


@transaction.atomic
def unlocker_cover_add(
    *,
    actor: User,
    unlocker: User,
    premises: Premises | None = None,
    organisation: Organisation | None = None,
) -> UnlockerCover:
    """Let the unlocker work the queue of one premises or of every premises of one
    organisation (audited once; the existing row when already held); refreshes the
    smartcards standing of what it covers.

    Raises ValueError unless exactly one of premises and organisation is given, and
    PermissionDenied without Permission.MANAGE_UNLOCKER_COVER.
    """
    if (premises is None) == (organisation is None):
        raise ValueError("Cover is for one premises or one organisation")
    _require(actor, Permission.MANAGE_UNLOCKER_COVER)
    cover, created = UnlockerCover.objects.get_or_create(
        unlocker=unlocker, premises=premises, organisation=organisation
    )
    if created:
        audit_record(
            actor=actor,
            action="unlocker_cover.added",
            obj=cover,
            premises=premises,
            organisation=organisation or (premises.organisation if premises else None),
            changes={"unlocker": unlocker.email},
        )
        _cover_changed(premises, organisation)
    return cover


@transaction.atomic
def unlocker_cover_remove(*, actor: User, cover: UnlockerCover) -> None:
    """Delete an unlocker cover row, audited, refreshing the smartcards standing of what
    it covered. Raises PermissionDenied without Permission.MANAGE_UNLOCKER_COVER."""
    _require(actor, Permission.MANAGE_UNLOCKER_COVER)
    audit_record(
        actor=actor,
        action="unlocker_cover.removed",
        obj=cover,
        premises=cover.premises,
        organisation=cover.organisation
        or (cover.premises.organisation if cover.premises else None),
        changes={"unlocker": cover.unlocker.email},
    )
    _cover_changed(cover.premises, cover.organisation)
    cover.delete()
