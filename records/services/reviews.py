"""Guidance review reminders: the weekly job telling editors what is due a review."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.emails import queue_email
from accounts.models import User

from ..models import GuidancePage, GuidanceReviewReminder


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
