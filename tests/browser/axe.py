"""axe-core checks in the real browser: `assert_accessible(page)` on every page a journey visits.

DESIGN.md holds the portal to WCAG 2.2 AA, so axe runs only the rules tagged for it
(A and AA of WCAG 2.0, 2.1 and 2.2); best-practice rules are advice, not failures.
"""

from axe_playwright_python.base import AXE_SCRIPT

from tests.browser.watch import assert_no_page_problems, mark_checked

WCAG_22_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_22_AA_TAGS},
    "resultTypes": ["violations"],
}
# How many offending elements to name per rule: enough to find them, short enough to read.
MAX_TARGETS_SHOWN = 5
MAX_HTML_SHOWN = 160


def axe_violations(page, *, context=None):
    """The WCAG 2.2 AA violations axe-core finds on the page as it is now."""
    page.wait_for_load_state("load")
    # The page's CSP does not apply to scripts Playwright evaluates over the DevTools
    # protocol, so axe can be injected without weakening the policy under test.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    result = page.evaluate(
        "([context, options]) => axe.run(context || document, options)",
        [context, AXE_OPTIONS],
    )
    return result["violations"]


def format_violations(violations, url):
    lines = [f"{len(violations)} accessibility violation(s) (WCAG 2.2 AA) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'unknown impact'}): "
            f"{violation['help']} [{violation['helpUrl']}]"
        )
        nodes = violation["nodes"]
        for node in nodes[:MAX_TARGETS_SHOWN]:
            target = " ".join(str(part) for part in node["target"])
            html = " ".join(node.get("html", "").split())
            if len(html) > MAX_HTML_SHOWN:
                html = html[: MAX_HTML_SHOWN - 1] + "…"
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {target}  {html}\n      {summary}")
        if len(nodes) > MAX_TARGETS_SHOWN:
            lines.append(f"    ...and {len(nodes) - MAX_TARGETS_SHOWN} more")
    return "\n".join(lines)


def assert_accessible(page, *, context=None):
    """Fail with a readable list (rule id, help, offending elements) if axe finds anything.

    Also fails on anything the page watcher caught since the last check: console errors
    (CSP refusals included), uncaught JavaScript errors, static files that did not load.
    `context` narrows axe to part of the page (a CSS selector), which is rarely wanted.
    """
    assert_no_page_problems(page)
    violations = axe_violations(page, context=context)
    assert not violations, format_violations(violations, page.url)
    if context is None:
        mark_checked(page)
    assert_no_page_problems(page)
