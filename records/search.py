"""Guidance search: PostgreSQL full-text search with ranking, substring matching on SQLite.

On PostgreSQL each page keeps a stored search vector (title weighted A, summary and body
B) behind a GIN index; services refresh it whenever a page is saved. SQLite, the embedded
development database, has no such thing: there every word typed must appear somewhere in
the page, and pages with a word in the title come first.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import Case, F, IntegerField, Q, Value, When

SEARCH_CONFIG = "english"


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
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return (
            pages.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "title")
        )
    words = re.findall(r"\w+", text)
    if not words:
        return pages.none()
    for word in words:
        pages = pages.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        )
    in_title = Q()
    for word in words:
        in_title |= Q(title__icontains=word)
    return pages.annotate(
        rank=Case(When(in_title, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("-rank", "title")
