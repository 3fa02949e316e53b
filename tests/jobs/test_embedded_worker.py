"""The embedded mode as `make run` starts it: a real Celery worker and beat, as separate
processes, passing tasks through a broker folder, with nothing eager. Beat's catch-up
queues the daily compliance job, the worker runs it and writes its result."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parents[2]
CELERY = [sys.executable, "-m", "celery", "-A", "pharmacy_portal"]
MAKE_ONE_PREMISES = """
import django
django.setup()
from tests.factories import PremisesFactory
print(PremisesFactory().pk)
"""


@pytest.fixture
def embedded(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "DATABASE_URL", "CELERY_TASK_ALWAYS_EAGER", "BROKER_FOLDER"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/portal.sqlite3",
        BROKER_FOLDER=str(tmp_path / "broker"),
        DJANGO_SETTINGS_MODULE="pharmacy_portal.settings",
        LOG_LEVEL="WARNING",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    premises_id = int(
        subprocess.run(
            [sys.executable, "-c", MAKE_ONE_PREMISES],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    return env, tmp_path, premises_id


def start(args, env, log):
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def compliance_run(database):
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT state, result, trigger FROM jobs_jobrun WHERE job = 'standings-daily'"
            " AND state IN ('succeeded', 'failed')"
        ).fetchone()


def test_worker_and_beat_run_the_compliance_job_through_the_broker_folder(embedded):
    env, folder, premises_id = embedded
    log = (folder / "processes.log").open("w")
    beat_args = [
        *CELERY,
        "beat",
        f"--schedule={folder}/beat-schedule",
        f"--pidfile={folder}/beat.pid",
    ]
    worker = start(
        [*CELERY, "worker", "--concurrency=1", "--without-gossip", "--without-mingle"], env, log
    )
    beat = start(beat_args, env, log)
    try:
        deadline = time.monotonic() + 120
        while (row := compliance_run(folder / "portal.sqlite3")) is None:
            assert worker.poll() is None and beat.poll() is None, (
                folder / "processes.log"
            ).read_text()
            assert time.monotonic() < deadline, (folder / "processes.log").read_text()
            time.sleep(0.5)
        assert row == ("succeeded", '{"count": 1}', "catch_up")
        with sqlite3.connect(folder / "portal.sqlite3") as connection:
            stored = connection.execute(
                "SELECT COUNT(*) FROM accounts_premisesstanding WHERE premises_id = ?",
                (premises_id,),
            ).fetchone()[0]
        assert stored > 0
        # Beat started twice: the second refuses with one clear line and changes nothing.
        second = subprocess.run(
            beat_args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert second.returncode != 0
        assert "already exists" in second.stderr + second.stdout
        assert "Traceback" not in second.stderr + second.stdout
        assert beat.poll() is None
    finally:
        stop(beat)
        stop(worker)
        log.close()
    assert not (folder / "beat.pid").exists()


def test_a_broker_folder_that_cannot_be_written_stops_start_up_with_a_clear_message(
    tmp_path, settings
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        key: str(blocker / "broker")
        for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder")
    }
    # migrate and runserver run the system checks first: `make run` stops there.
    with pytest.raises(SystemCheckError) as stopped:
        call_command("check")
    message = str(stopped.value)
    assert f"The task broker's folder {blocker / 'broker'} cannot be written" in message
    assert "Set BROKER_FOLDER to a folder this user can write, or set REDIS_URL" in message


def test_a_missing_broker_folder_is_made(tmp_path, settings):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        key: str(tmp_path / "new" / key)
        for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder")
    }
    call_command("check")
    assert (tmp_path / "new" / "data_folder_in").is_dir()
