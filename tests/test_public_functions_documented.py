"""Public services, selectors and standing functions say what they take and give.

Every public top-level function of these modules has type hints on each parameter and its
return, and a docstring (the shape and units of what it returns, the errors it raises,
where its rule comes from), so a reader never has to open the body to call it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The apps whose services, selectors and standing modules are held to it.
CHECKED_APPS = [
    "accounts",
    "api",
    "dashboard",
    "jobs",
    "smartcards",
    "eps",
    "nhsmail",
    "records",
    "outbox",
    "imports",
]

MODULE_NAMES = {"services", "selectors", "standing", "standings", "rules"}


def _modules(app):
    """Each services/selectors/standing/rules module of the app, or module of such a
    package."""
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT / app).with_suffix("").parts
        # A package's private modules (_shared.py) serve its own modules only.
        if "migrations" in parts or (parts[-1].startswith("_") and parts[-1] != "__init__"):
            continue
        if parts[-1] in MODULE_NAMES or (len(parts) > 1 and parts[0] in MODULE_NAMES):
            found.append(path)
    return found


def _missing(path, root=ROOT):
    """'module:line name: what is missing' for each public function short of the rule."""
    tree = ast.parse(path.read_text(), filename=str(path))
    problems = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name.startswith("_"):
            continue
        args = node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        params += [a for a in (args.vararg, args.kwarg) if a is not None]
        lacking = [p.arg for p in params if p.annotation is None]
        if node.returns is None:
            lacking.append("return")
        where = f"{path.relative_to(root)}:{node.lineno} {node.name}"
        if lacking:
            problems.append(f"{where}: no type hint for {', '.join(lacking)}")
        if ast.get_docstring(node) is None:
            problems.append(f"{where}: no docstring")
    return problems


@pytest.mark.parametrize("app", CHECKED_APPS)
def test_public_functions_have_type_hints_and_docstrings(app):
    modules = _modules(app)
    assert modules, f"{app} has no services, selectors, standing or rules module"
    problems = [problem for path in modules for problem in _missing(path)]
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_function_without_hints_or_docstring(tmp_path):
    module = tmp_path / "services.py"
    module.write_text(
        "def kept(*, actor: int) -> None:\n"
        '    """Documented."""\n'
        "def bare(actor, *, on=None):\n"
        "    return actor\n"
        "def _private(x):\n"
        "    return x\n"
    )
    assert _missing(module, root=tmp_path) == [
        "services.py:3 bare: no type hint for actor, on, return",
        "services.py:3 bare: no docstring",
    ]
