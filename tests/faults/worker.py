"""A Celery worker for the fault script, as `make worker` runs it, except that a task taken by
a worker that dies goes back on the queue after seconds rather than the hour production
waits (CELERY_BROKER_TRANSPORT_OPTIONS in settings: longer than the longest job)."""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmacy_portal.settings")

from pharmacy_portal.celery import app

VISIBILITY_TIMEOUT_SECONDS = 10

if __name__ == "__main__":
    app.conf.broker_transport_options = {
        **(app.conf.broker_transport_options or {}),
        "visibility_timeout": VISIBILITY_TIMEOUT_SECONDS,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
    app.worker_main(["worker", "--loglevel=WARNING", "--without-mingle", *sys.argv[1:]])
