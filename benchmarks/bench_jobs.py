"""The periodic jobs people wait on, at national scale, each against a hand-written floor.

- digest: the weekly digest to every head-office admin (10 groups, 8,000 premises).
- reminders_certificates: the day's smartcard certificate reminders, with a card for
  every one of the ~100,000 scale staff, so about 270 holders are due on one day (those
  entering the renewal window and those 14 days from expiry), each emailed with their
  premises' managers.
- reminders_nhsmail: the day's NHSmail confirmation reminders (about 1,000 accounts
  reach 25 days unconfirmed on one day).
- escalation: the five-minute escalation job with 100 requests due (the covering
  unlocker and the portal admins are emailed about each).
- compliance_notify: the daily NHSmail compliance job with its notifications on, when
  2% of premises changed since the day before.

Each job runs as production runs it, its Celery tasks executed in-process as a worker
would (task_always_eager) and its emails delivered to Django's in-memory backend, so the
figure is all the work the job causes. Each floor does the same work in its best
hand-written form: set-based SQL reading the same rows, the same marker writes and audit
events, and the same emails rendered from the same templates and delivered the same way,
through the outbox as the portal sends them (docs/decisions/0040-outbox.md): written in
the job's transaction in one statement, then each claimed, sent and marked done as a
worker does, so neither side can lose or repeat an email.
Before each run of either side the state the job starts from is put back (untimed).
"""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.test.utils import override_settings
from django.utils import timezone

from accounts import standings
from accounts.models import Membership, Premises, StandingDay, User
from benchmarks.scale import SCALE_EMAIL_DOMAIN, vacuum
from nhsmail import rules
from nhsmail.models import ComplianceAlertState, PersonalAccount
from smartcards.models import FINAL_REMINDER_DAYS, SmartcardHolder, SmartcardRequest

ESCALATIONS_DUE = 100
CHANGED_EVERY = 50  # one premises in 50 changed NHSmail standing since yesterday


def _fetch(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


def _execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


OUTBOX_WRITE_SQL = """
INSERT INTO outbox_message (task, kwargs, state, attempts, created_at, available_at,
  expires_at, last_error)
SELECT 'accounts.tasks.send_email', json_build_object('to', x.recipient, 'subject', x.subject,
  'body', x.body)::jsonb, 'pending', 0, now(), now(), now() + interval '1 day', ''
FROM json_to_recordset(%(rows)s::json) AS x(recipient text, subject text, body text)
RETURNING id, kwargs->>'to', kwargs->>'subject', kwargs->>'body'
"""
OUTBOX_PUBLISHED_SQL = """
UPDATE outbox_message SET state = 'published', published_at = now()
WHERE id = ANY(%(ids)s) AND state = 'pending' AND attempts = 0
"""
OUTBOX_CLAIM_SQL = """
UPDATE outbox_message SET state = 'running', claimed_until = now() + interval '1 hour'
WHERE id = %(id)s AND state IN ('pending', 'published') RETURNING id
"""
OUTBOX_DONE_SQL = """
UPDATE outbox_message SET state = 'done', finished_at = now(), claimed_until = NULL
WHERE id = %(id)s
"""


def _outbox_write(emails):
    """What queue_email does for a job's emails [(to, subject, template, context)], in the
    job's transaction: render each body and write every one to the outbox in one
    statement. Returns the rows written, for `_deliver` once the transaction commits."""
    import json

    rows = [
        {
            "recipient": to,
            "subject": subject,
            "body": render_to_string(template, {**context, "base_url": settings.PORTAL_BASE_URL}),
        }
        for to, subject, template, context in emails
    ]
    return _fetch(OUTBOX_WRITE_SQL, {"rows": json.dumps(rows)}) if rows else []


def _deliver(written):
    """What the outbox does after commit with the rows written: mark them handed over,
    and for each, as a worker does, claim it (so a copy published twice runs once), send
    it, and mark it done, so a worker stopped halfway sends none twice."""
    if not written:
        return
    _execute(OUTBOX_PUBLISHED_SQL, {"ids": [row[0] for row in written]})
    for message_id, to, subject, body in written:
        if _fetch(OUTBOX_CLAIM_SQL, {"id": message_id}):
            mail.send_mail(subject, body, None, [to])
            _execute(OUTBOX_DONE_SQL, {"id": message_id})


# --- Seed --------------------------------------------------------------------------------


def seed():
    """A smartcard for every scale member of staff (Scale Group 0's already have one from
    bench_smartcards), expiries spread over two years, and every reminder marked as sent
    for the current certificates, as a portal whose daily job has run would have them."""
    today = timezone.localdate()
    with_card = SmartcardHolder.objects.filter(user__email__endswith=f"@{SCALE_EMAIL_DOMAIN}")
    if with_card.count() > 50_000:
        return False
    with transaction.atomic():
        users = (
            User.objects.filter(email__endswith=f"@{SCALE_EMAIL_DOMAIN}", smartcard__isnull=True)
            .filter(pk__in=Membership.objects.values("user_id"))
            .values_list("pk", flat=True)
        )
        SmartcardHolder.objects.bulk_create(
            [
                SmartcardHolder(
                    user_id=user_id,
                    uuid=f"{800000000000 + user_id:012d}",
                    certificate_expires_on=today + timedelta(days=(user_id * 37) % 730 - 30),
                    has_cim_email=user_id % 3 != 0,
                )
                for user_id in users
            ],
            batch_size=10_000,
        )
        _execute(
            "UPDATE smartcards_smartcardholder SET renewal_reminder_for = certificate_expires_on,"
            " final_reminder_for = certificate_expires_on"
        )
        _execute(
            "UPDATE nhsmail_personalaccount SET reminder_sent_for = last_confirmed_on"
            " WHERE last_confirmed_on IS NOT NULL"
        )
    vacuum(SmartcardHolder, PersonalAccount)
    return True


# --- Certificate reminders ---------------------------------------------------------------


def _certificates_due_today():
    """Put back the day's cohort: reminders not yet sent for the holders whose
    certificates enter the renewal window today or are 14 days from expiry today."""
    today = timezone.localdate()
    window_day = today + timedelta(days=settings.SMARTCARD_RENEWAL_WINDOW_DAYS)
    final_day = today + timedelta(days=FINAL_REMINDER_DAYS)
    _execute(
        "UPDATE smartcards_smartcardholder SET renewal_reminder_for = NULL"
        " WHERE certificate_expires_on = %(window)s",
        {"window": window_day},
    )
    _execute(
        "UPDATE smartcards_smartcardholder SET final_reminder_for = NULL"
        " WHERE certificate_expires_on = %(final)s",
        {"final": final_day},
    )


CERTIFICATES_DUE_SQL = """
WITH due AS (
  SELECT h.id, h.user_id, h.certificate_expires_on,
    CASE WHEN h.certificate_expires_on <= %(final_end)s
              AND h.final_reminder_for IS DISTINCT FROM h.certificate_expires_on
         THEN 'final' ELSE 'renewal' END AS stage
  FROM smartcards_smartcardholder h
  WHERE h.certificate_expires_on >= %(today)s
    AND ((h.certificate_expires_on <= %(window_end)s
          AND h.renewal_reminder_for IS DISTINCT FROM h.certificate_expires_on)
      OR (h.certificate_expires_on <= %(final_end)s
          AND h.final_reminder_for IS DISTINCT FROM h.certificate_expires_on))
  FOR UPDATE OF h
), marked AS (
  UPDATE smartcards_smartcardholder h SET
    renewal_reminder_for = d.certificate_expires_on,
    final_reminder_for = CASE WHEN d.stage = 'final' THEN d.certificate_expires_on
                              ELSE h.final_reminder_for END,
    updated_at = now()
  FROM due d WHERE h.id = d.id
  RETURNING h.id
)
SELECT d.id, d.stage, d.certificate_expires_on, u.id, u.full_name, u.email, u.is_active,
  (SELECT m.premises_id FROM accounts_membership m WHERE m.user_id = u.id
     AND m.start_date <= %(today)s AND (m.end_date IS NULL OR m.end_date > %(today)s)
     ORDER BY m.premises_id LIMIT 1),
  (SELECT json_agg(json_build_object('name', mu.full_name, 'email', mu.email,
                                     'premises', mp.premises_id) ORDER BY mu.full_name)
     FROM (SELECT DISTINCT ON (mm.user_id) mm.user_id, mm.premises_id
           FROM accounts_membership mm
           WHERE mm.is_manager AND mm.user_id <> u.id
             AND mm.start_date <= %(today)s AND (mm.end_date IS NULL OR mm.end_date > %(today)s)
             AND mm.premises_id IN (SELECT w.premises_id FROM accounts_membership w
                 WHERE w.user_id = u.id AND w.start_date <= %(today)s
                 AND (w.end_date IS NULL OR w.end_date > %(today)s))
           ORDER BY mm.user_id, mm.premises_id) mp
     JOIN accounts_user mu ON mu.id = mp.user_id AND mu.is_active)
FROM due d JOIN accounts_user u ON u.id = d.user_id
WHERE d.id IN (SELECT id FROM marked)
ORDER BY d.id
"""

AUDIT_INSERT_SQL = """
INSERT INTO accounts_auditevent (created_at, actor_label, action, object_type, object_id,
  object_repr, organisation_id, premises_id, changes, request_id, client_address)
SELECT now(), %(actor)s, x.action, %(object_type)s, x.object_id, x.object_repr,
  p.organisation_id, x.premises_id, x.changes::jsonb, '', NULL
FROM json_to_recordset(%(rows)s::json) AS x(action text, object_id text, object_repr text,
  premises_id int, changes json)
LEFT JOIN accounts_premises p ON p.id = x.premises_id
"""


def _audit(actor, object_type, rows):
    import json

    _execute(
        AUDIT_INSERT_SQL,
        {"actor": f"system: {actor}", "object_type": object_type, "rows": json.dumps(rows)},
    )


def certificate_reminders_floor():
    from smartcards.models import CertificateState

    today = timezone.localdate()
    params = {
        "today": today,
        "window_end": today + timedelta(days=settings.SMARTCARD_RENEWAL_WINDOW_DAYS),
        "final_end": today + timedelta(days=FINAL_REMINDER_DAYS),
    }
    template = "smartcards/emails/certificate_reminder.txt"
    emails, audit = [], []
    with transaction.atomic():
        for (
            holder_id,
            stage,
            expires_on,
            _user_id,
            name,
            email,
            active,
            premises_id,
            managers,
        ) in _fetch(CERTIFICATES_DUE_SQL, params):
            managers = managers or []
            recipients = ([email] if active else []) + [m["email"] for m in managers]
            audit.append(
                {
                    "action": f"smartcard_holder.reminder_{stage}",
                    "object_id": str(holder_id),
                    "object_repr": f"{name} <{email}>",
                    "premises_id": premises_id,
                    "changes": {"expires_on": str(expires_on), "recipients": recipients},
                }
            )
            holder = {
                "pk": holder_id,
                "certificate_expires_on": expires_on,
                "user": {"full_name": name},
            }
            subject = (
                f"Smartcard certificates expire on {expires_on:%-d %B %Y}"
                if stage == "final"
                else "Smartcard certificates can now be renewed"
            )
            context = {"holder": holder, "state": CertificateState(expires_on, today)}
            context["stage"] = stage
            if active:
                recipient = {"full_name": name}
                emails.append((email, subject, template, {**context, "recipient": recipient}))
            for manager in managers:
                emails.append(
                    (
                        manager["email"],
                        subject,
                        template,
                        {
                            **context,
                            "recipient": {"full_name": manager["name"]},
                            "premises": {"pk": manager["premises"]},
                        },
                    )
                )
        _audit("certificate reminders", "smartcards.SmartcardHolder", audit)
        written = _outbox_write(emails)
    _deliver(written)
    return len(audit)


# --- NHSmail confirmation reminders ------------------------------------------------------


def _confirmations_due_today():
    """Put back the day's cohort: accounts reaching 25 days unconfirmed today."""
    _execute(
        "UPDATE nhsmail_personalaccount SET reminder_sent_for = NULL"
        " WHERE last_confirmed_on = %(day)s",
        {"day": timezone.localdate() - timedelta(days=rules.REMIND_AFTER_DAYS)},
    )


CONFIRMATIONS_DUE_SQL = """
WITH due AS (
  SELECT a.id FROM nhsmail_personalaccount a
  WHERE a.status = 'live' AND a.last_confirmed_on <= %(remind)s
    AND a.last_confirmed_on > %(stops)s
    AND a.reminder_sent_for IS DISTINCT FROM a.last_confirmed_on
  FOR UPDATE SKIP LOCKED
)
UPDATE nhsmail_personalaccount a SET reminder_sent_for = a.last_confirmed_on
FROM due, accounts_user u
WHERE a.id = due.id AND u.id = a.user_id
RETURNING a.address, a.last_confirmed_on, u.full_name, u.email
"""


def confirmation_reminders_floor():
    today = timezone.localdate()
    params = {
        "remind": today - timedelta(days=rules.REMIND_AFTER_DAYS),
        "stops": today - timedelta(days=rules.STOPS_COUNTING_AFTER_DAYS),
    }
    with transaction.atomic():
        rows = _fetch(CONFIRMATIONS_DUE_SQL, params)
        written = _outbox_write(
            [
                (
                    email,
                    "Confirm you still use your NHSmail account",
                    "nhsmail/emails/confirm_reminder.txt",
                    {
                        "account": {"address": address, "user": {"full_name": name}},
                        "deadline": confirmed_on + timedelta(days=rules.AT_RISK_AFTER_DAYS),
                    },
                )
                for address, confirmed_on, name, email in rows
            ]
        )
    _deliver(written)
    return len(rows)


# --- Escalation --------------------------------------------------------------------------


def _escalations_due():
    """Put back ESCALATIONS_DUE open requests waiting past the limit, not yet escalated."""
    waited = timezone.now() - timedelta(minutes=settings.SMARTCARD_ESCALATE_AFTER_MINUTES + 1)
    _execute(
        "UPDATE smartcards_smartcardrequest SET escalated_at = raised_at"
        " WHERE status = 'open' AND escalated_at IS NULL"
    )
    _execute(
        "UPDATE smartcards_smartcardrequest SET escalated_at = NULL, waiting_since = %(waited)s"
        " WHERE id IN (SELECT id FROM smartcards_smartcardrequest WHERE status = 'open'"
        " ORDER BY id LIMIT %(due)s)",
        {"waited": waited, "due": ESCALATIONS_DUE},
    )


ESCALATION_SQL = """
WITH due AS (
  SELECT r.id FROM smartcards_smartcardrequest r
  WHERE r.status = 'open' AND r.escalated_at IS NULL AND r.waiting_since <= %(cutoff)s
  FOR UPDATE
), admins AS MATERIALIZED (
  SELECT id FROM accounts_user WHERE is_portal_admin AND is_active
), marked AS (
  UPDATE smartcards_smartcardrequest r SET escalated_at = %(now)s FROM due
  WHERE r.id = due.id RETURNING r.*
), events AS (
  INSERT INTO smartcards_smartcardrequestevent (request_id, action, actor_id, actor_label,
    note, at)
  SELECT id, 'escalated', NULL, 'system: ' || %(job)s, '', %(now)s FROM marked
)
SELECT m.id, m.kind, m.urgent, m.premises_id, p.name, p.ods_code, p.organisation_id,
  hu.full_name,
  (SELECT json_agg(json_build_object('name', x.full_name, 'email', x.email)
                   ORDER BY x.full_name)
     FROM accounts_user x WHERE x.is_active AND x.id IN (
       SELECT c.unlocker_id FROM accounts_unlockercover c
       WHERE c.premises_id = m.premises_id OR c.organisation_id = p.organisation_id
       UNION SELECT id FROM admins))
FROM marked m
JOIN accounts_premises p ON p.id = m.premises_id
JOIN smartcards_smartcardholder h ON h.id = m.holder_id
JOIN accounts_user hu ON hu.id = h.user_id
ORDER BY m.id
"""


def escalation_floor():
    from smartcards.services import ESCALATION_JOB

    now = timezone.now()
    minutes = settings.SMARTCARD_ESCALATE_AFTER_MINUTES
    params = {"now": now, "cutoff": now - timedelta(minutes=minutes), "job": ESCALATION_JOB}
    kinds = dict(SmartcardRequest.Kind.choices)
    emails, audit = [], []
    with transaction.atomic():
        for request_id, kind, urgent, premises_id, name, ods, _org, holder, people in _fetch(
            ESCALATION_SQL, params
        ):
            audit.append(
                {
                    "action": "smartcard_request.escalated",
                    "object_id": str(request_id),
                    "object_repr": f"{kinds[kind]} for {holder}",
                    "premises_id": premises_id,
                    "changes": {"recipients": [p["email"] for p in people]},
                }
            )
            request = {
                "pk": request_id,
                "urgent": urgent,
                "get_kind_display": kinds[kind],
                "holder": {"user": {"full_name": holder}},
                "premises": {"name": name, "ods_code": ods},
            }
            urgency = "Urgent smartcard request" if urgent else "Smartcard request"
            for person in people:
                emails.append(
                    (
                        person["email"],
                        f"{urgency} waiting unclaimed at {name}",
                        "smartcards/emails/request_escalated.txt",
                        {"smartcard_request": request, "minutes": minutes, "recipient": person},
                    )
                )
        _audit(ESCALATION_JOB, "smartcards.SmartcardRequest", audit)
        written = _outbox_write(emails)
    _deliver(written)
    return len(audit)


# --- Compliance with notifications -------------------------------------------------------


def _compliance_changed_since_yesterday():
    """Today's NHSmail history not written yet (as at 06:00), and one premises in 50
    recorded yesterday at another level than it has today, so the run tells people."""
    today = timezone.localdate()
    StandingDay.objects.filter(area="nhsmail", day=today).delete()
    _execute(
        "UPDATE nhsmail_compliancealertstate a SET"
        " status = CASE s.level WHEN 'green' THEN 'red' ELSE 'green' END,"
        " since = %(yesterday)s, last_notified_on = %(yesterday)s"
        " FROM accounts_premisesstanding s WHERE s.premises_id = a.premises_id"
        " AND s.area = 'nhsmail' AND a.premises_id %% %(every)s = 0",
        {"yesterday": today - timedelta(days=1), "every": CHANGED_EVERY},
    )
    # Put the others back to today's level, whatever an earlier run left.
    _execute(
        "UPDATE nhsmail_compliancealertstate a SET status = s.level"
        " FROM accounts_premisesstanding s WHERE s.premises_id = a.premises_id"
        " AND s.area = 'nhsmail' AND a.premises_id %% %(every)s <> 0 AND a.status <> s.level",
        {"every": CHANGED_EVERY},
    )


TRANSITIONS_SQL = """
WITH old AS (
  SELECT premises_id, status, last_notified_on FROM nhsmail_compliancealertstate
), written AS (
  INSERT INTO nhsmail_compliancealertstate AS state (premises_id, status, since,
    last_notified_on)
  SELECT premises_id, level, %(on)s, CASE WHEN level <> 'green' THEN %(on)s::date END
  FROM accounts_premisesstanding WHERE area = 'nhsmail'
  ORDER BY premises_id
  ON CONFLICT (premises_id) DO UPDATE SET
    status = EXCLUDED.status,
    since = CASE WHEN state.status <> EXCLUDED.status THEN EXCLUDED.since ELSE state.since END,
    last_notified_on = %(on)s
  WHERE state.status <> EXCLUDED.status
    OR (EXCLUDED.status = 'red' AND state.last_notified_on <= %(reminder_due)s)
  RETURNING premises_id, status
)
SELECT w.premises_id, w.status, o.status, s.reason, p.name, p.ods_code, p.organisation_id,
  CASE WHEN o.status IS NULL OR o.status <> w.status
       THEN (CASE WHEN w.status = 'green' THEN 'recovered' ELSE 'changed' END)
       ELSE 'still_red' END,
  ARRAY(SELECT DISTINCT u.email FROM accounts_membership m
        JOIN accounts_user u ON u.id = m.user_id AND u.is_active
        WHERE m.premises_id = w.premises_id AND m.is_manager AND m.start_date <= %(on)s
          AND (m.end_date IS NULL OR m.end_date > %(on)s)
        UNION SELECT u.email FROM accounts_organisationadmin a
        JOIN accounts_user u ON u.id = a.user_id AND u.is_active
        WHERE a.organisation_id = p.organisation_id)
FROM written w
LEFT JOIN old o ON o.premises_id = w.premises_id
JOIN accounts_premisesstanding s ON s.premises_id = w.premises_id AND s.area = 'nhsmail'
JOIN accounts_premises p ON p.id = w.premises_id
WHERE o.status IS NULL AND w.status <> 'green' OR o.status IS NOT NULL
"""


def compliance_notify_floor():
    from benchmarks.standings_floor import refresh_floor
    from nhsmail.models import ComplianceStatus
    from nhsmail.services import RED_REMINDER_EVERY

    on = timezone.localdate()
    per_person, audit = defaultdict(list), []
    with transaction.atomic():
        refresh_floor(on=on, areas=["nhsmail"])
        rows = _fetch(TRANSITIONS_SQL, {"on": on, "reminder_due": on - RED_REMINDER_EVERY})
        for premises_id, status, previous, reason, name, ods, org, kind, emails in rows:
            if kind != "still_red":
                audit.append(
                    {
                        "action": "nhsmail.status_changed",
                        "object_id": str(premises_id),
                        "object_repr": f"{name} ({ods})",
                        "premises_id": premises_id,
                        "changes": {"from": previous, "to": status, "reason": reason, "kind": kind},
                    }
                )
            line = {"kind": kind, "status": status, "reason": reason, "id": premises_id,
                    "name": name, "ods_code": ods, "organisation_id": org}  # fmt: skip
            for email in emails:
                per_person[email].append(line)
        _audit("NHSmail compliance check", "accounts.Premises", audit)
        emails = []
        for email, lines in per_person.items():
            lines.sort(key=lambda line: (line["kind"], line["name"]))
            if len(lines) == 1:
                only = lines[0]
                level = ComplianceStatus(only["status"]).label.lower()
                subject = {
                    "changed": f"NHSmail: {only['name']} is {level}",
                    "still_red": f"NHSmail: {only['name']} is still not compliant",
                    "recovered": f"NHSmail: {only['name']} is back to compliant",
                }[only["kind"]]
            else:
                subject = f"NHSmail: {len(lines)} premises changed"
            emails.append(
                (email, subject, "nhsmail/emails/compliance_changes.txt", {"lines": lines})
            )
        written = _outbox_write(emails)
    _deliver(written)
    return len(rows)


# --- Weekly digest -----------------------------------------------------------------------

DIGEST_KEYS_SQL = """
INSERT INTO accounts_sentnotification (key, sent_at)
SELECT 'weekly-digest:' || a.user_id || ':' || a.organisation_id || ':' || %(week)s, now()
FROM accounts_organisationadmin a JOIN accounts_user u ON u.id = a.user_id AND u.is_active
ON CONFLICT (key) DO NOTHING
RETURNING key
"""

DIGEST_ADMINS_SQL = """
SELECT a.user_id, u.full_name, u.email, o.id, o.name
FROM accounts_organisationadmin a
JOIN accounts_user u ON u.id = a.user_id
JOIN accounts_organisation o ON o.id = a.organisation_id
WHERE 'weekly-digest:' || a.user_id || ':' || a.organisation_id || ':' || %(week)s
      = ANY(%(keys)s)
"""

DIGEST_FIGURES_SQL = """
SELECT p.organisation_id, s.area, s.level, COUNT(*),
  SUM((s.figures->>'certificates_expired')::int) FILTER (WHERE s.area = 'smartcards'),
  SUM((s.figures->>'open_requests')::int) FILTER (WHERE s.area = 'smartcards'),
  SUM((s.figures->>'expiring_30')::int) FILTER (WHERE s.area = 'smartcards'),
  COUNT(*) FILTER (WHERE s.area = 'eps' AND (s.figures->'is_low')::boolean),
  COUNT(*) FILTER (WHERE s.area = 'records' AND NOT (s.figures->'has_ready_pharmacist')::boolean),
  (array_agg(json_build_object('name', p.name, 'ods_code', p.ods_code) ORDER BY p.name, p.id)
     FILTER (WHERE s.level = 'red'))[1:10]
FROM accounts_premisesstanding s JOIN accounts_premises p ON p.id = s.premises_id
WHERE p.organisation_id = ANY(%(organisations)s)
GROUP BY p.organisation_id, s.area, s.level
"""

DIGEST_CHANGES_SQL = """
SELECT p.organisation_id, p.name, b.area, b.level, a.level
FROM accounts_standingday b
JOIN accounts_standingday a ON a.premises_id = b.premises_id AND a.area = b.area
  AND a.day = %(until)s
JOIN accounts_premises p ON p.id = b.premises_id
WHERE b.day = %(since)s AND a.level <> b.level AND p.organisation_id = ANY(%(organisations)s)
ORDER BY p.name, b.area
"""


def digest_floor():
    on = timezone.localdate()
    week = on - timedelta(days=on.weekday())
    with transaction.atomic():
        keys = [row[0] for row in _fetch(DIGEST_KEYS_SQL, {"week": week.isoformat()})]
        admins = _fetch(DIGEST_ADMINS_SQL, {"week": week.isoformat(), "keys": keys})
        organisations = sorted({row[3] for row in admins})
        figures, levels, red = defaultdict(dict), defaultdict(dict), defaultdict(dict)
        for (
            org,
            area,
            level,
            count,
            expired,
            open_requests,
            exp30,
            low,
            unready,
            first_red,
        ) in _fetch(DIGEST_FIGURES_SQL, {"organisations": organisations}):
            levels[org].setdefault(area, {})[level] = count
            totals = figures[org]
            for name, value in (
                ("certificates_expired", expired),
                ("open_requests", open_requests),
                ("expiring_30", exp30),
                ("low_on_tokens", low),
                ("without_ready_pharmacist", unready),
            ):
                totals[name] = totals.get(name, 0) + (value or 0)
            totals["premises_count"] = totals.get("premises_count", 0) + (
                count if area == "nhsmail" else 0
            )
            if level == standings.RED:
                red[org][area] = (count, first_red)
        changes = defaultdict(list)
        params = {"organisations": organisations, "since": on - timedelta(days=7), "until": on}
        for org, name, area_key, before, after in _fetch(DIGEST_CHANGES_SQL, params):
            area = standings.area(area_key)
            changes[org].append((name, area.label, area.label_for(before), area.label_for(after)))
        emails = []
        order = sorted(standings.SEVERITY, key=standings.SEVERITY.get)
        for _user_id, full_name, email, org, org_name in admins:
            headline = {
                **figures[org],
                "areas": [
                    (
                        a,
                        [
                            (lv, a.label_for(lv), levels[org].get(a.key, {}).get(lv, 0))
                            for lv in order
                        ],
                    )
                    for a in standings.areas()
                ],
            }
            # The template lists the first ten red premises of an area and counts them all.
            needing = [(a.label, red[org].get(a.key, (0, []))) for a in standings.areas()]
            emails.append(
                (
                    email,
                    f"Weekly compliance digest: {org_name}",
                    "dashboard/emails/weekly_digest.txt",
                    {
                        "admin": {
                            "user": {"full_name": full_name},
                            "organisation": {"name": org_name},
                        },
                        "week": week,
                        "headline": headline,
                        "red": [
                            (label, count, [(p["name"], p["ods_code"]) for p in first or []])
                            for label, (count, first) in needing
                        ],
                        "changes": sorted(changes[org]),
                    },
                )
            )
        written = _outbox_write(emails)
    _deliver(written)
    return len(admins)


# --- Measure -----------------------------------------------------------------------------


def measure(h):
    if connection.vendor != "postgresql":
        print("bench jobs skipped: the floors are PostgreSQL SQL", flush=True)
        return
    from pharmacy_portal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            _measure(h)
    finally:
        app.conf.task_always_eager = eager


def _measure(h):
    from accounts.models import OrganisationAdmin, SentNotification
    from dashboard.tasks import send_weekly_digests
    from nhsmail.services import compliance_refresh
    from nhsmail.tasks import send_confirmation_reminders
    from outbox.models import Message
    from smartcards.tasks import escalate_waiting_requests, send_certificate_reminders

    def outbox_emptied():
        mail.outbox = []
        Message.objects.all().delete()

    def run_task(task):
        return lambda: task.apply()

    # Digest: every head-office admin's, as on Monday morning.
    def digests_not_sent():
        outbox_emptied()
        SentNotification.objects.filter(key__startswith="weekly-digest:").delete()

    h.compare(
        "digest",
        OrganisationAdmin.objects.count(),
        run_task(send_weekly_digests),
        digest_floor,
        repeat=3,
        between=digests_not_sent,
    )

    def certificates_due():
        outbox_emptied()
        _certificates_due_today()

    certificates_due()
    from smartcards.selectors import holders_due_reminder

    due = len(holders_due_reminder())
    h.compare(
        "reminders_certificates",
        due,
        run_task(send_certificate_reminders),
        certificate_reminders_floor,
        repeat=5,
        between=certificates_due,
    )

    def confirmations_due():
        outbox_emptied()
        _confirmations_due_today()

    confirmations_due()
    h.compare(
        "reminders_nhsmail",
        PersonalAccount.objects.filter(reminder_sent_for__isnull=True, status="live").count(),
        run_task(send_confirmation_reminders),
        confirmation_reminders_floor,
        repeat=5,
        between=confirmations_due,
    )

    def escalations_due():
        outbox_emptied()
        _escalations_due()

    h.compare(
        "escalation",
        ESCALATIONS_DUE,
        run_task(escalate_waiting_requests),
        escalation_floor,
        repeat=5,
        between=escalations_due,
    )

    def changed_since_yesterday():
        outbox_emptied()
        _compliance_changed_since_yesterday()

    h.compare(
        "compliance_notify",
        Premises.objects.count(),
        lambda: compliance_refresh(on=timezone.localdate()),
        compliance_notify_floor,
        repeat=5,
        between=changed_since_yesterday,
    )
    vacuum(SmartcardHolder, PersonalAccount, SmartcardRequest, ComplianceAlertState)
