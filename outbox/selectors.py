"""What the outbox page reads: messages waiting, being retried and failed, with their age
and reason. The one place that decides which of those a message is."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone

from accounts.permissions import Permission, has_permission

from .models import Message

if TYPE_CHECKING:
    from accounts.models import User

State = Message.State
EMAIL_TASK = "accounts.tasks.send_email"
# Rows shown per section; the counts say how many there are in all.
SHOWN = 100
# Waiting this long for the relay without a failure: worth a look (no broker, no beat).
SLOW_AFTER = timedelta(minutes=5)


class Section(enum.Enum):
    # value: (heading, what it means, NHS.UK tag colour, may be retried by hand)
    FAILED = (
        "Failed",
        "Given up: not sent and not to be tried again unless you retry it.",
        "red",
        True,
    )
    RETRYING = (
        "Being retried",
        "Failed for now (a mail server refusing or unreachable): tried again after a pause "
        "that doubles each time, until its time to live runs out.",
        "orange",
        False,
    )
    WAITING = (
        "Waiting to be sent",
        "Queued, waiting for the broker (Redis) or a worker: sent when they answer.",
        "blue",
        False,
    )

    @property
    def heading(self):
        return self.value[0]

    @property
    def meaning(self):
        return self.value[1]

    @property
    def tag_class(self):
        return f"nhsuk-tag--{self.value[2]}"

    @property
    def can_retry(self):
        return self.value[3]


SECTION_FILTERS = {
    Section.FAILED: Q(state=State.FAILED),
    Section.RETRYING: Q(state=State.PENDING, attempts__gt=0),
    Section.WAITING: Q(state__in=[State.PENDING, State.PUBLISHED], attempts=0),
}


@dataclass
class MessageRow:
    message: Message
    section: Section
    now: object

    @property
    def pk(self):
        return self.message.pk

    @property
    def what(self):
        """'Email to a@b: Subject' for an email, the task's name otherwise."""
        kwargs = self.message.kwargs or {}
        if self.message.task == EMAIL_TASK:
            to = kwargs.get("to")
            to = ", ".join(to) if isinstance(to, list) else to
            return f"Email to {to}: {kwargs.get('subject', '')}"
        return self.message.task

    @property
    def age(self):
        return self.now - self.message.created_at

    @property
    def reason(self):
        return self.message.last_error

    @property
    def next_try_at(self):
        return self.message.available_at if self.section is Section.RETRYING else None

    @property
    def can_retry(self):
        return self.section.can_retry


@dataclass
class SectionRows:
    section: Section
    total: int
    rows: list


def outbox_overview(now: datetime | None = None) -> list[SectionRows]:
    """Failed, retried and waiting messages (in that order), each section with its total
    and its oldest SHOWN rows. Four queries whatever the number of messages: the totals,
    then one per section."""
    now = now or timezone.now()
    totals = Message.objects.aggregate(
        **{section.name: Count("pk", filter=q) for section, q in SECTION_FILTERS.items()}
    )
    sections = []
    for section, q in SECTION_FILTERS.items():
        order = "-finished_at" if section is Section.FAILED else "created_at"
        rows = [
            MessageRow(message, section, now)
            for message in Message.objects.filter(q).order_by(order, "id")[:SHOWN]
        ]
        sections.append(SectionRows(section, totals[section.name], rows))
    return sections


def outbox_for_admin(user: "User", now: datetime | None = None) -> list[SectionRows] | None:
    """The outbox page's sections for a user who may manage jobs; None for anyone else."""
    if not has_permission(user, Permission.MANAGE_JOBS):
        return None
    return outbox_overview(now)
