"""Guidance pages, their version history and changes, and review dates."""

import difflib
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.permissions import Permission, has_permission

from ..models import GuidanceArea, GuidancePage, GuidancePageVersion
from ..search import search_pages

AREA_ORDER = [area.value for area in GuidanceArea]


def can_edit_guidance(user):
    return has_permission(user, Permission.EDIT_GUIDANCE)


def guidance_pages_for_user(user):
    pages = GuidancePage.objects.defer("body", "search_vector")
    if not can_edit_guidance(user):
        pages = pages.published()
    area_position = Case(
        *(When(area=area, then=Value(index)) for index, area in enumerate(AREA_ORDER)),
        output_field=IntegerField(),
    )
    return pages.annotate(area_position=area_position).order_by("area_position", "title")


def guidance_search(user, text):
    pages = GuidancePage.objects.defer("body", "search_vector")
    if not can_edit_guidance(user):
        pages = pages.published()
    return search_pages(pages, text)


def guidance_page_get(user, slug):
    pages = GuidancePage.objects.select_related("updated_by").defer("search_vector")
    if not can_edit_guidance(user):
        pages = pages.published()
    return get_object_or_404(pages, slug=slug)


def guidance_page_for_editing(user, slug):
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


def guidance_history(user, page):
    """Every version of a page, newest first, each with the parts changed since the one
    before. One query."""
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


def guidance_version_get(user, page, number):
    if not can_edit_guidance(user):
        raise Http404
    return get_object_or_404(page.versions.select_related("created_by"), number=number)


def guidance_version_changes(version):
    """The lines of the content removed and added since the version before, if any."""
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


def guidance_due_for_review(user, today=None):
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


def guidance_past_review(user, today=None):
    if not can_edit_guidance(user):
        return GuidancePage.objects.none()
    return GuidancePage.objects.past_review(today or timezone.localdate()).order_by("review_by")
