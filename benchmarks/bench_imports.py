"""Bulk import and ODS reconciliation at national scale.

`import` times the apply step of a checked staff file for the biggest group (every row
becomes an invitation, with its audit event and the row's link to it) at 10,000 and
100,000 rows, against an honest set-based floor that checks the rows against the
database again and makes the same writes from the same staged rows with four
hand-written statements: one SELECT finding rows the database no longer fits (the apply
must refuse those, and until now the floor skipped that check), INSERT ... SELECT of the
invitations, UPDATE ... FROM of the row links, INSERT ... SELECT of the audit events.

`import_check` times the step the person waits on, upload and check (reading the file,
staging the rows, checking each row's cells and classifying it against the database),
against a floor that does the same work by hand in one pass: reads and validates the
same rows with the csv module and the same regular expressions, looks each chunk's
people and pending invitations up in the database, and writes every row once, with its
cells, key, action, preview changes and cleaned values, by COPY. (Until now the floor
only read and validated the file, so it left out the look-ups and every write: its
ratio said more about the database than about the portal.)

`import` peak_mb follows the whole path, upload (streamed from a file on disk), check and
apply, at 10,000 and 100,000 rows: it should barely grow, since rows are read, checked
and written a chunk at a time. It is the growth of the whole process's resident memory
(harness.memory_rss), not tracemalloc's count, which would slow 100,000 rows too much.

`ods_reconcile` times the preview of a 12,000-row ODS pharmacy file (every scale premises,
one in ten with a new name, one in fifty closed, plus 200 codes the portal lacks) against
a floor that loads the same rows into a temporary table and diffs the same columns in SQL.

Every run is inside a transaction that is rolled back, so the data set is the same for
every run (and PostgreSQL's append-only audit trail is not filled with benchmark events);
on PostgreSQL the tables written are vacuumed afterwards, so rolled-back rows do not pile
up as dead rows and slow later `make bench` runs.
"""

import csv
import importlib
import json
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.core.validators import EmailValidator
from django.db import connection, transaction
from django.test import override_settings

from accounts.models import (
    AuditEvent,
    Invitation,
    Membership,
    Organisation,
    Premises,
    Region,
    User,
)
from accounts.validators import ODS_CODE_PATTERN
from benchmarks.scale import BIGGEST_GROUP
from imports import ods, services
from imports.bulk import UNSENT_TOKEN_PREFIX
from imports.kinds import header_key
from imports.models import ImportRow, ImportRun, OdsReconciliation, OdsRow

OUT = Path(__file__).resolve().parent / "out"
SIZES = (10_000, 100_000)
ROLES = ["Dispenser", "Pharmacist", "Pharmacy technician", "Counter assistant"]
WRITTEN_TABLES = [
    ImportRow._meta.db_table,
    ImportRun._meta.db_table,
    Invitation._meta.db_table,
    AuditEvent._meta.db_table,
    OdsRow._meta.db_table,
    OdsReconciliation._meta.db_table,
]


class _Rollback(Exception):
    pass


def in_rollback(fn):
    try:
        with transaction.atomic():
            fn()
            raise _Rollback
    except _Rollback:
        pass


def vacuum():
    """Reclaim the rows rolled-back runs left (PostgreSQL keeps them as dead tuples)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in WRITTEN_TABLES:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")


def seed():
    """The scale data's ICB areas get their ODS codes, as migration accounts 0007 gives the
    ICB areas the portal ships with (scale data made after it has none)."""
    codes = importlib.import_module("accounts.migrations.0007_imports_keep_values")
    filled = False
    for region in Region.objects.filter(ods_code="", name__in=codes.ICB_CODES):
        region.ods_code = codes.ICB_CODES[region.name]
        region.official_name = codes.official_name(region.name)
        region.save(update_fields=["ods_code", "official_name"])
        filled = True
    return filled


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


# --- The apply floor: the same three writes, by hand ---------------------------------------


def _json(key, kind="text"):
    if connection.vendor == "postgresql":
        text = f"(r.cleaned ->> '{key}')"
        return {"text": text, "bool": f"{text}::boolean", "date": f"{text}::date"}[kind]
    return f"json_extract(r.cleaned, '$.{key}')"


def _floor_changes():
    if connection.vendor == "postgresql":
        return (
            "jsonb_strip_nulls(jsonb_build_object('email', i.email, 'job_role', i.job_role, "
            "'is_manager', i.is_manager, 'start_date', i.start_date, 'end_date', i.end_date, "
            "'import_run', r.run_id))"
        )
    return (
        "json_patch('{}', json_object('email', i.email, 'job_role', i.job_role, 'is_manager', "
        "json(CASE WHEN i.is_manager THEN 'true' ELSE 'false' END), 'start_date', "
        "i.start_date, 'end_date', i.end_date, 'import_run', r.run_id))"
    )


def apply_floor(actor, run):
    """Check again, in one statement, that no row's file the database no longer fits
    (someone now on the portal, a pending invitation made since, a premises no longer
    the organisation's, an end date now past), as the apply does before writing; then
    the three writes."""
    now = "now()" if connection.vendor == "postgresql" else "datetime('now')"
    later = "now() + interval '7 days'" if connection.vendor == "postgresql" else now
    today = "current_date" if connection.vendor == "postgresql" else "date('now')"
    rows = ImportRow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {rows} r LEFT JOIN accounts_premises p ON p.ods_code = "
            f"{_json('premises_ods_code')} AND p.organisation_id = %s WHERE r.run_id = %s "
            f"AND (p.id IS NULL OR {_json('end_date', 'date')} <= {today} OR EXISTS (SELECT 1 "
            f"FROM accounts_user u WHERE u.email = {_json('email')}) OR EXISTS (SELECT 1 FROM "
            f"{Invitation._meta.db_table} i WHERE i.email = {_json('email')} AND i.premises_id "
            "= p.id AND i.accepted_at IS NULL AND i.revoked_at IS NULL "
            f"AND i.expires_at > {now}))",
            [run.organisation_id, run.pk],
        )
        (stale,) = cursor.fetchone()
        assert stale == 0, f"{stale} rows no longer fit"
        cursor.execute(
            f"INSERT INTO {Invitation._meta.db_table} (email, full_name, premises_id, "
            "job_role, is_manager, start_date, end_date, invited_by_id, token_hash, "
            f"created_at, expires_at) SELECT {_json('email')}, {_json('full_name')}, p.id, "
            f"{_json('job_role')}, {_json('is_manager', 'bool')}, "
            f"{_json('start_date', 'date')}, {_json('end_date', 'date')}, %s, "
            f"%s || CAST(r.id AS TEXT), {now}, {later} FROM {rows} r JOIN accounts_premises p "
            f"ON p.ods_code = {_json('premises_ods_code')} WHERE r.run_id = %s",
            [actor.pk, UNSENT_TOKEN_PREFIX, run.pk],
        )
        cursor.execute(
            f"UPDATE {rows} SET invitation_id = i.id FROM {Invitation._meta.db_table} i "
            f"WHERE i.token_hash = %s || CAST({rows}.id AS TEXT) AND {rows}.run_id = %s",
            [UNSENT_TOKEN_PREFIX, run.pk],
        )
        cursor.execute(
            f"INSERT INTO {AuditEvent._meta.db_table} (created_at, actor_id, actor_label, "
            "action, object_type, object_id, object_repr, organisation_id, premises_id, "
            f"changes, request_id) SELECT {now}, %s, %s, 'invitation.created', "
            "'accounts.Invitation', CAST(i.id AS TEXT), SUBSTR('Invitation for ' || i.email "
            "|| ' to ' || p.name || ' (' || p.ods_code || ')', 1, 250), p.organisation_id, "
            f"p.id, {_floor_changes()}, '' FROM {rows} r JOIN {Invitation._meta.db_table} i "
            "ON i.id = r.invitation_id JOIN accounts_premises p ON p.id = i.premises_id "
            "WHERE r.run_id = %s",
            [actor.pk, str(actor), run.pk],
        )


# --- The check floor: csv, the same regular expressions, the same look-ups and writes ------

EMAIL = EmailValidator()
JOB_ROLE_LABELS = dict(Membership.JobRole.choices)
JOB_ROLES = {
    header_key(text): stored
    for stored, label in Membership.JobRole.choices
    for text in (stored, label)
}
STAGED_FIELDS = ["email", "full_name", "premises_ods_code", "job_role", "is_manager",
                 "start_date", "end_date"]  # fmt: skip
FLOOR_CHUNK = 1000


def check_floor(actor, organisation, path):
    """What the person waits on, upload and check, by hand in one pass: read and validate
    every row with the csv module and the same regular expressions, look the chunk's
    people and pending invitations up in the database, and write each row once, already
    checked (its cells, key, action, preview changes and cleaned values), with COPY.
    The portal writes each row twice (staged when the file arrives, its outcome when
    checked), since a worker may check it; the floor does not need to."""
    run = ImportRun.objects.create(
        organisation=organisation,
        kind=ImportRun.Kind.STAFF,
        file_name=path.name,
        uploaded_by=actor,
        status=ImportRun.Status.READY,
    )
    premises = dict(
        Premises.objects.filter(organisation=organisation).values_list("ods_code", "id")
    )
    seen, bad = {}, 0
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader)
        chunk = []
        for number, (email, name, code, role) in enumerate(reader, start=2):
            email, name = email.strip().lower(), " ".join(name.split())
            code, role = code.strip().upper(), JOB_ROLES.get(header_key(role))
            key = f"{email}|{code}"
            ok = (
                EMAIL.user_regex.match(email.rpartition("@")[0])
                and EMAIL.domain_regex.match(email.rpartition("@")[2])
                and name
                and ODS_CODE_PATTERN.match(code)
                and role
                and not name.startswith(("=", "+", "-", "@"))
                and code in premises
                and seen.setdefault(key, number) == number
            )
            data = dict(zip(STAGED_FIELDS, (email, name, code, role, "", "", ""), strict=True))
            chunk.append((number, data, key, ok, email, name, code, role))
            if len(chunk) == FLOOR_CHUNK:
                bad += _floor_chunk(run, premises, chunk)
                chunk = []
        bad += _floor_chunk(run, premises, chunk)
    return bad


def _floor_chunk(run, premises, chunk):
    emails = [row[4] for row in chunk if row[3]]
    postgresql = connection.vendor == "postgresql"
    any_email = "= ANY(%s)" if postgresql else "IN (SELECT value FROM json_each(%s))"
    emails_param = emails if postgresql else json.dumps(emails)
    now = "now()" if postgresql else "datetime('now')"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT email FROM accounts_user WHERE email {any_email}", [emails_param])
        on_portal = {email for (email,) in cursor.fetchall()}
        cursor.execute(
            "SELECT i.email, i.premises_id FROM accounts_invitation i JOIN accounts_premises p "
            f"ON p.id = i.premises_id WHERE i.email {any_email} AND p.organisation_id = %s AND "
            f"i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > {now}",
            [emails_param, run.organisation_id],
        )
        pending = set(cursor.fetchall())
        bad, rows = 0, []
        for number, data, key, ok, email, name, code, role in chunk:
            invite = ok and email not in on_portal and (email, premises[code]) not in pending
            if not invite:
                bad += 1
                rows.append((run.pk, number, json.dumps(data), key, "error", "{}",
                             '[{"column": "", "message": "refused"}]', None))  # fmt: skip
                continue
            changes = {
                "email": ["", email],
                "full_name": ["", name],
                "premises": ["", code],
                "job_role": ["", JOB_ROLE_LABELS[role]],
                "is_manager": ["", "no"],
                "start_date": ["", "the day they accept the invitation"],
                "end_date": ["", "none: still working"],
            }
            cleaned = {"email": email, "full_name": name, "premises_ods_code": code,
                       "job_role": role, "is_manager": False, "start_date": None,
                       "end_date": None}  # fmt: skip
            rows.append((run.pk, number, json.dumps(data), key, "add", json.dumps(changes), "[]",
                         json.dumps(cleaned)))  # fmt: skip
        columns = "run_id, number, data, key, action, changes, errors, cleaned"
        if postgresql:
            with cursor.cursor.copy(
                f"COPY {ImportRow._meta.db_table} ({columns}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {ImportRow._meta.db_table} ({columns}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
    return bad


# --- The ODS reconciliation ------------------------------------------------------------------


def _ods_file(premises):
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bench-ods-{len(premises)}.csv"
    if path.exists():
        return path
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        for i, p in enumerate(premises):
            name = p["name"].upper() + (" HEALTH" if i % 10 == 0 else "")
            closed = "20260101" if i % 50 == 0 else ""
            cells = [p["ods_code"], name, "Y63", p["region__ods_code"] or "QWO"]
            cells += [p["address_line_1"].upper(), p["address_line_2"].upper(), ""]
            cells += [p["town"].upper(), "", p["postcode"], "19950401", closed]
            writer.writerow(cells + [""] * (27 - len(cells)))
        for i in range(200):
            cells = [f"FZ{i:03d}", f"NEW PHARMACY {i}", "Y63", "QWO", f"{i} NEW STREET", "", ""]
            cells += ["LEEDS", "", "LS1 4AP", "20260101", ""]
            writer.writerow(cells + [""] * (27 - len(cells)))
    return path


def ods_floor(path):
    """Load the same file into a temporary table and diff the same columns in SQL."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            (c[0], c[1], c[4], ", ".join(x for x in c[5:7] if x), c[7] or c[6] or c[5],
             c[9], c[3], c[11] or None)
            for c in csv.reader(handle)
        ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE ods_file (code varchar(12), name varchar(200), "
            "line1 varchar(200), line2 varchar(200), town varchar(100), postcode varchar(8), "
            "icb varchar(3), closed varchar(8))"
        )
        cursor.executemany("INSERT INTO ods_file VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
        cursor.execute(
            "SELECT f.code, p.id FROM ods_file f LEFT JOIN accounts_premises p "
            "ON p.ods_code = f.code LEFT JOIN accounts_region g ON g.id = p.region_id "
            "WHERE p.id IS NULL OR LOWER(p.name) <> LOWER(f.name) "
            "OR LOWER(p.address_line_1) <> LOWER(f.line1) "
            "OR LOWER(p.address_line_2) <> LOWER(f.line2) OR LOWER(p.town) <> LOWER(f.town) "
            "OR p.postcode <> f.postcode OR g.ods_code <> f.icb OR f.closed IS NOT NULL"
        )
        differing = cursor.fetchall()
        cursor.execute("DROP TABLE ods_file")
    return differing


def measure(h):
    organisation = Organisation.objects.get(name=BIGGEST_GROUP)
    codes = list(
        Premises.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("ods_code", flat=True)
    )
    actor = _actor()

    for n in SIZES:
        path = _file(n, codes)
        # Checked afresh every time: a run an earlier version of the portal checked may
        # hold its rows' cleaned values in an older shape.
        ImportRun.objects.filter(file_name=path.name, uploaded_by=actor).delete()
        run = _upload(actor, organisation, path)
        assert run.status == ImportRun.Status.READY and run.add_count == n, run.status

        def ready_to_apply(run=run):
            ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.APPLYING)
            run.status = ImportRun.Status.APPLYING

        def project(run=run):
            in_rollback(lambda: services.import_apply(actor=actor, run=run))

        def floor(run=run):
            in_rollback(lambda: apply_floor(actor, run))

        repeat = 3 if n <= 10_000 else 1
        h.compare("import", n, project, floor, repeat=repeat, setup=ready_to_apply)
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.READY)
        vacuum()

    for n in SIZES:
        path = _file(n, codes)

        def check(path=path):
            in_rollback(lambda: _upload(actor, organisation, path))

        h.compare(
            "import_check",
            n,
            check,
            lambda path=path: in_rollback(lambda: check_floor(actor, organisation, path)),
            repeat=3 if n <= 10_000 else 1,
        )
        vacuum()

    premises = list(
        Premises.objects.order_by("pk").values(
            "ods_code",
            "name",
            "address_line_1",
            "address_line_2",
            "town",
            "postcode",
            "region__ods_code",
        )
    )
    ods_path = _ods_file(premises)

    def reconcile():
        def upload():
            with ods_path.open("rb") as handle:
                ods.ods_reconciliation_upload(
                    actor=actor,
                    uploaded_file=UploadedFile(
                        handle, name=ods_path.name, size=ods_path.stat().st_size
                    ),
                )

        in_rollback(upload)

    h.compare(
        "ods_reconcile",
        len(premises) + 200,
        reconcile,
        lambda: in_rollback(lambda: ods_floor(ods_path)),
        repeat=3,
    )
    vacuum()

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
    vacuum()
