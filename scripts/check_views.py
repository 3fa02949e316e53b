"""Fail when a view reaches a model manager directly (`Model.objects`, `_default_manager`).

Views stay thin: every read goes through a selector that scopes it to what the person may
see, every write through a service. A view that queries a model itself can bypass that
scoping without anyone noticing, so `make lint` and CI run this check.

Usage: `python scripts/check_views.py [paths...]` (default: every app's view modules:
`views.py`, `views/` packages and `web.py`). Prints `path:line: ...` for each use and exits
1 if there is any.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGERS = {"objects", "_default_manager", "_base_manager"}
LEFT_OUT = {".venv", "node_modules", "tests", "benchmarks", "loadtest", "mutants", "migrations"}


def view_modules(root):
    """Every view module of the portal's apps, sorted: [Path]."""
    found = set()
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if LEFT_OUT.intersection(parts) or any(part.startswith(".") for part in parts):
            continue
        if path.name in {"views.py", "web.py"} or "views" in parts[:-1]:
            found.add(path)
    return sorted(found)


def manager_uses(path):
    """[(line, text)] for each `<something>.objects` (or another manager) in the module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return sorted(
        (node.lineno, f"{ast.unparse(node)}: read through a selector or write through a service")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS
    )


def main(argv):
    paths = [Path(arg).resolve() for arg in argv] or view_modules(ROOT)
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in paths
        for line, text in manager_uses(path)
    ]
    for problem in problems:
        print(problem)
    print(f"views: {len(paths)} modules checked, {len(problems)} manager uses", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
