"""Mutation score of the rule modules: `make mutate MODULE=smartcards/validators.py`
(without MODULE, each module in RULES in turn: long).

mutmut changes one small thing at a time in the module (a comparison, a number, a word)
and runs the module's own tests against each change; a change no test notices "survives".
The score is the share of changes the tests kill.

Each run works on a copy of the tree in a temporary folder, so the working tree never
holds a changed module or mutmut's `mutants/` folder, and mutates one module against the
tests that pin it down (RULES), one test process at a time unless JOBS says more.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each rule module and the tests that pin it down.
RULES = {
    "smartcards/validators.py": ["tests/smartcards/test_validators.py"],
    "accounts/permissions.py": ["tests/accounts/test_permissions.py"],
    # The smartcards standing and days of cover are scored against their own test files
    # only: the dashboard oracle and the days-of-cover and bank holiday tests would only
    # add kills, and each test database they build costs a minute a mutant on a busy machine.
    "smartcards/standing.py": ["tests/standings/test_smartcards_standing.py"],
    "eps/standing.py": ["tests/standings/test_standings.py", "tests/eps/test_low_stock.py"],
    "records/standing.py": ["tests/standings/test_standings.py", "tests/records"],
    "nhsmail/rules.py": ["tests/nhsmail/test_rules.py"],
    # The renewal window (CertificateState) and days of cover (TokenFigures' figures).
    "smartcards/renewal.py": ["tests/smartcards/test_renewal.py", "tests/smartcards/test_tasks.py"],
    "eps/cover.py": ["tests/eps/test_cover.py"],
    # Allowed actions: what each person may do to each object now, and why not.
    "smartcards/actions.py": ["tests/smartcards/test_actions.py"],
    "eps/actions.py": ["tests/eps/test_actions.py"],
    "nhsmail/actions.py": ["tests/nhsmail/test_actions.py"],
    "imports/actions.py": ["tests/imports/test_actions.py"],
    "accounts/actions.py": ["tests/accounts/test_actions.py"],
}
# Every app of the portal (a folder with an apps.py), so a new app is copied too.
APPS = sorted(path.parent.name for path in ROOT.glob("*/apps.py"))
COPIED = ["tests", "templates", "static", "manage.py"]
LEFT_OUT = shutil.ignore_patterns(
    "__pycache__", "*.pyc", ".hypothesis", "mutants", "node_modules", "staticfiles"
)
KILLED, SURVIVED = 1, 0
TIMED_OUT = -24  # mutmut's SIGXCPU: over its time limit
TIMEOUT_CONSTANT = 20


def _config(module, tests):
    # TOML arrays written as JSON arrays of strings, which TOML reads the same.
    lines = [
        "",
        "[tool.mutmut]",
        f"source_paths = {json.dumps(APPS)}",
        f"only_mutate = {json.dumps([module])}",
        f"also_copy = {json.dumps(COPIED)}",
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-q"]',
        # mutmut stops a mutant's tests after (their time + this) x 15 x 2 seconds of wall
        # clock. With its default of 1, a mutant whose tests take a fraction of a second
        # had 30 seconds for pytest and the test database to start, and on a busy machine
        # was recorded as timed out, neither killed nor surviving.
        f"timeout_constant = {TIMEOUT_CONSTANT}",
    ]
    return "\n".join(lines) + "\n"


def _copy_tree(target):
    for name in [*APPS, *COPIED, "pyproject.toml"]:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=LEFT_OUT)
        else:
            shutil.copy2(source, target / name)


def score(workdir, module):
    """(killed, total, [surviving mutant names], [timed-out mutant names]) from mutmut's
    record of the run. A mutant that timed out is not counted as killed."""
    meta = json.loads((workdir / "mutants" / f"{module}.meta").read_text())
    results = meta["exit_code_by_key"]
    survivors = sorted(name for name, code in results.items() if code == SURVIVED)
    timed_out = sorted(name for name, code in results.items() if code == TIMED_OUT)
    killed = sum(1 for code in results.values() if code == KILLED)
    return killed, len(results), survivors, timed_out


def run(module, jobs, keep):
    tests = RULES[module]
    workdir = Path(tempfile.mkdtemp(prefix="mutate-"))
    try:
        _copy_tree(workdir)
        with (workdir / "pyproject.toml").open("a") as pyproject:
            pyproject.write(_config(module, tests))
        mutmut = [sys.executable, "-m", "mutmut"]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pharmacy_portal.settings"}
        env.pop("DATABASE_URL", None)  # SQLite in memory: the rules need no server
        subprocess.run(
            [*mutmut, "run", "--max-children", str(jobs)],
            cwd=workdir,
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
        )
        killed, total, survivors, timed_out = score(workdir, module)
        for name in timed_out:
            print(f"timed out (not counted as killed): {name}")
        for name in survivors:
            shown = subprocess.run(
                [*mutmut, "show", name], cwd=workdir, env=env, capture_output=True, text=True
            ).stdout
            print(f"survived: {name}")
            print("".join(f"    {line}\n" for line in shown.splitlines() if line[:1] in "+-"))
        share = 100 * killed / total if total else 0.0
        print(f"{module}: {killed} of {total} mutants killed ({share:.1f}%), tests: {tests}")
        return share
    finally:
        if keep:
            print(f"mutmut's folder: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", nargs="?", choices=sorted(RULES), help="default: each in turn")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "1")))
    parser.add_argument("--keep", action="store_true", help="keep the copy mutmut worked in")
    args = parser.parse_args()
    modules = [args.module] if args.module else list(RULES)
    shares = {module: run(module, args.jobs, args.keep) for module in modules}
    for module, share in shares.items():
        print(f"{share:5.1f}%  {module}")


if __name__ == "__main__":
    main()
