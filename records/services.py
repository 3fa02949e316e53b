"""Writes for the records area. Each service checks permission, validates, changes state,
writes the audit event and queues email on commit. Problems with what was typed come back
as a ValidationError keyed by field name, so views put them next to the field."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import standings
from accounts.audit import audit_record
from accounts.emails import queue_email
from accounts.models import Membership, User
from accounts.permissions import Permission, has_permission

from .dates import add_months
from .models import (
    GphcRegistration,
    GuidancePage,
    GuidancePageVersion,
    GuidanceReviewReminder,
    ReadinessRecord,
    ScrGovernancePerson,
    ScrRole,
)
from .readiness import is_eligible, not_eligible_reason
from .search import refresh_search_vectors
from .selectors import AREA, can_manage_governance, person_works_for_organisation
from .validators import (
    normalise_gphc_number,
    normalise_slug,
    validate_gphc_number,
    validate_guidance_slug,
)

if TYPE_CHECKING:
    from accounts.models import Organisation

# Guidance is reviewed at least this often; a review date further out is a typing slip.
MAX_REVIEW_MONTHS = 36
# Nothing recorded about SCR training or an SGP can predate SCR in community pharmacy.
EARLIEST_TRAINING_DATE = datetime.date(2010, 1, 1)


def _require(user, permission, obj=None):
    if not has_permission(user, permission, obj):
        raise PermissionDenied


def _day(value):
    return f"{value:%-d %B %Y}"


# --- Guidance ----------------------------------------------------------------------------

GUIDANCE_FIELDS = ("area", "title", "summary", "body", "status", "review_by")


def _clean_guidance(fields, *, today):
    cleaned = dict(fields)
    errors = {}
    cleaned["title"] = " ".join((cleaned.get("title") or "").split())
    if not cleaned["title"]:
        errors["title"] = "Enter a title"
    cleaned["summary"] = " ".join((cleaned.get("summary") or "").split())
    if not cleaned["summary"]:
        errors["summary"] = "Enter a summary of the page in a sentence or two"
    cleaned["body"] = (cleaned.get("body") or "").replace("\r\n", "\n").strip()
    if not cleaned["body"]:
        errors["body"] = "Enter the page content"
    review_by = cleaned.get("review_by")
    if review_by is None:
        errors["review_by"] = "Enter the date this page should be reviewed by"
    elif review_by < today:
        errors["review_by"] = (
            f"The review date must be on or after the last update, today {_day(today)}"
        )
    elif review_by > add_months(today, MAX_REVIEW_MONTHS):
        errors["review_by"] = (
            f"The review date must be within {MAX_REVIEW_MONTHS // 12} years, by "
            f"{_day(add_months(today, MAX_REVIEW_MONTHS))}"
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _save_version(page, *, actor, change_note):
    return GuidancePageVersion.objects.create(
        page=page,
        number=page.version,
        **{field: getattr(page, field) for field in GUIDANCE_FIELDS},
        change_note=" ".join((change_note or "").split())[:300],
        created_at=page.updated_at,
        created_by=actor,
    )


@transaction.atomic
def guidance_page_create(
    *, actor: User, slug: str, change_note: str = "", **fields: object
) -> GuidancePage:
    """Create a guidance page (version 1) from GUIDANCE_FIELDS at /guidance/<slug>/, with
    its first version and search terms; audited.

    Raises PermissionDenied without Permission.EDIT_GUIDANCE (portal admins), and
    ValidationError by field for a bad or taken slug or bad content
    (docs/decisions/0018-records-guidance.md)."""
    _require(actor, Permission.EDIT_GUIDANCE)
    now = timezone.now()
    slug = normalise_slug(slug)
    errors = {}
    try:
        validate_guidance_slug(slug)
    except ValidationError as error:
        errors["slug"] = error.messages
    else:
        if GuidancePage.objects.filter(slug=slug).exists():
            errors["slug"] = f"A page with the web address /guidance/{slug}/ already exists"
    try:
        fields = _clean_guidance(fields, today=timezone.localdate(now))
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            page = GuidancePage.objects.create(
                slug=slug, version=1, created_at=now, updated_at=now, updated_by=actor, **fields
            )
    except IntegrityError as exc:
        # Someone created the same slug a moment ago.
        raise ValidationError(
            {"slug": f"A page with the web address /guidance/{slug}/ already exists"}
        ) from exc
    _save_version(page, actor=actor, change_note=change_note or "Created")
    refresh_search_vectors(GuidancePage.objects.filter(pk=page.pk))
    audit_record(
        actor=actor,
        action="guidance.created",
        obj=page,
        changes={"slug": slug, "status": page.status, "review_by": page.review_by.isoformat()},
    )
    return page


class GuidanceEditConflict(ValidationError):
    """Someone else saved the page after this editor opened it."""


@transaction.atomic
def guidance_page_update(
    *,
    actor: User,
    page: GuidancePage,
    expected_version: int,
    change_note: str = "",
    **fields: object,
) -> GuidancePage:
    """Save a new version of a page. `expected_version` is the version the editor started
    from: if someone saved in between, nothing is overwritten and the editor is told
    (GuidanceEditConflict, a ValidationError on "body"). Unchanged when nothing differs.
    Raises PermissionDenied without Permission.EDIT_GUIDANCE, and ValidationError by
    field for bad content."""
    _require(actor, Permission.EDIT_GUIDANCE)
    now = timezone.now()
    page = GuidancePage.objects.select_for_update().get(pk=page.pk)
    if expected_version != page.version:
        who = page.updated_by.full_name if page.updated_by else "someone else"
        raise GuidanceEditConflict(
            {
                "body": (
                    f"{who} saved a new version of this page (version {page.version}) while "
                    "you were editing. Your changes are not saved yet: copy them, reload the "
                    "page and make them again."
                )
            }
        )
    fields = _clean_guidance(fields, today=timezone.localdate(now))
    changes = {}
    for name in GUIDANCE_FIELDS:
        old, new = getattr(page, name), fields[name]
        if old != new:
            changes[name] = (
                "changed" if name == "body" else [str(old), str(new)]
            )  # the body is in the version history, not the audit trail
            setattr(page, name, new)
    if not changes:
        return page
    page.version += 1
    page.updated_at = now
    page.updated_by = actor
    page.save()
    _save_version(page, actor=actor, change_note=change_note)
    refresh_search_vectors(GuidancePage.objects.filter(pk=page.pk))
    audit_record(
        actor=actor,
        action="guidance.updated",
        obj=page,
        changes={"version": page.version, **changes},
    )
    return page


def week_of(day: datetime.date) -> datetime.date:
    """The Monday of the day's week: the key of a weekly review reminder."""
    return day - datetime.timedelta(days=day.weekday())


REVIEW_JOB = "guidance review reminders"


@transaction.atomic
def guidance_review_reminders_send(
    *, actor: str | User = REVIEW_JOB, today: datetime.date | None = None
) -> list[GuidancePage]:
    """Email every portal admin about the pages past their review date that nobody has been
    reminded about this week. Safe to run any number of times: the reminder row for the
    page and week is written first, and a page whose row already exists is skipped.
    Returns the pages reminded about this run, earliest review date first."""
    today = today or timezone.localdate()
    week = week_of(today)
    due = []
    for page in GuidancePage.objects.past_review(today).order_by("review_by", "title"):
        _reminder, created = GuidanceReviewReminder.objects.get_or_create(page=page, week_of=week)
        if created:
            due.append(page)
            audit_record(
                actor=actor,
                action="guidance.review_reminder_sent",
                obj=page,
                changes={"review_by": page.review_by.isoformat(), "week_of": week.isoformat()},
            )
    if not due:
        return []
    admins = User.objects.filter(is_portal_admin=True, is_active=True).order_by("email")
    for admin in admins:
        queue_email(
            to=admin.email,
            subject=(
                "Guidance due for review: 1 page"
                if len(due) == 1
                else f"Guidance due for review: {len(due)} pages"
            ),
            template="records/emails/review_reminder.txt",
            context={"admin": admin, "pages": due, "today": today},
        )
    return due


# --- Readiness ---------------------------------------------------------------------------


def _check_training_date(value, field, *, today):
    if value is None:
        return None
    if value > today:
        return {field: "The training date must be today or in the past"}
    if value < EARLIEST_TRAINING_DATE:
        return {field: f"Enter a training date from {_day(EARLIEST_TRAINING_DATE)} onwards"}
    return None


@transaction.atomic
def readiness_record(
    *,
    actor: User,
    membership: Membership,
    gphc_number: str,
    is_trainee: bool,
    scr_role: str,
    cppe_training_on: datetime.date | None,
) -> ReadinessRecord:
    """Record and confirm a person's SCR/NCRS readiness at one premises
    (docs/decisions/0019-records-readiness.md): GPhC number (the person's, so it counts
    at every premises they work at; blank removes it), trainee flag, SCR role (a ScrRole
    value) and CPPE training date.

    Saving without a change still counts: it confirms the record, as of now, by the actor.
    Raises PermissionDenied without Permission.MANAGE_READINESS at its premises, and
    ValidationError by field for a bad or taken GPhC number, a role or trainee flag the
    job role cannot hold, or a training date in the future or too early."""
    _require(actor, Permission.MANAGE_READINESS, membership.premises)
    today = timezone.localdate()
    number = normalise_gphc_number(gphc_number)
    errors = {}
    if number:
        try:
            validate_gphc_number(number)
        except ValidationError as error:
            errors["gphc_number"] = error.messages
        else:
            taken = (
                GphcRegistration.objects.filter(number=number)
                .exclude(user_id=membership.user_id)
                .exists()
            )
            if taken:
                errors["gphc_number"] = (
                    "This GPhC number is already recorded for someone else. Check the number."
                )
    if scr_role not in ScrRole.values:
        errors["scr_role"] = "Choose whether their smartcard carries the SCR role"
    elif scr_role != ScrRole.NONE and not is_eligible(membership.job_role):
        errors["scr_role"] = not_eligible_reason(membership.job_role)
    if is_trainee and not is_eligible(membership.job_role):
        errors["is_trainee"] = (
            "Only trainee pharmacists and trainee pharmacy technicians can be marked as "
            "trainees here. Change their job role first if it is wrong."
        )
    errors.update(_check_training_date(cppe_training_on, "cppe_training_on", today=today) or {})
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    changes = {}
    registration = (
        GphcRegistration.objects.select_for_update().filter(user_id=membership.user_id).first()
    )
    old_number = registration.number if registration else ""
    if number != old_number:
        changes["gphc_number"] = [old_number, number]
        if not number:
            registration.delete()
        elif registration is None:
            try:
                with transaction.atomic():
                    GphcRegistration.objects.create(
                        user_id=membership.user_id, number=number, updated_at=now, updated_by=actor
                    )
            except IntegrityError as exc:
                raise ValidationError(
                    {
                        "gphc_number": (
                            "This GPhC number is already recorded for someone else. "
                            "Check the number."
                        )
                    }
                ) from exc
        else:
            registration.number = number
            registration.updated_at = now
            registration.updated_by = actor
            registration.save()

    record, _ = ReadinessRecord.objects.select_for_update().get_or_create(
        membership=membership, defaults={"updated_at": now, "updated_by": actor}
    )
    new_values = {
        "is_trainee": bool(is_trainee),
        "scr_role": scr_role,
        "cppe_training_on": cppe_training_on,
    }
    for name, value in new_values.items():
        old = getattr(record, name)
        if old != value:
            changes[name] = [_audit_value(old), _audit_value(value)]
            setattr(record, name, value)
    record.updated_at = now
    record.updated_by = actor
    record.save()
    audit_record(
        actor=actor,
        action="scr_readiness.updated" if changes else "scr_readiness.confirmed",
        obj=record,
        premises=membership.premises,
        changes={"person": membership.user.email, **changes},
    )
    # A GPhC number belongs to the person, so it counts at every premises they work at.
    works_at = Membership.objects.current().filter(user_id=membership.user_id)
    standings.refresh_on_commit(
        {membership.premises_id, *works_at.values_list("premises_id", flat=True)}, areas=[AREA]
    )
    return record


def _audit_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@transaction.atomic
def scr_governance_person_set(
    *, actor: User, organisation: Organisation, user: User | None, trained_on: datetime.date | None
) -> ScrGovernancePerson:
    """Record (or confirm) the organisation's SCR governance person and their training
    date; audited either way. Raises PermissionDenied unless the actor may manage its
    governance (can_manage_governance), and ValidationError ({"email": ...} for someone
    who does not work for it, or None; {"trained_on": ...}) otherwise."""
    if not can_manage_governance(actor, organisation):
        raise PermissionDenied
    today = timezone.localdate()
    errors = {}
    if user is None or not person_works_for_organisation(user, organisation, today=today):
        errors["email"] = (
            f"No one with this email address works for {organisation.name}. The SGP must "
            "be a member of staff or a head-office admin of the organisation."
        )
    errors.update(_check_training_date(trained_on, "trained_on", today=today) or {})
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    sgp = ScrGovernancePerson.objects.select_for_update().filter(organisation=organisation).first()
    changes = {}
    if sgp is None:
        sgp = ScrGovernancePerson(organisation=organisation, user=user, trained_on=trained_on)
        changes = {"person": user.email, "trained_on": _audit_value(trained_on)}
    else:
        if sgp.user_id != user.pk:
            changes["person"] = [sgp.user.email, user.email]
            sgp.user = user
        if sgp.trained_on != trained_on:
            changes["trained_on"] = [_audit_value(sgp.trained_on), _audit_value(trained_on)]
            sgp.trained_on = trained_on
    sgp.updated_at = now
    sgp.updated_by = actor
    sgp.save()
    audit_record(
        actor=actor,
        action="scr_governance_person.set" if changes else "scr_governance_person.confirmed",
        obj=sgp,
        organisation=organisation,
        changes=changes,
    )
    return sgp
