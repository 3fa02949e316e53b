"""Guidance pages: creating and editing them, each save a new version."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from accounts.permissions import Permission

from ..dates import add_months
from ..models import GuidancePage, GuidancePageVersion
from ..search import refresh_search_vectors
from ..validators import normalise_slug, validate_guidance_slug
from ._shared import _day, _require

# Guidance is reviewed at least this often; a review date further out is a typing slip.
MAX_REVIEW_MONTHS = 36


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
