"""Timing harness behind `make bench`.

Each area adds benchmarks/bench_<area>.py with two functions:

    def seed():          # idempotent: add the area's scale data on top of benchmarks.scale
        ...
    def measure(h):      # h is this module; call h.compare(...) and h.memory(...)
        ...

Every figure is a median over repeated runs, printed beside a floor measured in the
same run on the same data (a bare, hand-written query doing the same work), so runs on
different machines compare by ratio. The two sides run in alternating rounds, so load
from elsewhere on the machine falls on both, and each line gives the fastest and slowest
run of each side, so noise shows. One line per measurement:

    bench <name> n=<rows> project_ms=<median> floor_ms=<median> ratio=<p/f> queries=<count>
          project_spread=<min>-<max> floor_spread=<min>-<max>
    bench <name> n=<rows> peak_mb=<megabytes>
"""

import gc
import os
import statistics
import time
import traceback
import tracemalloc

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

DEFAULT_REPEAT = 7


def _timed_ms(fn, setup=None):
    if setup:
        setup()
    gc.collect()
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _interleaved_ms(project, floor, repeat, project_setup=None, floor_setup=None):
    """(project samples, floor samples): each side warmed once untimed, then run in
    alternating rounds (project first in one round, floor first in the next), so a
    burst of load from elsewhere on the machine falls on both sides alike."""
    _timed_ms(project, project_setup)
    _timed_ms(floor, floor_setup)
    project_samples, floor_samples = [], []
    for round_number in range(repeat):
        if round_number % 2:
            floor_samples.append(_timed_ms(floor, floor_setup))
            project_samples.append(_timed_ms(project, project_setup))
        else:
            project_samples.append(_timed_ms(project, project_setup))
            floor_samples.append(_timed_ms(floor, floor_setup))
    return project_samples, floor_samples


def _spread(samples):
    return f"{min(samples):.1f}-{max(samples):.1f}"


def _both(*steps):
    steps = [step for step in steps if step]
    if not steps:
        return None
    return lambda: [step() for step in steps]


def count_queries(fn):
    # Django keeps at most 9,000 queries in the log the count reads; once an earlier line
    # filled it, its length stops growing and every later count would read 0.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def compare(name, n, project, floor, *, repeat=DEFAULT_REPEAT, setup=None, between=None):
    """Time `project` (the portal's code path) against `floor` and print one line.

    `setup`, when given, runs untimed before each run of `project` (for example to put
    back the state a job starts from). `between`, when given, runs untimed before each
    run of both (for example to vacuum what the previous run left, as autovacuum would
    between two runs of a daily job).
    """
    # The count is taken from the state each timed run starts from.
    for step in (between, setup):
        if step:
            step()
    queries = count_queries(project)
    project_samples, floor_samples = _interleaved_ms(
        project, floor, repeat, _both(between, setup), between
    )
    project_ms = statistics.median(project_samples)
    floor_ms = statistics.median(floor_samples)
    ratio = project_ms / floor_ms if floor_ms else float("inf")
    print(
        f"bench {name} n={n} project_ms={project_ms:.1f} floor_ms={floor_ms:.1f} "
        f"ratio={ratio:.2f} queries={queries} project_spread={_spread(project_samples)} "
        f"floor_spread={_spread(floor_samples)}",
        flush=True,
    )
    return ratio


def memory(name, n, fn):
    """Peak Python memory allocated while `fn` runs, in megabytes."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"bench {name} n={n} peak_mb={peak / 1024 / 1024:.1f}", flush=True)
    return peak


def _status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def memory_rss(name, n, fn):
    """Peak growth of the whole process's resident memory while `fn` runs, in megabytes.

    For work too long to run under tracemalloc (which slows Python several times): `fn`
    runs in a forked child, whose high-water mark (VmHWM) less its resident size when it
    started is the figure. Covers everything the process holds, the database driver's
    buffers included. Linux only.
    """
    from django.db import connections

    connections.close_all()  # the child opens its own; never share a socket across a fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        code = 1
        try:
            start = _status_kb("VmRSS")
            fn()
            grown_kb = _status_kb("VmHWM") - start
            os.write(write, str(grown_kb).encode())
            code = 0
        except BaseException:
            traceback.print_exc()  # os._exit below would otherwise lose it
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as result:
        reported = result.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not reported:
        raise RuntimeError(f"memory run for {name} n={n} failed")
    peak = int(reported) * 1024
    print(f"bench {name} n={n} peak_mb={peak / 1024 / 1024:.1f}", flush=True)
    return peak


def client_for(user):
    """A test client signed in as `user`, past two-factor, for timing real page renders."""
    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def get_ok(client, url):
    """Request a page and insist it rendered, so a timing never measures an error page."""
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"{url} answered {response.status_code}")
    if hasattr(response, "streaming_content"):
        for _ in response.streaming_content:
            pass
    else:
        response.content  # noqa: B018 - render fully
    return response
