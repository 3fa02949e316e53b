"""The national-scale data set: 12,000 premises and about 100,000 staff.

Organisations mirror England's market: a few large multiples (the largest, "Scale Group
0", has 2,000 premises), mid-sized chains, and 4,000 independents. Built with bulk
inserts; idempotent (does nothing when the data set is already there).
"""

from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Membership, Organisation, OrganisationAdmin, Premises, Region, User

PREMISES_TOTAL = 12_000
GROUP_SIZES = [2_000, 1_500, 1_000] + [500] * 7  # 8,000 premises in 10 groups
STAFF_PATTERN = [
    (Membership.JobRole.PHARMACIST, True),
    (Membership.JobRole.PHARMACIST, False),
    (Membership.JobRole.TECHNICIAN, False),
    (Membership.JobRole.DISPENSER, False),
    (Membership.JobRole.DISPENSER, False),
    (Membership.JobRole.DISPENSER, False),
    (Membership.JobRole.COUNTER_ASSISTANT, False),
    (Membership.JobRole.COUNTER_ASSISTANT, False),
]
REGIONS = [
    "West Yorkshire ICB", "Greater Manchester ICB", "North East and North Cumbria ICB",
    "Birmingham and Solihull ICB", "North Central London ICB", "Kent and Medway ICB",
    "Bristol, North Somerset and South Gloucestershire ICB", "Cheshire and Merseyside ICB",
    "Norfolk and Waveney ICB", "Devon ICB",
]  # fmt: skip
SCALE_EMAIL_DOMAIN = "scale.portal.test"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BIGGEST_GROUP = "Scale Group 0"


def ods_code(index):
    digits = []
    for _ in range(3):
        index, remainder = divmod(index, len(ALPHABET))
        digits.append(ALPHABET[remainder])
    return "FS" + "".join(reversed(digits))


def is_seeded():
    return Organisation.objects.filter(name=BIGGEST_GROUP).exists()


@transaction.atomic
def seed_scale():
    if is_seeded():
        return False
    regions = [Region.objects.get_or_create(name=name)[0] for name in REGIONS]
    organisations = [
        Organisation(name=f"Scale Group {i}", kind=Organisation.Kind.MULTIPLE)
        for i in range(len(GROUP_SIZES))
    ]
    independents = PREMISES_TOTAL - sum(GROUP_SIZES)
    organisations += [
        Organisation(name=f"Scale Independent {i}", kind=Organisation.Kind.INDEPENDENT)
        for i in range(independents)
    ]
    Organisation.objects.bulk_create(organisations, batch_size=2000)
    organisations = list(Organisation.objects.filter(name__startswith="Scale ").order_by("id"))
    by_name = {o.name: o for o in organisations}

    owners = []
    for i, size in enumerate(GROUP_SIZES):
        owners += [by_name[f"Scale Group {i}"]] * size
    owners += [by_name[f"Scale Independent {i}"] for i in range(independents)]
    premises = [
        Premises(
            organisation=owner,
            ods_code=ods_code(index),
            name=f"Scale Pharmacy {index}",
            address_line_1=f"{index % 300 + 1} High Street",
            town="Scaleton",
            postcode="LS1 4AP",
            region=regions[index % len(regions)],
        )
        for index, owner in enumerate(owners)
    ]
    Premises.objects.bulk_create(premises, batch_size=2000)
    premises = list(Premises.objects.filter(ods_code__startswith="FS").order_by("id"))

    password = make_password(None)  # unusable: scale people never sign in by password
    users = []
    for p in premises:
        staff_count = 8 + (p.pk % 2)  # 8 or 9 people: about 102,000 in all
        for slot in range(staff_count):
            users.append(
                User(
                    email=f"s{p.ods_code.lower()}.{slot}@{SCALE_EMAIL_DOMAIN}",
                    full_name=f"Person {slot} {p.ods_code}",
                    password=password,
                )
            )
    User.objects.bulk_create(users, batch_size=5000)
    user_ids = dict(
        User.objects.filter(email__endswith=f"@{SCALE_EMAIL_DOMAIN}").values_list("email", "id")
    )
    memberships = []
    for p in premises:
        staff_count = 8 + (p.pk % 2)
        for slot in range(staff_count):
            job_role, is_manager = STAFF_PATTERN[slot % len(STAFF_PATTERN)]
            memberships.append(
                Membership(
                    user_id=user_ids[f"s{p.ods_code.lower()}.{slot}@{SCALE_EMAIL_DOMAIN}"],
                    premises=p,
                    job_role=job_role,
                    is_manager=is_manager,
                    start_date=date(2024, 1, 1),
                )
            )
    Membership.objects.bulk_create(memberships, batch_size=5000)

    for i in range(len(GROUP_SIZES)):
        admin = User.objects.create(
            email=f"headoffice{i}@{SCALE_EMAIL_DOMAIN}",
            full_name=f"Head Office {i}",
            password=password,
        )
        OrganisationAdmin.objects.create(user=admin, organisation=by_name[f"Scale Group {i}"])
    User.objects.create(
        email=f"admin@{SCALE_EMAIL_DOMAIN}",
        full_name="Scale Portal Admin",
        password=password,
        is_portal_admin=True,
    )
    return True


def head_office_of_biggest_group():
    return User.objects.get(email=f"headoffice0@{SCALE_EMAIL_DOMAIN}")


def portal_admin():
    return User.objects.get(email=f"admin@{SCALE_EMAIL_DOMAIN}")


def biggest_group():
    return Organisation.objects.get(name=BIGGEST_GROUP)


def refresh_planner_statistics():
    """VACUUM ANALYZE after a bulk load, as autovacuum would soon after in production.

    Without the ANALYZE PostgreSQL plans the first runs from empty-table statistics (a
    row where there are fifty thousand), and the figures measure a plan no live system
    would use. Without the VACUUM, a database whose autovacuum is switched off (as on
    some development machines) keeps every row version earlier runs left behind, and
    the pages measure index scans over millions of dead rows no live system has.
    """
    vacuum()


def vacuum(*models):
    """VACUUM ANALYZE these models' tables (every table when none): what autovacuum
    does in production after a job rewrites a table. PostgreSQL only; elsewhere nothing."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {tables}")
