"""`make load`: the portal as production runs it, driven by 50 locust users on loopback.

Uses PostgreSQL at LOAD_DATABASE_URL (default the local server's portal_load database,
created and filled with the scale data set by `python -m benchmarks.seed` the first time,
which takes a few minutes) and
starts its own Redis on a spare port, a Celery worker and gunicorn (WEB_CONCURRENCY workers,
default 4) under DJANGO_ENV=production settings with loopback values. Scale people have
unusable passwords, so the personas' sessions are made directly through Django's session
engine, two-factor verified for unlockers and head offices (docs/decisions/0016-load-personas.md).
Prints RPS, median and 95th-percentile per page and the error count; stops what it started.

LOAD_USERS (50), LOAD_SECONDS (75) bound the run; LOAD_P95_MS (500) is the target shown.
The summary line (throughput, median, p95, the slowest staff page's p95, errors, the
load average) is printed last, after the services stop, so runs compare line by line.
"""

import contextlib
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "75"))
P95_TARGET_MS = int(os.environ.get("LOAD_P95_MS", "500"))
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_load")
PERSONAS_PER_KIND = {"staff": 40, "unlocker": 10, "head_office": 3}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def ensure_database():
    from urllib.parse import urlsplit

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    base = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    base += ["-U", parts.username or "postgres"]
    if subprocess.run(["pg_isready", "-q", *base[:4]]).returncode != 0:
        sys.exit(f"load: PostgreSQL is not answering at {parts.hostname}:{parts.port or 5432}")
    exists = subprocess.run(
        ["psql", *base, "-lqt"], capture_output=True, text=True, check=True
    ).stdout
    if name not in {line.split("|")[0].strip() for line in exists.splitlines()}:
        subprocess.run(["createdb", *base, name], check=True)


def prepare_personas(path):
    """Sessions for staff, unlockers and head-office admins of the scale data set."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import NoReverseMatch, reverse
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Membership, OrganisationAdmin, Premises, UnlockerCover
    from benchmarks.scale import BIGGEST_GROUP

    def session_for(user, verified):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if verified:
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="load test", defaults={"confirmed": True}
            )
            session["otp_device_id"] = device.persistent_id
        session.create()
        return session.session_key

    def pages(names, **kwargs):
        found = []
        for name in names:
            with contextlib.suppress(NoReverseMatch):
                found.append({"name": name, "path": reverse(name, kwargs=kwargs or None)})
        return found

    group_premises = list(
        Premises.objects.filter(organisation__name=BIGGEST_GROUP).order_by("pk")[:200]
    )
    personas = {"staff": [], "unlocker": [], "head_office": []}
    staff = (
        Membership.objects.filter(premises__in=group_premises, is_manager=False)
        .select_related("user", "premises")
        .order_by("premises_id")[:: 5][: PERSONAS_PER_KIND["staff"]]
    )  # fmt: skip
    for membership in staff:
        pk = membership.premises_id
        personas["staff"].append(
            {
                "session": session_for(membership.user, verified=False),
                "pages": pages(["home"])
                + pages(
                    [
                        "premises_detail",
                        "nhsmail_premises",
                        "tokens_premises",
                        "smartcard_premises",
                    ],
                    pk=pk,
                )
                + pages(["smartcard_my_card", "guidance_list"]),
            }
        )
    # Unlockers covering 20 premises each of the biggest group.
    for i in range(PERSONAS_PER_KIND["unlocker"]):
        membership = (
            Membership.objects.filter(premises=group_premises[i * 20], is_manager=True)
            .select_related("user")
            .first()
        )
        for covered in group_premises[i * 20 : (i + 1) * 20]:
            UnlockerCover.objects.get_or_create(unlocker=membership.user, premises=covered)
        personas["unlocker"].append(
            {
                "session": session_for(membership.user, verified=True),
                "pages": pages(["smartcard_queue", "smartcard_queue_rows", "home"]),
            }
        )
    admin = OrganisationAdmin.objects.select_related("user", "organisation").get(
        organisation__name=BIGGEST_GROUP
    )
    organisation_pk = admin.organisation_id
    for _ in range(PERSONAS_PER_KIND["head_office"]):
        personas["head_office"].append(
            {
                "session": session_for(admin.user, verified=True),
                "pages": pages(["home", "dashboard", "dashboard_table"])
                + pages(
                    ["organisation_detail", "nhsmail_organisation", "tokens_organisation"],
                    pk=organisation_pk,
                ),
                "exports": pages(
                    ["tokens_organisation_export", "readiness_organisation_csv"],
                    pk=organisation_pk,
                ),
            }
        )
    Path(path).write_text(json.dumps(personas))
    return personas


def start(args, env, log):
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def report(stats_csv):
    """Print the per-page table; return (errors, the one-line summary to print last)."""
    rows = list(csv.DictReader(open(stats_csv)))  # noqa: SIM115
    print()
    print(f"{'page':<44} {'requests':>8} {'errors':>6} {'rps':>6} {'median':>7} {'p95':>6}")
    errors = 0
    total = {}
    staff_p95 = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL PAGES"
        if row["Name"] == "Aggregated":
            total = row
        else:
            errors += int(row["Failure Count"])
            if row["Name"].startswith("staff:"):
                staff_p95 = max(staff_p95, int(float(row["95%"])))
        print(
            f"{name:<44} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{float(row['Requests/s']):>6.1f} {row['50%']:>5}ms {row['95%']:>4}ms"
        )
    summary = (
        f"load: {USERS} users for {SECONDS} s; rps {float(total.get('Requests/s', 0)):.1f}; "
        f"median {total.get('50%', '?')} ms; p95 {total.get('95%', '?')} ms; "
        f"staff pages p95 (slowest page) {staff_p95} ms; errors {errors}; "
        f"p95 target {P95_TARGET_MS} ms; load average {os.getloadavg()[0]:.1f}"
    )
    return errors, summary


def main():
    ensure_database()
    workdir = Path(tempfile.mkdtemp(prefix="portal-load-"))
    redis_port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pharmacy_portal.settings",
        # Shared with gunicorn: a session's auth hash is signed with it.
        "SECRET_KEY": "load-test-only-" + "k3yP9" * 10,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/9",
        "LOAD_PERSONAS": str(workdir / "personas.json"),
        "STATIC_ROOT": str(workdir / "static"),
        "PYTHONPATH": str(ROOT),
    }
    production = {
        **env,
        "DJANGO_ENV": "production",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_BASE_URL": "http://127.0.0.1",
        # Plain HTTP on loopback: no TLS proxy in front to redirect to.
        "SECURE_SSL_REDIRECT": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    started = []
    try:
        started.append(
            start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no"], env, subprocess.DEVNULL)
        )  # fmt: skip
        print("load: migrating and loading the scale data set (slow the first time)", flush=True)
        manage("migrate", "--no-input", "-v", "0", env=env)
        subprocess.run([sys.executable, "-m", "benchmarks.seed"], cwd=ROOT, env=env, check=True)
        manage("collectstatic", "--no-input", "-v", "0", env=production)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        personas = prepare_personas(env["LOAD_PERSONAS"])
        log = open(workdir / "services.log", "w")  # noqa: SIM115
        started.append(
            start([sys.executable, "-m", "celery", "-A", "pharmacy_portal", "worker",
                   "--loglevel=WARNING", "--concurrency=1"], production, log)
        )  # fmt: skip
        started.append(
            start([sys.executable, "-m", "gunicorn", "pharmacy_portal.wsgi",
                   "--bind", f"127.0.0.1:{web_port}",
                   "--workers", os.environ.get("WEB_CONCURRENCY", "4"),
                   "--threads", "2"], production, log)
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{web_port}/accessibility/", timeout=2)
                break
            time.sleep(0.5)
        print(
            "load: personas "
            + ", ".join(f"{len(people)} {kind}" for kind, people in personas.items()),
            flush=True,
        )
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"),
             "--headless", "--users", str(USERS), "--spawn-rate", "10",
             "--run-time", f"{SECONDS}s", "--host", f"http://127.0.0.1:{web_port}",
             "--csv", str(workdir / "load"), "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        errors, summary = report(workdir / "load_stats.csv")
    finally:
        for process in reversed(started):
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)
    # Last, once every service has stopped, so runs compare line by line.
    print(summary, flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
