"""Bulk import at national scale: applying a 100,000-row staff file for the biggest group.

`import` times the apply step of a checked file (every row becomes an invitation, with
its audit event) against a floor that inserts the same invitations from the staged rows
with one hand-written INSERT ... SELECT. Both run inside a transaction that is rolled
back, so the data set is the same for every run (and PostgreSQL's append-only audit
trail is not filled with benchmark events).

`import` peak_mb follows the whole path, upload (streamed from a file on disk), check and
apply, at 10,000 and 100,000 rows: it should barely grow, since rows are read, checked
and written a chunk at a time. It is the growth of the whole process's resident memory
(harness.memory_rss), not tracemalloc's count, which would slow 100,000 rows too much.
"""

import csv
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.test import override_settings

from accounts.models import Organisation, Premises, User
from benchmarks.scale import BIGGEST_GROUP
from pharmacy_portal.imports import services
from pharmacy_portal.models import ImportRun

OUT = Path(__file__).resolve().parent / "out"
SIZES = (10_000, 100_000)
ROLES = ["Dispenser", "Pharmacist", "Pharmacy technician", "Counter assistant"]


class _Rollback(Exception):
    pass


def in_rollback(fn):
    try:
        with transaction.atomic():
            fn()
            raise _Rollback
    except _Rollback:
        pass


def seed():
    return False


def _actor():
    user, _ = User.objects.get_or_create(
        email="bench-import-admin@bench.portal.test",
        defaults={"full_name": "Bench Import Admin", "is_portal_admin": True},
    )
    return user


def _file(n, codes):
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bench-import-{n}.csv"
    if not path.exists():
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Email address", "Full name", "Premises ODS code", "Job role"])
            for i in range(n):
                writer.writerow(
                    [
                        f"starter{i}@import.bench.test",
                        f"Starter {i}",
                        codes[i % len(codes)],
                        ROLES[i % 4],
                    ]
                )
    return path


def _upload(actor, organisation, path):
    with path.open("rb") as handle, override_settings(IMPORT_INLINE_MAX_ROWS=10**9):
        upload = UploadedFile(handle, name=path.name, size=path.stat().st_size)
        return services.import_upload(
            actor=actor, organisation=organisation, kind="staff", uploaded_file=upload
        )


FLOOR_SQL = {
    "postgresql": """
        INSERT INTO accounts_invitation (email, full_name, premises_id, job_role, is_manager,
            invited_by_id, token_hash, created_at, expires_at)
        SELECT r.data->>'email', r.data->>'full_name', p.id, 'dispenser', false, %s,
            md5(r.id::text) || md5(r.number::text), now(), now() + interval '7 days'
        FROM pharmacy_portal_importrow r
        JOIN accounts_premises p ON p.ods_code = r.data->>'premises_ods_code'
        WHERE r.run_id = %s
    """,
    "sqlite": """
        INSERT INTO accounts_invitation (email, full_name, premises_id, job_role, is_manager,
            invited_by_id, token_hash, created_at, expires_at)
        SELECT json_extract(r.data, '$.email'), json_extract(r.data, '$.full_name'), p.id,
            'dispenser', 0, %s, 'bench-' || r.id, datetime('now'), datetime('now', '+7 days')
        FROM pharmacy_portal_importrow r
        JOIN accounts_premises p ON p.ods_code = json_extract(r.data, '$.premises_ods_code')
        WHERE r.run_id = %s
    """,
}


def measure(h):
    organisation = Organisation.objects.get(name=BIGGEST_GROUP)
    codes = list(
        Premises.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("ods_code", flat=True)
    )
    actor = _actor()
    n = SIZES[-1]
    path = _file(n, codes)
    run = (
        ImportRun.objects.filter(file_name=path.name, status=ImportRun.Status.READY)
        .order_by("-pk")
        .first()
    )
    if run is None:
        run = _upload(actor, organisation, path)
    assert run.status == ImportRun.Status.READY and run.add_count == n, run.status

    def ready_to_apply():
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.APPLYING)
        run.status = ImportRun.Status.APPLYING

    def project():
        in_rollback(lambda: services.import_apply(actor=actor, run=run))

    def floor():
        def insert():
            with connection.cursor() as cursor:
                cursor.execute(FLOOR_SQL[connection.vendor], [actor.pk, run.pk])

        in_rollback(insert)

    h.compare("import", n, project, floor, repeat=3, setup=ready_to_apply)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.READY)

    for size in SIZES:
        sized = _file(size, codes)

        def whole_path(sized=sized):
            def steps():
                fresh = _upload(actor, organisation, sized)
                services.import_confirm(actor=actor, run=fresh)

            with override_settings(IMPORT_INLINE_MAX_ROWS=10**9):
                in_rollback(steps)

        # 100,000 rows under tracemalloc take the better part of an hour: measured as the
        # process's resident memory instead, at both sizes so they compare.
        h.memory_rss("import", size, whole_path)
