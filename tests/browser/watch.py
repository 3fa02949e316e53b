"""What a page did wrong besides its HTML: console errors, script errors, missing files,
and pages a journey opened without checking them with axe.

A stylesheet or script that 404s, a CSP refusal of an inline script or style, or a
request to another site all leave the page looking fine to axe and to a DOM assertion,
so the `page` fixture watches for them and `assert_accessible` fails on them.

Every document the page loads is noted by its path; `assert_accessible` marks the path it
checked. A journey that opened a page and never checked that path, in that test, fails
at its end (`assert_every_page_checked`).
"""

from urllib.parse import urlsplit

# NHS.UK frontend's CSS names the Frutiger web font on assets.nhs.uk. The portal's CSP
# allows fonts from itself only, so the browser refuses those requests by design and
# falls back to Arial, as NHS.UK frontend intends.
IGNORED_URL_PREFIXES = ("https://assets.nhs.uk/fonts/",)
LOCAL_SCHEMES = {"data", "blob", "about"}

_watches = {}


class PageWatch:
    def __init__(self, page, origin):
        self.origin = origin.rstrip("/")
        self.problems = []
        self.loaded = []  # paths of the documents loaded, in order
        self.checked = set()  # paths axe checked
        page.on("load", lambda loaded: self.loaded.append(urlsplit(loaded.url).path))
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def take(self):
        problems, self.problems = self.problems, []
        return problems

    @staticmethod
    def _ignored(url):
        return url.startswith(IGNORED_URL_PREFIXES)

    def _on_console(self, message):
        if message.type != "error":
            return
        text = message.text
        # The response and requestfailed handlers report these with the file's address.
        if text.startswith("Failed to load resource"):
            return
        if any(prefix in text for prefix in IGNORED_URL_PREFIXES):
            return
        self.problems.append(f"console error: {text}")

    def _on_page_error(self, error):
        self.problems.append(f"uncaught JavaScript error: {error}")

    def _on_request(self, request):
        url = request.url
        if urlsplit(url).scheme in LOCAL_SCHEMES or self._ignored(url):
            return
        if not url.startswith(self.origin + "/") and url != self.origin:
            self.problems.append(f"request to another site: {request.method} {url}")

    def _on_request_failed(self, request):
        failure = request.failure or ""
        # A request cut short because the page navigated away is not a fault of the page.
        if self._ignored(request.url) or "ERR_ABORTED" in failure:
            return
        self.problems.append(f"request failed ({failure}): {request.method} {request.url}")

    def _on_response(self, response):
        # A page answering 404 or 410 may be exactly what a journey checks; the files and
        # htmx fragments a page loads must not fail.
        request = response.request
        if response.status >= 400 and request.resource_type != "document":
            kind, status = request.resource_type, response.status
            self.problems.append(f"{kind} answered {status}: {request.method} {response.url}")


def watch_page(page, origin):
    watch = PageWatch(page, origin)
    _watches[id(page)] = watch
    page.on("close", lambda _page: _watches.pop(id(page), None))
    return watch


def mark_checked(page):
    watch = _watches.get(id(page))
    if watch:
        watch.checked.add(urlsplit(page.url).path)


def pages_not_checked(watch):
    """Paths the watched page loaded and axe never checked, first visit first."""
    return list(dict.fromkeys(path for path in watch.loaded if path not in watch.checked))


def take_page_problems(page):
    watch = _watches.get(id(page))
    return watch.take() if watch else []


def assert_no_page_problems(page):
    problems = take_page_problems(page)
    assert not problems, f"Problems while loading {page.url}:\n" + "\n".join(
        f"- {problem}" for problem in problems
    )
