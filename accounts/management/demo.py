"""The demo picture of West Yorkshire that `manage.py seed_demo` builds.

Everything is keyed on natural keys (ODS codes, emails), so seeding twice changes nothing.
"""

import base64
import functools
import random
from collections import Counter
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import standings
from accounts.models import (
    Membership,
    Organisation,
    OrganisationAdmin,
    Premises,
    PremisesStanding,
    Region,
    StandingDay,
    StandingLevel,
    UnlockerCover,
    User,
)

DEMO_PASSWORD = "portal-demo-2026"
# A fixed authenticator secret so anyone trying the portal can add it to an app, or read
# the current code with `make demo-codes`. Never seeded in production.
DEMO_TOTP_SECRET_BASE32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
REGION_NAME = "West Yorkshire ICB"

Role = Membership.JobRole

INDEPENDENT = (
    "Calder Valley Pharmacy",
    [("FA1C7", "Calder Valley Pharmacy", "14 Market Street", "Hebden Bridge", "HX7 6AA")],
)
SMALL_CHAIN = (
    "Aire Health Pharmacies",
    [
        ("FAH21", "Aire Health Pharmacy, Shipley", "3 Kirkgate", "Shipley", "BD18 3QN"),
        ("FAH22", "Aire Health Pharmacy, Bingley", "60 Main Street", "Bingley", "BD16 2HZ"),
        ("FAH23", "Aire Health Pharmacy, Keighley", "12 Low Street", "Keighley", "BD21 3PN"),
        ("FAH24", "Aire Health Pharmacy, Saltaire", "8 Victoria Road", "Shipley", "BD18 3LA"),
    ],
)
MULTIPLE_TOWNS = [
    ("Leeds", "LS1 5AR", "Briggate"),
    ("Leeds", "LS6 3HN", "Otley Road"),
    ("Leeds", "LS8 5QB", "Harehills Lane"),
    ("Leeds", "LS11 6AE", "Dewsbury Road"),
    ("Leeds", "LS15 8ER", "Cross Gates Road"),
    ("Leeds", "LS27 9BE", "Queen Street, Morley"),
    ("Bradford", "BD1 1US", "Market Street"),
    ("Bradford", "BD3 9QU", "Leeds Road"),
    ("Bradford", "BD7 1DT", "Great Horton Road"),
    ("Bradford", "BD9 4JD", "Toller Lane"),
    ("Wakefield", "WF1 1QX", "Westgate"),
    ("Wakefield", "WF2 9AE", "Horbury Road"),
    ("Pontefract", "WF8 1AQ", "Ropergate"),
    ("Castleford", "WF10 1DJ", "Carlton Street"),
    ("Huddersfield", "HD1 2UD", "New Street"),
    ("Huddersfield", "HD3 4LU", "Halifax Road"),
    ("Holmfirth", "HD9 3JZ", "Huddersfield Road"),
    ("Halifax", "HX1 1UW", "Commercial Street"),
    ("Halifax", "HX3 6PT", "Keighley Road"),
    ("Brighouse", "HD6 1JN", "Commercial Street"),
    ("Dewsbury", "WF13 1QB", "Northgate"),
    ("Batley", "WF17 5DP", "Commercial Street"),
    ("Ilkley", "LS29 9DT", "The Grove"),
    ("Otley", "LS21 3AN", "Kirkgate"),
    ("Wetherby", "LS22 6NE", "Market Place"),
]
FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Farhan",
    "Grace",
    "Hassan",
    "Imogen",
    "Jack",
    "Kiran",
    "Laura",
    "Mohammed",
    "Nadia",
    "Oliver",
    "Priya",
    "Qasim",
    "Rachel",
    "Sam",
    "Tariq",
    "Uzma",
    "Victoria",
    "Wei",
    "Yasmin",
    "Zara",
    "Adam",
    "Bethany",
    "Craig",
    "Deepa",
    "Ellie",
]
LAST_NAMES = [
    "Khan",
    "Smith",
    "Patel",
    "Hussain",
    "Brown",
    "Ahmed",
    "Taylor",
    "Walker",
    "Begum",
    "Wood",
    "Ali",
    "Wilson",
    "Shaw",
    "Iqbal",
    "Robinson",
    "Thompson",
    "Mahmood",
    "Holmes",
    "Clarke",
    "Riaz",
]
STAFF_SHAPE = [
    Role.PHARMACIST,
    Role.TECHNICIAN,
    Role.DISPENSER,
    Role.DISPENSER,
    Role.COUNTER_ASSISTANT,
]


PERSONAS = [
    # email, name, what they can show
    ("staff@demo.portal.test", "Sophie Ward", "Pharmacy staff (dispenser, Calder Valley Pharmacy)"),
    (
        "manager@demo.portal.test",
        "Imran Qureshi",
        "Premises manager (pharmacist, Calder Valley Pharmacy)",
    ),
    ("locum@demo.portal.test", "Helen Marsh", "Locum pharmacist at two Aire Health premises"),
    (
        "unlocker@demo.portal.test",
        "Gareth Lloyd",
        "Smartcard unlocker for Calder Valley, Aire Health and Pennine (two-factor)",
    ),
    (
        "headoffice@demo.portal.test",
        "Rebecca Firth",
        "Head-office admin, Pennine Pharmacy Group (two-factor)",
    ),
    ("admin@demo.portal.test", "Nasreen Akhtar", "Portal admin, LPC team (two-factor)"),
]
TWO_FACTOR_PERSONAS = {
    "unlocker@demo.portal.test",
    "headoffice@demo.portal.test",
    "admin@demo.portal.test",
}


@functools.cache
def _demo_password_hash():
    # Every demo login shares one password: hashing it once, not once per user, keeps
    # seeding fast (the production hasher takes a quarter of a second by design).
    return make_password(DEMO_PASSWORD)


def _user(email, full_name, **extra):
    user, _ = User.objects.get_or_create(
        email=email, defaults={"full_name": full_name, "password": _demo_password_hash(), **extra}
    )
    return user


def _premises(organisation, region, ods_code, name, street, town, postcode):
    premises, _ = Premises.objects.get_or_create(
        ods_code=ods_code,
        defaults={
            "organisation": organisation,
            "name": name,
            "address_line_1": street,
            "town": town,
            "postcode": postcode,
            "region": region,
        },
    )
    return premises


def _membership(user, premises, job_role, is_manager=False, start=date(2024, 4, 1)):
    if not Membership.objects.filter(user=user, premises=premises, end_date__isnull=True).exists():
        Membership.objects.create(
            user=user, premises=premises, job_role=job_role, is_manager=is_manager, start_date=start
        )


def _staff(premises, rng, domain):
    """A believable team: a manager pharmacist, a technician, dispensers, a counter assistant."""
    for index, job_role in enumerate(STAFF_SHAPE):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{premises.ods_code}{index}@{domain}".lower()
        user = _user(email, f"{first} {last}")
        _membership(user, premises, job_role, is_manager=index == 0)


def demo_totp_key_hex():
    return base64.b32decode(DEMO_TOTP_SECRET_BASE32).hex()


@transaction.atomic
def seed_demo():
    rng = random.Random(2026)
    region, _ = Region.objects.get_or_create(
        name=REGION_NAME,
        defaults={"ods_code": "QWO", "official_name": "NHS West Yorkshire Integrated Care Board"},
    )

    independent, _ = Organisation.objects.get_or_create(
        name=INDEPENDENT[0], defaults={"kind": Organisation.Kind.INDEPENDENT}
    )
    calder = _premises(independent, region, *INDEPENDENT[1][0])

    chain, _ = Organisation.objects.get_or_create(
        name=SMALL_CHAIN[0], defaults={"kind": Organisation.Kind.MULTIPLE}
    )
    chain_premises = [_premises(chain, region, *row) for row in SMALL_CHAIN[1]]

    multiple, _ = Organisation.objects.get_or_create(
        name="Pennine Pharmacy Group", defaults={"kind": Organisation.Kind.MULTIPLE}
    )
    # Premises of one group are told apart by street, and by town too where streets repeat.
    streets = Counter(street for _town, _postcode, street in MULTIPLE_TOWNS)
    multiple_premises = [
        _premises(
            multiple,
            region,
            f"FP{index:03d}",
            f"Pennine Pharmacy, {street}" + (f", {town}" if streets[street] > 1 else ""),
            f"{10 + index} {street}",
            town,
            postcode,
        )
        for index, (town, postcode, street) in enumerate(MULTIPLE_TOWNS, start=101)
    ]

    personas = {email: _user(email, name) for email, name, _ in PERSONAS}
    _membership(personas["staff@demo.portal.test"], calder, Role.DISPENSER)
    _membership(personas["manager@demo.portal.test"], calder, Role.PHARMACIST, is_manager=True)
    _user("j.barker@demo.portal.test", "Joanne Barker")
    _membership(User.objects.get(email="j.barker@demo.portal.test"), calder, Role.TECHNICIAN)
    for premises in chain_premises[:2]:
        _membership(personas["locum@demo.portal.test"], premises, Role.PHARMACIST)
    for premises in chain_premises + multiple_premises:
        _staff(premises, rng, "demo.portal.test")

    OrganisationAdmin.objects.get_or_create(
        user=personas["headoffice@demo.portal.test"], organisation=multiple
    )
    for organisation in (chain, multiple):
        UnlockerCover.objects.get_or_create(
            unlocker=personas["unlocker@demo.portal.test"], organisation=organisation
        )
    UnlockerCover.objects.get_or_create(
        unlocker=personas["unlocker@demo.portal.test"], premises=calder
    )
    admin = personas["admin@demo.portal.test"]
    if not admin.is_portal_admin:
        admin.is_portal_admin = True
        admin.save(update_fields=["is_portal_admin"])

    for email in TWO_FACTOR_PERSONAS:
        TOTPDevice.objects.get_or_create(
            user=personas[email],
            name="Demo authenticator",
            defaults={"key": demo_totp_key_hex(), "confirmed": True},
        )
    return personas


HISTORY_DAYS = 84


def seed_standing_history(*, today=None, days=HISTORY_DAYS, every=1):
    """Twelve weeks of believable daily history behind today's stored standings, so the
    trend charts show a picture on first run: walking back from today, a premises' level
    in an area now and then steps to a neighbouring one, more often towards worse (the
    picture improves over the weeks, as it does when a group starts using the portal).
    `every=7` writes only the weekdays the trends show (for national-scale data).
    Seeded per premises and area, and never overwrites a day already recorded, so running
    twice changes nothing. Returns the number of rows offered."""
    today = today or timezone.localdate()
    ladder = [StandingLevel.RED, StandingLevel.AMBER, StandingLevel.GREEN]
    rows, written = [], 0
    for premises_id, area, level in PremisesStanding.objects.values_list(
        "premises_id", "area", "level"
    ).iterator(chunk_size=5000):
        rng = random.Random(f"{premises_id}:{area}")
        position = ladder.index(level)
        for back in range(1, days):
            roll = rng.random()
            if roll < 0.05 and position > 0:
                position -= 1
            elif roll < 0.07 and position < len(ladder) - 1:
                position += 1
            if back % every:
                continue
            rows.append(
                StandingDay(
                    premises_id=premises_id,
                    area=area,
                    day=today - timedelta(days=back),
                    level=ladder[position],
                )
            )
        if len(rows) >= 5000:
            StandingDay.objects.bulk_create(rows, ignore_conflicts=True)
            written, rows = written + len(rows), []
    StandingDay.objects.bulk_create(rows, ignore_conflicts=True)
    standings.tallies_rebuild()
    return written + len(rows)
