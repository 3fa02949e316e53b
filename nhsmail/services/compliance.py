"""The shared-mailbox rule's evaluation over premises, its transitions (changed,
still red, recovered) and the emails they send."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from accounts import standings
from accounts.audit import audit_record_many
from accounts.emails import queue_email
from accounts.models import Membership, OrganisationAdmin, Premises
from outbox.services import batched

from ..models import ComplianceAlertState, ComplianceStatus
from ._shared import AREA

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from accounts.standings import Standing

JOB = "NHSmail compliance job"


@dataclass(frozen=True)
class Transition:
    premises_id: int
    status: str
    reason: str


RED_REMINDER_EVERY = timedelta(days=7)


def compliance_refresh(
    *, premises_ids: Iterable[int] | None = None, on: date | None = None, baseline: bool = False
) -> dict[int, Standing]:
    """Work out and store the NHSmail standing of premises (all when premises_ids is
    None) through accounts.standings, which records the day's history and then calls
    after_refresh below to tell people about transitions. Safe to run again: a second run
    on the same day stores the same rows and sends nothing new. A fixed number of queries
    for any number of premises. Returns {premises_id: Standing}.

    baseline=True records the standing without telling anyone (loading demo or scale data).
    """
    return standings.standings_refresh(
        premises_ids=premises_ids, areas=[AREA], on=on, notify=not baseline
    )[AREA]


def after_refresh(standings_by_premises: dict[int, Standing], on: date, notify: bool) -> None:
    """accounts.standings calls this after storing NHSmail standings: record each
    premises' alert state and, unless notify is False, tell managers and head office."""
    transitions = _record_transitions(standings_by_premises, on)
    if transitions and notify:
        _notify(transitions)


def _record_transitions(standings_by_premises, on):
    """Update each premises' alert state; return [(kind, Transition, previous status)]."""
    evaluations = {
        pid: Transition(pid, standing.level, standing.reason)
        for pid, standing in standings_by_premises.items()
    }
    states = dict(
        ComplianceAlertState.objects.filter(premises_id__in=list(evaluations)).values_list(
            "premises_id", "status"
        )
    )
    last_notified = {}
    to_create, changed, transitions = [], {}, []
    for pid, ev in evaluations.items():
        status = states.get(pid)
        if status is None:
            to_create.append(
                ComplianceAlertState(
                    premises_id=pid,
                    status=ev.status,
                    since=on,
                    last_notified_on=on if ev.status != ComplianceStatus.GREEN else None,
                )
            )
            if ev.status != ComplianceStatus.GREEN:
                transitions.append(("changed", ev, None))
        elif status != ev.status:
            kind = "recovered" if ev.status == ComplianceStatus.GREEN else "changed"
            transitions.append((kind, ev, status))
            changed[pid] = {"status": ev.status, "since": on, "last_notified_on": on}
        elif ev.status == ComplianceStatus.RED:
            last_notified[pid] = ev
    # Red premises due a weekly reminder: only the red ones' dates are read.
    for pid in ComplianceAlertState.objects.filter(
        premises_id__in=list(last_notified), last_notified_on__lte=on - RED_REMINDER_EVERY
    ).values_list("premises_id", flat=True):
        transitions.append(("still_red", last_notified[pid], ComplianceStatus.RED))
        changed[pid] = {"last_notified_on": on}
    to_update = []
    for state in ComplianceAlertState.objects.filter(premises_id__in=list(changed)):
        for field, value in changed[state.premises_id].items():
            setattr(state, field, value)
        to_update.append(state)
    ComplianceAlertState.objects.bulk_create(to_create, batch_size=2000)
    ComplianceAlertState.objects.bulk_update(
        to_update, ["status", "since", "last_notified_on"], batch_size=1000
    )
    return transitions


def _change_words(kind, status):
    """How an email names a premises' change: "back to compliant", "still not compliant",
    "not compliant" or "compliant but at risk"."""
    if kind == "recovered":
        return "back to compliant"
    if kind == "still_red":
        return "still not compliant"
    if status == ComplianceStatus.RED:
        return "not compliant"
    return "compliant but at risk"


def _notify(transitions):
    premises_ids = [ev.premises_id for _, ev, _ in transitions]
    info = {
        p["id"]: p
        for p in Premises.objects.filter(pk__in=premises_ids).values(
            "id", "name", "ods_code", "organisation_id"
        )
    }
    audit_record_many(
        actor=JOB,
        action="nhsmail.status_changed",
        rows=[
            (
                ev.premises_id,
                info[ev.premises_id]["organisation_id"],
                f"{info[ev.premises_id]['name']} ({info[ev.premises_id]['ods_code']})",
                {"from": previous, "to": ev.status, "reason": ev.reason, "kind": kind},
            )
            for kind, ev, previous in transitions
            if kind != "still_red"
        ],
    )
    recipients = defaultdict(set)
    for premises_id, email in (
        Membership.objects.current()
        .filter(premises_id__in=premises_ids, is_manager=True, user__is_active=True)
        .values_list("premises_id", "user__email")
    ):
        recipients[premises_id].add(email)
    organisation_ids = {p["organisation_id"] for p in info.values()}
    admins = defaultdict(set)
    for organisation_id, email in OrganisationAdmin.objects.filter(
        organisation_id__in=organisation_ids, user__is_active=True
    ).values_list("organisation_id", "user__email"):
        admins[organisation_id].add(email)
    # One email per person per run, listing every premises of theirs that changed, so a
    # head office is not sent hundreds of separate emails.
    per_person = defaultdict(list)
    for kind, ev, _previous in transitions:
        premises = info[ev.premises_id]
        line = {
            "kind": kind,
            "status": ev.status,
            "words": _change_words(kind, ev.status),
            "reason": ev.reason,
            **premises,
        }
        for email in recipients[ev.premises_id] | admins[premises["organisation_id"]]:
            per_person[email].append(line)
    with batched():
        for email, lines in per_person.items():
            lines.sort(key=lambda line: (line["kind"], line["name"]))
            if len(lines) == 1:
                only = lines[0]
                standing = ComplianceStatus(only["status"]).label.lower()
                subject = {
                    "changed": f"NHSmail: {only['name']} is {standing}",
                    "still_red": f"NHSmail: {only['name']} is still not compliant",
                    "recovered": f"NHSmail: {only['name']} is back to compliant",
                }[only["kind"]]
            else:
                subject = f"NHSmail: {len(lines)} premises changed"
            queue_email(
                to=email,
                subject=subject,
                template="nhsmail/emails/compliance_changes.txt",
                context={"lines": lines},
            )
