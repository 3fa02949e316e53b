"""The fault run: crash the parts the portal leans on and show it copes.

    uv run python tests/faults/run_faults.py

It starts its own PostgreSQL and Redis on spare loopback ports in a temporary directory
(never the machine's shared ones), a Celery worker and gunicorn, then:

1. kills the worker with SIGKILL in the middle of the NHSmail compliance job, starts a new
   one, and checks every premises has exactly one snapshot for the day and every person
   was emailed once;
2. does the same in the middle of a batch of "confirm your account" reminders;
3. kills Redis while pages are being served (they keep answering) with tasks waiting in
   the queue, restarts it, and checks those tasks are then done;
4. kills Redis while a form is saved: the page answers as usual, and the email it wrote
   to the outbox goes out once, when Redis is back and the relay runs;
5. has the mail server refuse every message for a minute: each is retried with backoff
   and delivered once after it recovers;
6. SIGKILLs the outbox relay in the middle of publishing a backlog: nothing lost, nothing
   sent twice;
7. stops PostgreSQL: pages answer the 503 page with Retry-After, no traceback; starts it
   again and pages answer normally, with nothing restarted.

A per-row trigger, installed in its own throwaway database only, slows the job's writes
and counts them in a sequence (sequences ignore transactions), so "the middle" is a
measured point, not a guess. Prints one line per check and exits non-zero if any fails.
Ports: FAULTS_PG_PORT, FAULTS_REDIS_PORT, FAULTS_WEB_PORT (default: free ones).
"""

import collections
import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREMISES = 600  # 10 organisations of 60
PREMISES_PER_MANAGER = 6
REMINDERS = 600
QUEUED_WHILE_REDIS_DOWN = 50
MAIL_REFUSED_SECONDS = 60
REFUSED_EMAILS = 20
RELAY_BACKLOG = 1000
RELAY_KILL_AT = 0.3  # the share of the backlog in Redis when the relay is killed
KILL_AT = 0.4  # the share of the job's rows written when the worker is killed

failures = []


def check(ok, message):
    print(f"  {'ok  ' if ok else 'FAIL'} {message}", flush=True)
    if not ok:
        failures.append(message)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return True
        time.sleep(interval)
    return False


class Services:
    """A private PostgreSQL cluster and Redis, which this script may kill at will."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.pg_port = int(os.environ.get("FAULTS_PG_PORT") or free_port())
        self.redis_port = int(os.environ.get("FAULTS_REDIS_PORT") or free_port())
        self.pg_bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version)[-1]
        self.pg_data = workdir / "pg"
        self.redis_dir = workdir / "redis"
        self.redis = None

    def _as_postgres(self, *args):
        command = [f"{self.pg_bin}/{args[0]}", *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd="/")

    def start(self):
        self.pg_data.mkdir()
        self.redis_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
            shutil.chown(self.pg_data, "postgres")
        self._as_postgres("initdb", "-D", str(self.pg_data), "-U", "postgres", "--auth=trust")
        self.start_postgres()
        self.start_redis()

    def start_postgres(self):
        options = f"-p {self.pg_port} -k {self.pg_data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            "pg_ctl", "-D", str(self.pg_data), "-o", options, "-l",
            str(self.pg_data / "log"), "-w", "start",
        )  # fmt: skip

    def stop_postgres(self):
        self._as_postgres("pg_ctl", "-D", str(self.pg_data), "-m", "fast", "-w", "stop")

    def start_redis(self):
        # The broker keeps an append-only file synced on every write, as a production
        # broker must for queued jobs to outlive a Redis restart.
        self.redis = subprocess.Popen(
            [
                "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                "--dir", str(self.redis_dir), "--save", "", "--appendonly", "yes",
                "--appendfsync", "always",
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.redis_port)).close() or 1, 10)

    def kill_redis(self):
        self.redis.send_signal(signal.SIGKILL)
        self.redis.wait()

    def stop(self):
        if self.redis and self.redis.poll() is None:
            self.redis.kill()
        with contextlib.suppress(Exception):
            self.stop_postgres()


def _version(path):
    return int(Path(path).parent.name)


class Process:
    """A child in its own process group, so SIGKILL takes its children (the pool) too."""

    def __init__(self, name, args, env, log):
        self.name = name
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, sig=signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        self.popen.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    workdir = Path(tempfile.mkdtemp(prefix="portal-faults-"))
    os.chmod(workdir, 0o755)
    services = Services(workdir)
    services.start()
    mail_log = str(workdir / "mail.jsonl")
    web_port = int(os.environ.get("FAULTS_WEB_PORT") or free_port())
    database = f"postgres://postgres@127.0.0.1:{services.pg_port}/portal_faults"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pharmacy_portal.settings",
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "DATABASE_URL": database,
        "REDIS_URL": f"redis://127.0.0.1:{services.redis_port}/8",
        "EMAIL_BACKEND": "tests.faults.mail_log.JsonLinesEmailBackend",
        "FAULTS_MAIL_LOG": mail_log,
        "PYTHONPATH": str(ROOT),
        # The outbox retries a refusing mail server after 2, 4, 8, 8... seconds, not
        # production's 30 s doubling to 30 minutes, so the run takes minutes.
        "OUTBOX_RETRY_BASE_SECONDS": "2",
        "OUTBOX_RETRY_MAX_SECONDS": "8",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    children = []
    try:
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(services.pg_port), "-U", "postgres",
             "portal_faults"],
            check=True,
        )  # fmt: skip
        run = Run(env, workdir, mail_log, web_port, services, children)
        run.prepare()
        run.worker_killed_mid_compliance_job()
        run.worker_killed_mid_reminder_batch()
        run.redis_restarted_while_serving()
        run.redis_down_while_a_change_is_saved()
        run.mail_server_refusing_for_a_minute()
        run.relay_killed_mid_publish()
        run.postgres_stopped_while_serving()
    finally:
        for child in children:
            with contextlib.suppress(Exception):
                child.kill()
        services.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"faults: {len(failures)} failed check(s)" if failures else "faults: all checks passed")
    return 1 if failures else 0


class Run:
    def __init__(self, env, workdir, mail_log, web_port, services, children):
        self.env = env
        self.workdir = workdir
        self.mail_log = mail_log
        self.web_port = web_port
        self.services = services
        self.children = children
        self.worker_count = 0

    # --- set-up ---------------------------------------------------------------------------

    def prepare(self):
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self.seed()
        self.install_fault_triggers()

    def seed(self):
        from datetime import date

        from accounts.models import (
            Membership,
            Organisation,
            OrganisationAdmin,
            Premises,
            Region,
            User,
        )
        from nhsmail.models import PersonalAccount

        organisations = Organisation.objects.bulk_create(
            Organisation(name=f"Fault Group {i}", kind=Organisation.Kind.MULTIPLE)
            for i in range(PREMISES // 60)
        )
        region = Region.objects.create(name="West Yorkshire ICB")
        premises = Premises.objects.bulk_create(
            Premises(
                organisation=organisations[i // 60],
                ods_code=f"FQ{i:03X}",
                name=f"Fault Pharmacy {i}",
                address_line_1="1 High Street",
                town="Leeds",
                postcode="LS1 4AP",
                region=region,
            )
            for i in range(PREMISES)
        )
        managers = User.objects.bulk_create(
            User(email=f"manager{i}@faults.test", full_name=f"Manager {i}")
            for i in range(PREMISES // PREMISES_PER_MANAGER)
        )
        Membership.objects.bulk_create(
            Membership(
                user=managers[i // PREMISES_PER_MANAGER],
                premises=p,
                job_role=Membership.JobRole.PHARMACIST,
                is_manager=True,
                start_date=date(2024, 1, 1),
            )
            for i, p in enumerate(premises)
        )
        admins = User.objects.bulk_create(
            User(email=f"headoffice{i}@faults.test", full_name=f"Head Office {i}")
            for i in range(len(organisations))
        )
        OrganisationAdmin.objects.bulk_create(
            OrganisationAdmin(user=u, organisation=o)
            for u, o in zip(admins, organisations, strict=True)
        )
        readers = User.objects.bulk_create(
            User(email=f"reader{i}@faults.test", full_name=f"Reader {i}") for i in range(REMINDERS)
        )
        today = date.today()
        PersonalAccount.objects.bulk_create(
            PersonalAccount(
                user=u,
                address=f"reader.{i}@nhs.net",
                status=PersonalAccount.Status.LIVE,
                last_confirmed_on=today - timedelta(days=26),
            )
            for i, u in enumerate(readers)
        )
        self.expected_compliance_recipients = len(managers) + len(admins)
        self.manager = managers[0]
        self.premises = premises[0]

    def install_fault_triggers(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                """
                CREATE SEQUENCE fault_rows_written;
                CREATE FUNCTION fault_slow_row() RETURNS trigger AS $$
                BEGIN
                    PERFORM nextval('fault_rows_written');
                    PERFORM pg_sleep(0.004);
                    RETURN NEW;
                END $$ LANGUAGE plpgsql;
                CREATE TRIGGER fault_slow_snapshot BEFORE INSERT ON accounts_standingday
                    FOR EACH ROW EXECUTE FUNCTION fault_slow_row();
                CREATE TRIGGER fault_slow_reminder BEFORE UPDATE ON nhsmail_personalaccount
                    FOR EACH ROW EXECUTE FUNCTION fault_slow_row();
                """
            )

    # --- helpers --------------------------------------------------------------------------

    def start_worker(self):
        self.worker_count += 1
        worker = Process(
            f"worker {self.worker_count}",
            [sys.executable, "-m", "tests.faults.worker", "--concurrency=2",
             f"--hostname=fault{self.worker_count}@%h"],
            self.env,
            open(self.workdir / f"worker{self.worker_count}.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        self.children.append(worker)
        from pharmacy_portal.celery import app

        check(
            wait_for(lambda: app.control.ping(timeout=0.5), 30),
            f"{worker.name} started and answers",
        )
        return worker

    def rows_written(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM fault_rows_written"
            )
            return cursor.fetchone()[0]

    def reset_rows_written(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ALTER SEQUENCE fault_rows_written RESTART")

    def kill_when_written(self, worker, rows):
        reached = wait_for(lambda: self.rows_written() >= rows, 120, interval=0.02)
        worker.kill()
        written = self.rows_written()
        check(reached, f"{worker.name} SIGKILLed mid-job, {written} rows into its transaction")

    def mail(self, predicate=lambda m: True):
        from tests.faults.mail_log import sent

        return [m for m in sent(self.mail_log) if predicate(m)]

    def check_each_once(self, messages, expected, what):
        counts = collections.Counter((tuple(m["to"]), m["subject"]) for m in messages)
        repeated = [key for key, n in counts.items() if n > 1]
        check(not repeated, f"no {what} email sent twice ({len(repeated)} repeated)")
        people = {to for to, _ in counts}
        check(len(people) == expected, f"{len(people)} of {expected} people sent {what} email")

    # --- the faults -----------------------------------------------------------------------

    def worker_killed_mid_compliance_job(self):
        from django.utils import timezone

        from accounts.models import StandingDay
        from nhsmail.models import ComplianceAlertState
        from nhsmail.tasks import evaluate_compliance

        print("fault: worker killed in the middle of the compliance job", flush=True)
        today = timezone.localdate()
        is_compliance = lambda m: m["subject"].startswith("NHSmail:")  # noqa: E731
        worker = self.start_worker()
        self.reset_rows_written()
        evaluate_compliance.delay()
        self.kill_when_written(worker, int(PREMISES * KILL_AT))
        check(
            StandingDay.objects.filter(area="nhsmail", day=today).count() == 0,
            "the killed job's snapshots were rolled back with its transaction",
        )
        check(not self.mail(is_compliance), "the killed job sent no email")
        started = time.monotonic()
        self.start_worker()
        done = wait_for(
            lambda: (
                StandingDay.objects.filter(area="nhsmail", day=today).count() == PREMISES
                and len(self.mail(is_compliance)) >= self.expected_compliance_recipients
            ),
            120,
            interval=0.5,
        )
        check(
            done,
            f"a new worker took the job back and finished it in {time.monotonic() - started:.0f} s",
        )
        time.sleep(2)  # any duplicate email would have arrived by now
        per_premises = collections.Counter(
            StandingDay.objects.filter(area="nhsmail", day=today).values_list(
                "premises_id", flat=True
            )
        )
        check(
            len(per_premises) == PREMISES and set(per_premises.values()) == {1},
            f"{len(per_premises)} premises with exactly one snapshot today, none missing",
        )
        check(ComplianceAlertState.objects.count() == PREMISES, "one alert state per premises")
        self.check_each_once(
            self.mail(is_compliance), self.expected_compliance_recipients, "compliance"
        )
        before = len(self.mail(is_compliance))
        evaluate_compliance.delay().get(timeout=60)
        time.sleep(1)
        check(
            len(self.mail(is_compliance)) == before
            and StandingDay.objects.filter(area="nhsmail", day=today).count() == PREMISES,
            "running the job again changes nothing and sends nothing",
        )

    def worker_killed_mid_reminder_batch(self):
        from nhsmail.models import PersonalAccount
        from nhsmail.tasks import send_confirmation_reminders

        print("fault: worker killed in the middle of a reminder batch", flush=True)
        is_reminder = lambda m: m["subject"].startswith("Confirm you still use")  # noqa: E731
        worker = self.children[-1]
        self.reset_rows_written()
        send_confirmation_reminders.delay()
        self.kill_when_written(worker, int(REMINDERS * KILL_AT))
        marked = PersonalAccount.objects.filter(reminder_sent_for__isnull=False).count()
        check(marked == 0, "the killed batch's 'reminder sent' marks were rolled back")
        check(not self.mail(is_reminder), "the killed batch sent no reminder")
        started = time.monotonic()
        self.start_worker()
        done = wait_for(lambda: len(self.mail(is_reminder)) >= REMINDERS, 120, interval=0.5)
        took = time.monotonic() - started
        check(done, f"a new worker took the batch back and finished it in {took:.0f} s")
        time.sleep(2)
        check(
            PersonalAccount.objects.filter(reminder_sent_for__isnull=False).count() == REMINDERS,
            f"all {REMINDERS} accounts marked as reminded",
        )
        self.check_each_once(self.mail(is_reminder), REMINDERS, "reminder")
        send_confirmation_reminders.delay().get(timeout=60)
        time.sleep(1)
        check(len(self.mail(is_reminder)) == REMINDERS, "running the batch again sends nothing")

    def start_web(self):
        web = Process(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "pharmacy_portal.wsgi", "--bind",
             f"127.0.0.1:{self.web_port}", "--workers", "2", "--timeout", "30"],
            self.env,
            open(self.workdir / "web.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        self.children.append(web)
        self.session_cookie = self.sign_in_directly(self.manager)
        from django.urls import reverse

        self.pages = [
            reverse("home"),
            reverse("premises_list"),
            reverse("premises_detail", kwargs={"pk": self.premises.pk}),
        ]
        with contextlib.suppress(Exception):
            self.pages.append(reverse("nhsmail_premises", kwargs={"pk": self.premises.pk}))
        check(wait_for(lambda: self.get("/health/")[0] == 200, 30), "gunicorn serving")

    def sign_in_directly(self, user):
        """A session made through Django's session engine: the fault run tests outages,
        not the sign-in form."""
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore

        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return session.session_key

    def get(self, path):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}{path}",
            headers={"Cookie": f"sessionid={self.session_cookie}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def statuses(self):
        return [self.get(page)[0] for page in self.pages]

    def post_form(self, path, data):
        """GET the form for its CSRF token, POST it; the status (a redirect is not
        followed) and where it points."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}{path}",
            headers={"Cookie": f"sessionid={self.session_cookie}"},
        )
        with urllib.request.urlopen(request, timeout=15) as response:
            cookies = response.headers.get_all("Set-Cookie") or []
            body = response.read().decode()
        csrf_cookie = next(
            c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken=")
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        form = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        post = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}{path}",
            data=form,
            headers={
                "Cookie": f"sessionid={self.session_cookie}; csrftoken={csrf_cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(post, timeout=15) as response:
                return response.status, response.headers.get("Location")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location")

    def start_relay(self, *args):
        self.relay_count = getattr(self, "relay_count", 0) + 1
        relay = Process(
            f"relay {self.relay_count}",
            [sys.executable, "manage.py", "outbox_relay", *args],
            self.env,
            open(self.workdir / f"relay{self.relay_count}.log", "w"),  # noqa: SIM115
        )
        self.children.append(relay)
        return relay

    def stop_workers(self):
        for child in self.children:
            if child.name.startswith("worker") and child.popen.poll() is None:
                child.kill(signal.SIGTERM)

    def outbox_states(self, **filters):
        from outbox.models import Message

        return collections.Counter(
            Message.objects.filter(**filters).values_list("state", flat=True)
        )

    def redis_restarted_while_serving(self):
        from accounts.tasks import send_email

        print("fault: Redis killed and restarted while the portal serves", flush=True)
        self.start_web()
        check(set(self.statuses()) == {200}, f"pages answer before: {self.pages}")
        for worker in self.children:
            if worker.name.startswith("worker") and worker.popen.poll() is None:
                worker.kill(signal.SIGTERM)
        for i in range(QUEUED_WHILE_REDIS_DOWN):
            send_email.delay(to=f"queued{i}@faults.test", subject=f"Queued {i}", body="Body")
        self.services.kill_redis()
        down = [self.statuses() for _ in range(3)]
        check(
            all(set(statuses) == {200} for statuses in down),
            f"pages keep answering 200 while Redis is down: {down}",
        )
        health = self.get("/health/")[0]
        # pharmacy_portal/health.py: 503 Service Unavailable, the load balancer's signal.
        check(health == 503, f"/health/ reports the outage to the load balancer ({health})")
        self.services.start_redis()
        check(set(self.statuses()) == {200}, "pages answer after Redis is back")
        self.start_worker()
        is_queued = lambda m: m["subject"].startswith("Queued ")  # noqa: E731
        delivered = wait_for(lambda: len(self.mail(is_queued)) >= QUEUED_WHILE_REDIS_DOWN, 60)
        check(
            delivered and len(self.mail(is_queued)) == QUEUED_WHILE_REDIS_DOWN,
            f"all {QUEUED_WHILE_REDIS_DOWN} tasks queued before the restart were done, once each",
        )

    def redis_down_while_a_change_is_saved(self):
        from django.urls import reverse

        print("fault: Redis down while a change is saved", flush=True)
        invitee = "new.starter@faults.test"
        is_invitation = lambda m: m["to"] == [invitee]  # noqa: E731
        url = reverse("staff_invite", kwargs={"pk": self.premises.pk})
        self.services.kill_redis()
        started = time.monotonic()
        status, location = self.post_form(
            url, {"full_name": "New Starter", "email": invitee, "job_role": "dispenser"}
        )
        took = time.monotonic() - started
        check(
            status == 302 and self.get(location)[0] == 200,
            f"the invitation form answers {status}, then its page 200, with Redis down "
            f"(saved in {took:.1f} s)",
        )
        waiting = self.outbox_states(task="accounts.tasks.send_email", kwargs__to=invitee)
        check(waiting == {"pending": 1}, f"its email waits in the outbox: {dict(waiting)}")
        check(not self.mail(is_invitation), "and nothing was sent while Redis was down")
        self.services.start_redis()
        self.relay = self.start_relay("--every", "1")
        delivered = wait_for(lambda: self.mail(is_invitation), 60)
        time.sleep(3)  # a duplicate would have arrived by now
        check(
            delivered and len(self.mail(is_invitation)) == 1,
            f"once Redis is back the relay sent it, once ({len(self.mail(is_invitation))})",
        )

    def mail_server_refusing_for_a_minute(self):
        from django.db import transaction

        from accounts.tasks import send_email
        from outbox.services import enqueue
        from tests.faults.mail_log import sent

        print(f"fault: mail server refusing every message for {MAIL_REFUSED_SECONDS} s", flush=True)
        smtp_port = free_port()
        smtp_log = str(self.workdir / "smtp.jsonl")
        refuse_flag = self.workdir / "smtp-refuse"
        refuse_flag.touch()
        smtp = Process(
            "smtp server",
            [sys.executable, "-m", "tests.faults.smtp_server", str(smtp_port), smtp_log,
             str(refuse_flag)],
            self.env,
            open(self.workdir / "smtp.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        self.children.append(smtp)
        check(
            wait_for(lambda: socket.create_connection(("127.0.0.1", smtp_port)).close() or 1, 10),
            "a local SMTP server answers, refusing every recipient with 451",
        )
        self.stop_workers()
        saved_env = self.env
        self.env = {
            **saved_env,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
        }
        self.start_worker()
        self.env = saved_env
        subjects = [f"Refused at first {i}" for i in range(REFUSED_EMAILS)]
        with transaction.atomic():
            for i, subject in enumerate(subjects):
                enqueue(send_email, to=f"refused{i}@faults.test", subject=subject, body="Body")
        refused_until = time.monotonic() + MAIL_REFUSED_SECONDS
        retried = wait_for(
            lambda: (
                self.outbox_states(kwargs__subject__in=subjects, attempts__gte=2).total()
                == REFUSED_EMAILS
            ),
            MAIL_REFUSED_SECONDS,
        )
        check(
            retried and not sent(smtp_log),
            "each refused message was tried again, with backoff, and none got through",
        )
        time.sleep(max(0.0, refused_until - time.monotonic()))
        refuse_flag.unlink()
        started = time.monotonic()
        delivered = wait_for(lambda: len(sent(smtp_log)) >= REFUSED_EMAILS, 60)
        time.sleep(3)
        received = collections.Counter(m["subject"] for m in sent(smtp_log))
        check(
            delivered and set(received) == set(subjects) and set(received.values()) == {1},
            f"after it recovered all {REFUSED_EMAILS} were delivered in "
            f"{time.monotonic() - started:.0f} s, each once",
        )
        states = self.outbox_states(kwargs__subject__in=subjects)
        check(states == {"done": REFUSED_EMAILS}, f"the outbox says done: {dict(states)}")
        self.stop_workers()
        smtp.kill(signal.SIGTERM)

    def relay_killed_mid_publish(self):
        import redis
        from django.utils import timezone

        from outbox.models import Message

        print("fault: outbox relay killed in the middle of publishing a backlog", flush=True)
        self.relay.kill(signal.SIGTERM)
        self.stop_workers()
        broker = redis.Redis(port=self.services.redis_port, db=8)
        broker.delete("celery")
        now = timezone.now()
        Message.objects.bulk_create(
            Message(
                task="accounts.tasks.send_email",
                kwargs={"to": f"backlog{i}@faults.test", "subject": f"Backlog {i}", "body": "B"},
                expires_at=now + timedelta(days=1),
            )
            for i in range(RELAY_BACKLOG)
        )
        relay = self.start_relay("--batch", str(RELAY_BACKLOG))
        reached = wait_for(
            lambda: broker.llen("celery") >= RELAY_BACKLOG * RELAY_KILL_AT, 60, interval=0.002
        )
        relay.kill()
        in_broker = broker.llen("celery")
        check(
            reached and 0 < in_broker < RELAY_BACKLOG,
            f"relay SIGKILLed mid-publish, {in_broker} of {RELAY_BACKLOG} in Redis",
        )
        states = self.outbox_states(kwargs__subject__startswith="Backlog ")
        check(
            states == {"pending": RELAY_BACKLOG},
            f"its batch's transaction died with it: all still pending ({dict(states)})",
        )
        self.start_relay()
        check(
            wait_for(
                lambda: (
                    self.outbox_states(kwargs__subject__startswith="Backlog ")
                    == {"published": RELAY_BACKLOG}
                ),
                60,
            ),
            f"a new relay published them all: {broker.llen('celery')} messages in Redis, "
            f"{broker.llen('celery') - RELAY_BACKLOG} of them second copies",
        )
        self.start_worker()
        is_backlog = lambda m: m["subject"].startswith("Backlog ")  # noqa: E731
        started = time.monotonic()
        done = wait_for(
            lambda: (
                broker.llen("celery") == 0
                and self.outbox_states(kwargs__subject__startswith="Backlog ")
                == {"done": RELAY_BACKLOG}
            ),
            180,
            interval=0.5,
        )
        check(done, f"a worker ran them in {time.monotonic() - started:.0f} s, copies included")
        time.sleep(2)
        self.check_each_once(self.mail(is_backlog), RELAY_BACKLOG, "backlog")

    def postgres_stopped_while_serving(self):
        from django.db import connections

        print("fault: PostgreSQL stopped while the portal serves", flush=True)
        check(set(self.statuses()) == {200}, "pages answer before")
        connections.close_all()
        self.services.stop_postgres()
        answers = [self.get(page) for page in self.pages]
        check(
            all(status == 503 for status, _, _ in answers),
            f"pages answer 503 while PostgreSQL is down: {[a[0] for a in answers]}",
        )
        check(
            all(headers.get("Retry-After") for _, headers, _ in answers),
            "with a Retry-After header",
        )
        check(
            all(
                "service is unavailable" in body and "Traceback" not in body for *_, body in answers
            ),
            "and the plain 'service is unavailable' page, no traceback",
        )
        started = time.monotonic()
        self.services.start_postgres()
        recovered = wait_for(lambda: set(self.statuses()) == {200}, 30, interval=0.5)
        check(
            recovered,
            f"pages answer 200 again {time.monotonic() - started:.1f} s after PostgreSQL is back, "
            "with nothing restarted",
        )


if __name__ == "__main__":
    sys.exit(main())
