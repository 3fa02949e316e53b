"""Guidance pages, their version history and changes, and review dates."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.permissions import Permission, has_permission

from ..models import GuidanceArea, GuidancePage, GuidancePageVersion
from ..search import search_pages

if TYPE_CHECKING:
    from datetime import date

    from django.db.models import QuerySet

    from accounts.models import User

AREA_ORDER = [area.value for area in GuidanceArea]


def can_edit_guidance(user: User) -> bool:
    """Whether the user edits guidance (Permission.EDIT_GUIDANCE: portal admins)."""
    return has_permission(user, Permission.EDIT_GUIDANCE)


def guidance_pages_for_user(user: User) -> QuerySet[GuidancePage]:
    """Guidance pages without their bodies, by area (GuidanceArea's order) then title:
    published ones, and drafts too for those who edit guidance."""
    pages = GuidancePage.objects.defer("body", "search_vector")
    if not can_edit_guidance(user):
        pages = pages.published()
    area_position = Case(
        *(When(area=area, then=Value(index)) for index, area in enumerate(AREA_ORDER)),
        output_field=IntegerField(),
    )
    return pages.annotate(area_position=area_position).order_by("area_position", "title")


def guidance_search(user: User, text: str) -> QuerySet[GuidancePage]:
    """The pages the user may read matching `text`, best match first (records.search);
    none for a query with no words."""
    pages = GuidancePage.objects.defer("body", "search_vector")
    if not can_edit_guidance(user):
        pages = pages.published()
    return search_pages(pages, text)


def guidance_page_get(user: User, slug: str) -> GuidancePage:
    """A page by its slug, with its last editor joined; a draft only for those who edit
    guidance. Raises Http404 otherwise."""
    pages = GuidancePage.objects.select_related("updated_by").defer("search_vector")
    if not can_edit_guidance(user):
        pages = pages.published()
    return get_object_or_404(pages, slug=slug)


def guidance_page_for_editing(user: User, slug: str) -> GuidancePage:
    """A page by its slug for someone who edits guidance. Raises Http404 for anyone else."""
    if not can_edit_guidance(user):
        raise Http404
    return guidance_page_get(user, slug)


VERSION_FIELDS = (
    ("title", "Title"),
    ("summary", "Summary"),
    ("area", "Area"),
    ("body", "Content"),
    ("status", "Status"),
    ("review_by", "Review date"),
)


@dataclass(frozen=True)
class VersionRow:
    version: GuidancePageVersion
    changed: tuple


def guidance_history(user: User, page: GuidancePage) -> list[VersionRow]:
    """Every version of a page, newest first, each with the labels of the parts changed
    since the one before ("Created" for the first). One query. Raises Http404 for someone
    who does not edit guidance."""
    if not can_edit_guidance(user):
        raise Http404
    versions = list(page.versions.select_related("created_by").order_by("number"))
    rows = []
    previous = None
    for version in versions:
        if previous is None:
            changed = ("Created",)
        else:
            changed = tuple(
                label
                for field, label in VERSION_FIELDS
                if getattr(version, field) != getattr(previous, field)
            )
        rows.append(VersionRow(version, changed))
        previous = version
    return list(reversed(rows))


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "removed" or "added"
    text: str

    @property
    def is_removed(self) -> bool:
        return self.kind == "removed"


def guidance_version_get(user: User, page: GuidancePage, number: int) -> GuidancePageVersion:
    """One numbered version of a page, with its author joined. Raises Http404 for someone
    who does not edit guidance, or a number the page does not have."""
    if not can_edit_guidance(user):
        raise Http404
    return get_object_or_404(page.versions.select_related("created_by"), number=number)


def guidance_version_changes(version: GuidancePageVersion) -> list[DiffLine] | None:
    """The lines of the content removed and added since the version before, in order; None
    for the first version."""
    previous = (
        GuidancePageVersion.objects.filter(page_id=version.page_id, number__lt=version.number)
        .order_by("-number")
        .only("body")
        .first()
    )
    if previous is None:
        return None
    lines = []
    for line in difflib.ndiff(previous.body.splitlines(), version.body.splitlines()):
        if line.startswith("- "):
            lines.append(DiffLine("removed", line[2:]))
        elif line.startswith("+ "):
            lines.append(DiffLine("added", line[2:]))
    return lines


def guidance_due_for_review(user: User, today: date | None = None) -> QuerySet[GuidancePage]:
    """Pages (drafts too) past their review date or due within REVIEW_SOON_DAYS, soonest
    first, for whoever maintains guidance (EDIT_GUIDANCE); none for anyone else."""
    if not can_edit_guidance(user):
        return GuidancePage.objects.none()
    return (
        GuidancePage.objects.due_for_review(today or timezone.localdate())
        .select_related("updated_by")
        .defer("body", "search_vector")
        .order_by("review_by", "title")
    )


def guidance_past_review(user: User, today: date | None = None) -> QuerySet[GuidancePage]:
    """Pages whose review date has passed on `today` (today when None), earliest first, for
    whoever edits guidance; none for anyone else."""
    if not can_edit_guidance(user):
        return GuidancePage.objects.none()
    return GuidancePage.objects.past_review(today or timezone.localdate()).order_by("review_by")
