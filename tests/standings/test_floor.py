"""The standings floor (benchmarks/standings_floor.py) does the portal's work, no less.

Each test builds data with the factories, runs `standings_refresh(hooks=False)`, snapshots
every row of accounts_premisesstanding, accounts_standingday and accounts_standingtally,
deletes them (and puts back the same leftovers of an earlier refresh, where a test has
some), runs `refresh_floor` on the same data and day, and requires the two snapshots to
be equal: level, reason, figures (compared as PostgreSQL's canonical jsonb text, so 5 and
5.0, or 1 and true, differ), worked_out_for and stale; the history rows of every day; and
every tally. Other tests hold the floor to one statement and to writing every table the
portal writes.
"""

import random
import re
from datetime import timedelta

import pytest
from django.db import NotSupportedError, connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import standings
from accounts.models import Premises, PremisesStanding, StandingDay, StandingTally
from benchmarks.bench_nhsmail import compliance_floor
from benchmarks.standings_floor import refresh_floor
from eps.models import StockMovement, TokenOrder, TokenSettings
from nhsmail.models import ComplianceAlertState, PersonalAccount
from nhsmail.services import compliance_refresh
from records.models import ScrRole
from records.readiness import training_refresh_cutoff
from smartcards.models import SmartcardRequest
from tests.eps.factories import PcseOrdererFactory, TokenOrderFactory, movement, steady_usage
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PremisesFactory,
    RegionFactory,
    UnlockerCoverFactory,
    UserFactory,
)
from tests.nhsmail.factories import (
    MailboxLinkFactory,
    PersonalAccountFactory,
    SharedMailboxFactory,
)
from tests.records.factories import GphcRegistrationFactory, ReadinessRecordFactory
from tests.smartcards.factories import (
    SmartcardHolderFactory,
    SmartcardRequestFactory,
    claimed,
    holder_for,
)

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the standings floor is PostgreSQL SQL"
)

AREAS = ("nhsmail", "smartcards", "eps", "records")


def today():
    return timezone.localdate()


# --- Comparing -------------------------------------------------------------------------


def _rows():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT premises_id, area, level, reason, figures::text, worked_out_for, stale "
            "FROM accounts_premisesstanding"
        )
        current = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
        cursor.execute("SELECT premises_id, area, day, level FROM accounts_standingday")
        history = {(row[0], row[1], row[2]): row[3] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT organisation_id, region_id, area, day, level, premises_count "
            "FROM accounts_standingtally"
        )
        tallies = {row[:5]: row[5] for row in cursor.fetchall()}
    return current, history, tallies


def _outcome(refresh, before=None):
    PremisesStanding.objects.all().delete()
    StandingDay.objects.all().delete()
    StandingTally.objects.all().delete()
    if before is not None:
        before()
    refresh()
    return _rows()


def _differences(portal, floor):
    lines = []
    for key in sorted(portal.keys() | floor.keys(), key=repr):
        if portal.get(key) != floor.get(key):
            lines.append(f"{key}:\n  portal {portal.get(key)!r}\n  floor  {floor.get(key)!r}")
    return "\n".join(lines[:20])


def assert_floor_equals_portal(on, *, premises_ids=None, areas=None, before=None):
    """Run each on the same data and day from the same starting rows; return the portal's."""
    portal = _outcome(
        lambda: standings.standings_refresh(
            premises_ids=premises_ids, areas=areas, on=on, hooks=False
        ),
        before,
    )
    floor = _outcome(lambda: refresh_floor(premises_ids=premises_ids, areas=areas, on=on), before)
    assert portal[0] == floor[0], "current rows differ:\n" + _differences(portal[0], floor[0])
    assert portal[1] == floor[1], "history rows differ:\n" + _differences(portal[1], floor[1])
    assert portal[2] == floor[2], "tallies differ:\n" + _differences(portal[2], floor[2])
    return portal


def _stale_leftovers(premises_ids, on):
    """Rows an earlier refresh left: out of date, stale, a history row for the day with
    the wrong level, and wrong tallies (one for a level nobody stands at), so the floor's
    updates and deletes are exercised too."""

    def make():
        now = timezone.now()
        PremisesStanding.objects.bulk_create(
            PremisesStanding(
                premises_id=pk,
                area=area,
                level="green",
                reason="left over",
                figures={"left": 1},
                worked_out_for=on - timedelta(days=1),
                worked_out_at=now,
                stale=True,
            )
            for pk in premises_ids
            for area in AREAS
        )
        StandingDay.objects.bulk_create(
            StandingDay(premises_id=pk, area=area, day=day, level="red")
            for pk in premises_ids
            for area in AREAS
            for day in (on, on - timedelta(days=1))
        )
        places = set(
            Premises.objects.filter(pk__in=premises_ids).values_list("organisation_id", "region_id")
        )
        StandingTally.objects.bulk_create(
            StandingTally(
                organisation_id=organisation_id,
                region_id=region_id,
                area=area,
                day=day,
                level=level,
                premises_count=99,
            )
            for organisation_id, region_id in places
            for area in AREAS
            for day in (on, on - timedelta(days=1))
            for level in ("red", "amber", "green")
        )

    return make


# --- Data ------------------------------------------------------------------------------


def _member(premises, job_role="dispenser", **fields):
    return MembershipFactory(premises=premises, job_role=job_role, **fields)


def _live_link(membership, *, address=None, **account_fields):
    """A live, confirmed account for the member, linked to their premises' mailbox."""
    account = PersonalAccount.objects.filter(user=membership.user).first()
    if account is None:
        fields = {"address": address} if address else {}
        account = PersonalAccountFactory(user=membership.user, **fields, **account_fields)
    return MailboxLinkFactory(account=account, mailbox=membership.premises.shared_mailbox)


def build_edge_cases():
    """Premises chosen so every branch of every area's reason, and every boundary of its
    figures, shows up at least once. Returns {name: premises}."""
    day = today()
    group = OrganisationFactory(name="Floor Group")
    other_group = OrganisationFactory(name="Floor Other Group")
    other_region = RegionFactory(name="Floor Other ICB")
    p = {}

    def premises(name, organisation=group, mailbox=True, **fields):
        made = PremisesFactory(organisation=organisation, name=name, **fields)
        if mailbox:
            SharedMailboxFactory(premises=made)
        p[name] = made
        return made

    # --- NHSmail -------------------------------------------------------------------
    premises("No mailbox", mailbox=False)
    _member(p["No mailbox"])
    premises("Nobody linked")
    _member(p["Nobody linked"])

    # Only one counts; each of the others fails one condition.
    one = premises("One linked")
    _live_link(_member(one, user__full_name="Zoë Ångström"))
    _live_link(_member(one, end_date=day - timedelta(days=3)))  # a leaver
    moved = _member(one, end_date=day - timedelta(days=1))  # works elsewhere now
    _live_link(moved)
    _member(p["Nobody linked"], user=moved.user)
    _live_link(_member(one, end_date=day))  # left today: end_date is the first day off
    _live_link(_member(one, start_date=day + timedelta(days=2)))  # not started
    _live_link(_member(one), address="pharmacy.fab12@nhs.net")  # a mailbox's shape
    _live_link(_member(one), address="NHSPharmacy.Leeds.Boots.FA123@NHS.net")  # any case
    legacy = premises("Legacy mailbox address", organisation=other_group, mailbox=False)
    SharedMailboxFactory(premises=legacy, address="calder.valley.team@nhs.net")
    _live_link(_member(one), address="calder.valley.team@nhs.net")  # a stored mailbox
    _live_link(_member(one), last_confirmed_on=day - timedelta(days=61))
    _live_link(_member(one), status=PersonalAccount.Status.INACTIVE)
    unlinked = _live_link(_member(one))
    unlinked.unlinked_on = day
    unlinked.unlinked_by = unlinked.linked_by
    unlinked.save()
    later = _live_link(_member(one))
    later.linked_on = day + timedelta(days=1)
    later.save()
    _member(one)  # works there, has no account

    # Exactly two, in code-point order (sorted()'s, whatever the database's collation):
    # "Z. Able" before "é. Zola".
    two = premises("Two linked")
    _live_link(_member(two, user__full_name="émile Zola"))
    _live_link(
        _member(two, user__full_name="Zed Able"),
        last_confirmed_on=day - timedelta(days=60),  # the last day it still counts
    )
    # Names Python splits on any whitespace, and one-word names kept as they are.
    odd = premises("Odd names")
    _live_link(_member(odd, user__full_name="\u00a0Mary\tJane  O'Neil\u3000"))
    _live_link(_member(odd, user__full_name="Cher"))

    # A locum linked at two premises counts at both; three or more is green.
    three = premises("Three linked")
    four = premises("Four linked")
    locum = _member(three, job_role="pharmacist", user__full_name="Lou Cum")
    _live_link(locum)
    MailboxLinkFactory(
        account=locum.user.nhsmail_account,
        mailbox=four.shared_mailbox,
    )
    _member(four, job_role="pharmacist", user=locum.user)
    for premises_ in (three, four):
        for _ in range(2 if premises_ is three else 3):
            _live_link(_member(premises_))
    # Two current memberships at one premises: counted once.
    twice = _member(four, end_date=day + timedelta(days=30))
    _live_link(twice)
    _member(four, user=twice.user, start_date=day - timedelta(days=10))

    # --- Smartcards ----------------------------------------------------------------
    def card(premises_, expires_in_days, **fields):
        member = _member(premises_, **fields)
        return SmartcardHolderFactory(
            user=member.user, certificate_expires_on=day + timedelta(days=expires_in_days)
        )

    expired = premises("Cards expired")
    card(expired, -1)
    card(expired, -400)
    one_expired = premises("One card expired")
    card(one_expired, -1)
    windows = premises("Card windows")
    for days in (0, 30, 31, 60, 61, 90, 91, 400):
        card(windows, days)
    leaver_card = card(windows, -5, end_date=day - timedelta(days=1))  # left: not counted
    assert leaver_card
    # One card, two current memberships at the premises: one card.
    double = card(windows, -2, end_date=day + timedelta(days=5))
    _member(windows, user=double.user, start_date=day - timedelta(days=1))
    # A locum's card counts at each premises they work at.
    card_locum = card(expired, 10)
    _member(one_expired, user=card_locum.user)

    requests = premises("Requests")
    raised = timezone.now().replace(microsecond=0) - timedelta(hours=5)
    urgent_open = SmartcardRequestFactory(
        holder=card(requests, 200), premises=requests, urgent=True, raised_at=raised
    )
    assert urgent_open
    claimed(
        SmartcardRequestFactory(
            holder=card(requests, 200),
            premises=requests,
            urgent=True,
            raised_at=raised + timedelta(minutes=1),
        ),
        UserFactory(),
    )
    SmartcardRequestFactory(holder=card(requests, 200), premises=requests)
    claimed(
        SmartcardRequestFactory(
            holder=card(requests, 200),
            premises=requests,
            kind=SmartcardRequest.Kind.RENEW,
        ),
        UserFactory(),
    )
    resolved = SmartcardRequestFactory(holder=card(requests, 200), premises=requests)
    resolved.status = SmartcardRequest.Status.RESOLVED
    resolved.identity_checked = True
    resolved.closed_by = resolved.raised_by
    resolved.closed_at = timezone.now()
    resolved.save()
    waiting = premises("Waiting only")
    SmartcardRequestFactory(
        holder=card(waiting, 200),
        premises=waiting,
        raised_at=timezone.now().replace(microsecond=123456) - timedelta(days=1),
    )
    SmartcardRequestFactory(
        holder=card(waiting, 200),
        premises=waiting,
        kind=SmartcardRequest.Kind.RENEW,
        raised_at=timezone.now().replace(microsecond=120) - timedelta(days=2),  # the oldest
    )

    # Cover: by premises, by organisation, both at once (one unlocker), an inactive
    # unlocker, and an unlocker who works at the premises (on site) or used to.
    covered_here = premises("Covered by premises")
    UnlockerCoverFactory(premises=covered_here)
    inactive = UnlockerCoverFactory(premises=covered_here, unlocker__is_active=False)
    assert inactive
    group_unlocker = UserFactory(full_name="Gail Group")
    UnlockerCoverFactory(premises=None, organisation=group, unlocker=group_unlocker)
    UnlockerCoverFactory(premises=p["Requests"], unlocker=group_unlocker)
    _member(p["Card windows"], user=group_unlocker)  # on site there
    _member(p["Waiting only"], user=group_unlocker, end_date=day)  # left today
    inactive_group = UserFactory(is_active=False)
    UnlockerCoverFactory(premises=None, organisation=other_group, unlocker=inactive_group)
    premises("Uncovered", organisation=other_group, region=other_region)
    card(p["Uncovered"], 12)
    card(p["Legacy mailbox address"], -30)
    premises("Uncovered, nothing due", organisation=other_group)

    # --- EPS -----------------------------------------------------------------------
    recorder = UserFactory()

    def orderers(premises_, count):
        for _ in range(count):
            PcseOrdererFactory(premises=premises_, user=_member(premises_).user)

    plenty = premises("Plenty of tokens")
    steady_usage(plenty, 20, opening=12_345, user=recorder)
    orderers(plenty, 2)
    PcseOrdererFactory(
        premises=plenty, user=_member(plenty, end_date=day - timedelta(days=1)).user
    )  # left
    PcseOrdererFactory(premises=plenty, user=UserFactory())  # never worked there

    low = premises("Low, nothing placed")
    steady_usage(low, 30, days=20, opening=700, user=recorder)
    orderers(low, 1)
    TokenOrderFactory(premises=low)  # a draft is not placed
    TokenOrderFactory(
        premises=low,
        status=TokenOrder.Status.CANCELLED,
        cancelled_at=timezone.now(),
        cancel_reason="Ordered twice",
    )

    on_way = premises("Low, order on its way")
    steady_usage(on_way, 30, days=20, opening=700, user=recorder)
    TokenOrderFactory(premises=on_way, placed=True)
    orderers(on_way, 2)

    low_late = premises("Low, order overdue")
    steady_usage(low_late, 30, days=20, opening=700, user=recorder)
    TokenOrderFactory(premises=low_late, overdue=True)
    TokenOrderFactory(premises=low_late, placed=True)
    orderers(low_late, 3)

    late = premises("Late orders, stock fine")
    steady_usage(late, 5, days=14, opening=2_000, user=recorder)
    TokenOrderFactory(premises=late, overdue=True)
    TokenOrderFactory(premises=late, overdue=True)
    TokenOrderFactory(premises=late, placed=True, expected_delivery_on=None)
    TokenOrderFactory(
        premises=late,
        status=TokenOrder.Status.RECEIVED,
        pcse_reference="DONE01",
        placed_on=day - timedelta(days=20),
        received_on=day - timedelta(days=10),
    )
    orderers(late, 1)

    old_usage = premises("Usage outside the window")
    movement(old_usage, 500, days_ago=80, user=recorder)
    movement(old_usage, -40, days_ago=56, user=recorder)  # the day before the window
    movement(old_usage, 300, days_ago=-3, user=recorder)  # dated after the day: in stock

    weekly = premises("Weekly usage, own settings")
    TokenSettings.objects.create(premises=weekly, lead_time_days=3, safety_margin_days=0)
    movement(weekly, 1_000, days_ago=60, user=recorder)
    for days_ago in (55, 48, 41, 34, 27, 20, 13, 6):
        movement(weekly, -70, days_ago=days_ago, period_days=7, user=recorder)

    negative = premises("Counted below zero")
    movement(negative, 100, days_ago=30, user=recorder)
    movement(negative, -95, days_ago=9, user=recorder)
    movement(
        negative,
        -12,
        kind=StockMovement.Kind.ADJUSTMENT,
        days_ago=1,
        reason="Count found fewer",
        user=recorder,
    )
    one_day = premises("One day of cover")
    movement(one_day, 20, days_ago=10, user=recorder)
    movement(one_day, -10, days_ago=0, user=recorder)

    # --- Records -------------------------------------------------------------------
    premises("Empty premises", mailbox=False, region=other_region)

    cutoff = training_refresh_cutoff(day)

    def ready(premises_, job_role="pharmacist", *, gphc=True, membership=None, **record):
        """A member with a readiness record (ready unless the record says otherwise)."""
        member = _member(premises_, job_role=job_role, **(membership or {}))
        if gphc and not hasattr(member.user, "gphc_registration"):
            GphcRegistrationFactory(user=member.user)
        ReadinessRecordFactory(membership=member, **record)
        return member

    unready = premises("No ready pharmacist")
    ready(unready, gphc=False)  # no GPhC number
    ready(unready, is_trainee=True, gphc=False)  # ready, but a trainee
    ready(unready, "technician")  # ready, not a pharmacist
    ready(unready, scr_role=ScrRole.NONE)
    ready(unready, "dispenser")  # not eligible, whatever the record says
    ready(unready, membership={"end_date": day - timedelta(days=3)})  # a leaver

    watch = premises("Ready, training due")
    ready(watch, cppe_training_on=cutoff)  # due: on the cutoff day
    ready(watch, "technician", scr_role=ScrRole.LOCUM, cppe_training_on=cutoff - timedelta(days=1))
    ready(watch, "technician", cppe_training_on=cutoff + timedelta(days=1))  # not due
    _member(watch, job_role="technician")  # eligible, no record
    _member(watch, job_role="counter_assistant")

    good = premises("All ready")
    locum_pharmacist = ready(good, scr_role=ScrRole.LOCUM)
    ready(good, "technician", is_trainee=True, gphc=False)
    # The locum is ready at a second premises on its own record.
    ready(p["Two linked"], membership={"user": locum_pharmacist.user}, scr_role=ScrRole.LOCUM)
    # Two current memberships at one premises: counted twice, as readiness_figures counts.
    doubled = ready(good, membership={"end_date": day + timedelta(days=40)})
    ready(good, membership={"user": doubled.user, "start_date": day - timedelta(days=2)})

    return p


def build_random_world(seed, premises_count=25):
    """Premises with a random mix of everything, the same mix for the same seed."""
    rng = random.Random(seed)
    day = today()
    groups = [OrganisationFactory() for _ in range(3)]
    regions = [RegionFactory(name=f"Floor ICB {n}") for n in range(2)]
    cover_users = [UserFactory(is_active=rng.random() > 0.2) for _ in range(4)]
    for unlocker in cover_users[:2]:
        UnlockerCoverFactory(premises=None, organisation=rng.choice(groups), unlocker=unlocker)
    made = []
    pharmacist_users = []
    opened = set()
    requested = set()
    for _ in range(premises_count):
        premises = PremisesFactory(organisation=rng.choice(groups), region=rng.choice(regions))
        made.append(premises)
        if rng.random() < 0.85:
            SharedMailboxFactory(premises=premises)
        if rng.random() < 0.3:
            UnlockerCoverFactory(premises=premises, unlocker=rng.choice(cover_users))
        if rng.random() < 0.5:
            TokenSettings.objects.create(
                premises=premises,
                lead_time_days=rng.randint(1, 14),
                safety_margin_days=rng.randint(0, 10),
            )
        members = []
        for _ in range(rng.randint(0, 8)):
            fields = {"job_role": rng.choice(["pharmacist", "technician", "dispenser", "other"])}
            if rng.random() < 0.15:
                fields["end_date"] = day + timedelta(days=rng.randint(-30, 30))
            if rng.random() < 0.05:
                fields["start_date"] = day + timedelta(days=rng.randint(1, 20))
                if "end_date" in fields:  # it cannot end before it starts
                    fields["end_date"] = max(fields["end_date"], fields["start_date"])
            if pharmacist_users and rng.random() < 0.1:
                fields["user"] = rng.choice(pharmacist_users)  # a locum
                fields["job_role"] = "pharmacist"
            if rng.random() < 0.08:
                fields["user"] = rng.choice(cover_users)  # an unlocker on site, or not
            if "user" in fields and (fields["user"].pk, premises.pk) in opened:
                continue  # one open membership per person and premises
            member = _member(premises, **fields)
            opened.add((member.user_id, premises.pk))
            members.append(member)
            if member.job_role == "pharmacist":
                pharmacist_users.append(member.user)
            user = member.user
            if rng.random() < 0.7 and hasattr(premises, "shared_mailbox"):
                account = PersonalAccount.objects.filter(user=user).first() or (
                    PersonalAccountFactory(
                        user=user,
                        status=rng.choice(["live"] * 4 + ["inactive", "leaver"]),
                        last_confirmed_on=day - timedelta(days=rng.randint(0, 80)),
                    )
                )
                if not account.links.filter(
                    mailbox=premises.shared_mailbox, unlinked_on__isnull=True
                ).exists():
                    MailboxLinkFactory(
                        account=account,
                        mailbox=premises.shared_mailbox,
                        linked_on=day - timedelta(days=rng.randint(-3, 90)),
                    )
            if rng.random() < 0.6:
                holder_for(user, certificate_expires_on=day + timedelta(days=rng.randint(-60, 120)))
            if member.job_role in ("pharmacist", "technician") and rng.random() < 0.7:
                if rng.random() < 0.7 and not hasattr(user, "gphc_registration"):
                    GphcRegistrationFactory(user=user)
                    user.refresh_from_db()
                ReadinessRecordFactory(
                    membership=member,
                    scr_role=rng.choice([ScrRole.PREMISES, ScrRole.LOCUM, ScrRole.NONE]),
                    is_trainee=rng.random() < 0.2,
                    cppe_training_on=rng.choice([None, day - timedelta(days=rng.randint(0, 1200))]),
                )
            if rng.random() < 0.25:
                PcseOrdererFactory(premises=premises, user=user)
        holders = [getattr(m.user, "smartcard", None) for m in members]
        for holder in [h for h in holders if h is not None][:3]:
            if rng.random() < 0.3 and holder.pk not in requested:  # one live request a card
                requested.add(holder.pk)
                request = SmartcardRequestFactory(
                    holder=holder, premises=premises, urgent=rng.random() < 0.4
                )
                if rng.random() < 0.4:
                    claimed(request, rng.choice(cover_users))
        if rng.random() < 0.7:
            recorder = UserFactory()
            movement(premises, rng.randint(50, 3_000), days_ago=rng.randint(0, 70), user=recorder)
            for _ in range(rng.randint(0, 12)):
                movement(
                    premises,
                    -rng.randint(1, 80),
                    days_ago=rng.randint(0, 70),
                    period_days=rng.choice([1, 1, 7]),
                    user=recorder,
                )
        for _ in range(rng.randint(0, 2)):
            kind = rng.choice(["draft", "placed", "overdue"])
            if kind == "draft":
                TokenOrderFactory(premises=premises)
            else:
                TokenOrderFactory(premises=premises, **{kind: True})
    return made


# --- Tests ------------------------------------------------------------------------------


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("days_on", [0, 31])
def test_floor_equals_portal_on_edge_cases(days_on):
    built = build_edge_cases()
    on = today() + timedelta(days=days_on)
    portal = assert_floor_equals_portal(on)
    assert len(portal[0]) == 4 * len(built)
    if days_on == 0:
        _assert_every_branch_shown(portal[0], built)


def _assert_every_branch_shown(current, built):
    """The data reaches every branch of every reason: the comparison is not vacuous."""
    reasons = {area: [] for area in AREAS}
    levels = set()
    for (_, area), (level, reason, *_rest) in current.items():
        reasons[area].append(reason)
        levels.add((area, level))
    assert levels == {(area, level) for area in AREAS for level in ("red", "amber", "green")}
    expected = {
        "nhsmail": [
            "No shared mailbox recorded",
            "No live personal accounts linked",
            "Only one live linked account: Z. Ångström",
            "Exactly two live linked accounts: Z. Able and é. Zola. One leaver",
            "Exactly two live linked accounts: Cher and M. O'Neil.",
            "3 live linked accounts",
            "5 live linked accounts",
        ],
        "smartcards": [
            "2 certificates expired: only the Registration Authority can repair those cards",
            "1 certificate expired: only the Registration Authority can repair that card",
            "2 urgent requests from someone who cannot dispense",
            "2 unlock or renewal requests waiting",
            "certificates ending within 30 days",
            "No local smartcard unlocker covers this premises",
            "; no local smartcard unlocker covers this premises",
            "Nothing waiting; 0 certificates due for renewal within 90 days",
        ],
        "eps": [
            "11,225 in stock, 561 days of cover",
            "and no order placed on PCSE Online",
            "; an order is on its way",
            "and the order placed is overdue",
            "2 orders past the expected delivery date",
            "Only one person here can order on PCSE Online; 2 are needed",
            "Nobody here can order on PCSE Online",
            "No token usage recorded in the last eight weeks",
            "Low on tokens: -",
            "1 day of cover",
        ],
        "records": [
            "No staff recorded here, so no pharmacist is ready for SCR/NCRS",
            "No registered pharmacist here is ready for SCR/NCRS (2 staff ready)",
            "eligible staff not ready",
            "CPPE SCR training due a refresh for 2 of 4 eligible staff",
            "4 of 4 eligible staff ready",
        ],
    }
    for area, fragments in expected.items():
        for fragment in fragments:
            assert any(fragment in reason for reason in reasons[area]), (area, fragment)
    figures = {key: row[2] for key, row in current.items()}
    assert '"oldest_raised_at": "' in figures[(built["Waiting only"].pk, "smartcards")]
    assert '"unlocker_on_site": true' in figures[(built["Card windows"].pk, "smartcards")]
    assert '"days_of_cover": null' in figures[(built["Usage outside the window"].pk, "eps")]


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
def test_floor_equals_portal_over_rows_left_by_an_earlier_refresh():
    built = build_edge_cases()
    ids = [premises.pk for premises in built.values()]
    on = today()
    portal = assert_floor_equals_portal(on, before=_stale_leftovers(ids, on))
    # The day's history row was replaced, the day before's kept.
    assert any(day == on - timedelta(days=1) for (_, _, day) in portal[1])
    assert not any(row[-1] for row in portal[0].values())  # nothing left stale


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
def test_floor_equals_portal_for_some_premises_only():
    built = build_edge_cases()
    ids = [premises.pk for premises in built.values()]
    # Every third premises of one organisation, a repeat, and a premises that is not there.
    chosen = [p.pk for p in built.values() if p.organisation.name == "Floor Group"][::3]
    some = [*chosen, chosen[0], max(ids) + 1000]
    on = today()
    portal = assert_floor_equals_portal(on, premises_ids=some, before=_stale_leftovers(ids, on))
    refreshed = {pk for (pk, _), row in portal[0].items() if not row[-1]}
    assert refreshed == set(chosen)
    # The organisation's tallies for the day were summed again (its other premises' rows
    # as they were), the other organisations' left as they were.
    group = built["No mailbox"].organisation_id
    for (organisation, _, _, day, _), count in portal[2].items():
        assert (count == 99) == (organisation != group or day != on)
    assert assert_floor_equals_portal(on, premises_ids=[]) == ({}, {}, {})


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("areas", [["eps"], ["smartcards", "nhsmail"], ["records"], []])
def test_floor_equals_portal_for_some_areas_only(areas):
    """As a service's refresh on commit does: one area of one or a few premises."""
    built = build_edge_cases()
    ids = [premises.pk for premises in built.values()]
    on = today()
    portal = assert_floor_equals_portal(
        on, premises_ids=ids[:5], areas=areas, before=_stale_leftovers(ids, on)
    )
    refreshed = {key for key, row in portal[0].items() if not row[-1]}
    assert refreshed == {(pk, area) for pk in ids[:5] for area in areas}
    with pytest.raises(KeyError):
        refresh_floor(on=on, areas=["no such area"])


def _alert_states():
    return {
        row[0]: row[1:]
        for row in ComplianceAlertState.objects.values_list(
            "premises_id", "status", "since", "last_notified_on"
        )
    }


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
def test_compliance_floor_records_the_alert_states_the_portal_records():
    """bench compliance's floor: NHSmail standings and alert states as the daily job
    writes them, from states that are missing, changed, and red and due a reminder."""
    built = build_edge_cases()
    ids = [premises.pk for premises in built.values()]
    on = today()
    long_ago = on - timedelta(days=30)
    levels = {
        pk: standing.level
        for pk, standing in standings.standings_work_out(ids, areas=["nhsmail"], on=on)[
            "nhsmail"
        ].items()
    }
    red = [pk for pk in ids if levels[pk] == "red"]
    amber = [pk for pk in ids if levels[pk] == "amber"]
    green = [pk for pk in ids if levels[pk] == "green"]
    assert len(red) >= 4 and amber and green
    states = [
        # Red and due its weekly reminder (exactly a week), red and told two days ago,
        # red and told long ago, red that was green (a change), amber unchanged, green
        # that was amber (a recovery); every other premises has no state yet.
        ComplianceAlertState(
            premises_id=red[0],
            status="red",
            since=long_ago,
            last_notified_on=on - timedelta(days=7),
        ),
        ComplianceAlertState(
            premises_id=red[1],
            status="red",
            since=long_ago,
            last_notified_on=on - timedelta(days=2),
        ),
        ComplianceAlertState(
            premises_id=red[2], status="red", since=long_ago, last_notified_on=long_ago
        ),
        ComplianceAlertState(premises_id=red[3], status="green", since=long_ago),
        ComplianceAlertState(
            premises_id=amber[0], status="amber", since=long_ago, last_notified_on=long_ago
        ),
        ComplianceAlertState(
            premises_id=green[0], status="amber", since=long_ago, last_notified_on=long_ago
        ),
    ]

    def start():
        ComplianceAlertState.objects.all().delete()
        ComplianceAlertState.objects.bulk_create(states)

    start()
    compliance_refresh(on=on, baseline=True)
    portal = _alert_states()
    start()
    written = compliance_floor(on)
    assert _alert_states() == portal
    assert len(portal) == len(ids)
    assert portal[red[0]] == ("red", long_ago, on)  # reminded today
    assert portal[red[1]] == ("red", long_ago, on - timedelta(days=2))
    assert portal[red[3]] == ("red", on, on)  # changed today
    assert portal[green[0]] == ("green", on, on)
    assert portal[amber[0]] == ("amber", long_ago, long_ago)
    untouched = {red[1], amber[0]}
    assert {pk for pk, _ in written} == set(ids) - untouched


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("some", [False, True])
def test_floor_equals_portal_with_closed_premises(some):
    """A premises closed by the day loses its standing and the day's history on both
    sides, and its organisation's tallies stop counting it; one closing later counts."""
    built = build_edge_cases()
    ids = [premises.pk for premises in built.values()]
    on = today()
    closed, closing_later = ids[1], ids[2]
    Premises.objects.filter(pk=closed).update(closed_on=on - timedelta(days=3))
    Premises.objects.filter(pk=closing_later).update(closed_on=on + timedelta(days=10))
    portal = assert_floor_equals_portal(
        on, premises_ids=ids[:4] if some else None, before=_stale_leftovers(ids, on)
    )
    assert not any(pk == closed for (pk, _) in portal[0])
    assert not any(pk == closed and day == on for (pk, _, day) in portal[1])
    assert any(pk == closing_later for (pk, _) in portal[0])


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_floor_equals_portal_on_random_premises(seed):
    made = build_random_world(seed)
    for days_on in (0, 20, 45):
        portal = assert_floor_equals_portal(today() + timedelta(days=days_on))
        assert len(portal[0]) == 4 * len(made)


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
def test_floor_runs_in_one_statement():
    build_edge_cases()
    with CaptureQueriesContext(connection) as captured:
        refresh_floor(on=today())
    transaction_control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
    statements = [
        q["sql"] for q in captured.captured_queries if not q["sql"].startswith(transaction_control)
    ]
    assert len(statements) == 1
    assert "INSERT INTO accounts_premisesstanding" in statements[0]
    assert "INSERT INTO accounts_standingday" in statements[0]


_WRITE = re.compile(r'\b(?:INSERT\s+INTO|DELETE\s+FROM)\s+"?(\w+)|\bUPDATE\s+"?(\w+)"?\s+SET\b')


def _tables_written(captured):
    return {
        table
        for query in captured.captured_queries
        for match in _WRITE.finditer(query["sql"])
        for table in match.groups()
        if table
    }


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db
def test_floor_writes_every_table_the_portal_writes():
    """Should standings_refresh(hooks=False) come to write another table, the floor would
    do less than the portal: this fails until the floor writes it too."""
    build_edge_cases()
    with CaptureQueriesContext(connection) as portal:
        standings.standings_refresh(on=today(), hooks=False)
    with CaptureQueriesContext(connection) as floor:
        refresh_floor(on=today())
    assert _tables_written(portal) == {
        "accounts_premisesstanding",
        "accounts_standingday",
        "accounts_standingtally",
    }
    assert _tables_written(floor) == _tables_written(portal)


def test_floor_refuses_other_databases(monkeypatch):
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")
    with pytest.raises(NotSupportedError, match="PostgreSQL-only"):
        refresh_floor(on=today())
