"""Guidance search: PostgreSQL full-text search with ranking, substring matching on SQLite.

On PostgreSQL each page keeps a stored search vector (title weighted A, summary and body
B) behind a GIN index; services refresh it whenever a page is saved. SQLite, the embedded
development database, has no such thing: there every word typed must appear somewhere in
the page, and pages with a word in the title come first.

People search in their own words ("smartcard locked" for the page on unlocking your own
smartcard), so on both databases each word also matches the other words of its group in
SYNONYM_GROUPS and its simple stem (locked -> lock), and a page must match every word
typed, in any of its forms. Quotes, "-word" and "or" keep PostgreSQL's web search syntax
as typed.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import Case, F, IntegerField, Q, Value, When

SEARCH_CONFIG = "english"

# Words people use for the same thing. Each word typed also finds the others of its group.
SYNONYM_GROUPS = (
    ("lock", "locked", "locks", "locking", "unlock", "unlocked", "unlocking"),
    ("card", "cards", "smartcard", "smartcards"),
    ("email", "emails", "nhsmail", "mail", "mailbox"),
    ("token", "tokens", "fp10dt"),
    ("renew", "renewal", "renewals", "renewed", "renewing"),
    ("certificate", "certificates", "cert", "certs"),
    ("helpdesk", "help", "support"),
    ("scr", "ncrs"),
)
# Words too common to narrow a search; PostgreSQL's English configuration drops them too.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "to",
        "we",
        "what",
        "when",
        "where",
        "who",
        "why",
        "with",
        "you",
        "your",
    ]
)
_GROUP_OF = {word: group for group in SYNONYM_GROUPS for word in group}
_SUFFIXES = ("ing", "ed", "es", "s")
_WEB_SEARCH_SYNTAX = re.compile(r"[\"]|(?:^|\s)-\w|\bor\b", re.I)


def word_forms(word):
    """A typed word, the other words of its synonym group and its simple stem."""
    word = word.lower()
    forms = {word, *_GROUP_OF.get(word, ())}
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            forms |= {stem, *_GROUP_OF.get(stem, ())}
            break
    return sorted(forms)


def _postgresql_query(text):
    if _WEB_SEARCH_SYNTAX.search(text):
        return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    query = None
    for word in re.findall(r"\w+", text):
        either = None
        for form in word_forms(word):
            one = SearchQuery(form, search_type="websearch", config=SEARCH_CONFIG)
            either = one if either is None else either | one
        query = either if query is None else query & either
    return query


def _is_postgresql(queryset):
    return connections[queryset.db].vendor == "postgresql"


def search_vector():
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="B", config=SEARCH_CONFIG)
    )


def refresh_search_vectors(pages):
    """Recompute the stored vectors of a GuidancePage queryset (a no-op on SQLite)."""
    if _is_postgresql(pages):
        pages.update(search_vector=search_vector())


def search_pages(pages, text):
    """`pages` narrowed to those matching `text`, best match first."""
    if _is_postgresql(pages):
        query = _postgresql_query(text)
        if query is None:
            return pages.none()
        return (
            pages.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "title")
        )
    words = [word for word in re.findall(r"\w+", text) if word.lower() not in STOP_WORDS]
    if not words:
        return pages.none()
    in_title = Q()
    for word in words:
        anywhere = Q()
        for form in word_forms(word):
            anywhere |= Q(title__icontains=form) | Q(summary__icontains=form)
            anywhere |= Q(body__icontains=form)
            in_title |= Q(title__icontains=form)
        pages = pages.filter(anywhere)
    return pages.annotate(
        rank=Case(When(in_title, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("-rank", "title")
