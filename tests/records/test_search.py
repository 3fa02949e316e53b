import pytest
from django.db import connection

from records import selectors, services
from records.models import GuidancePage
from records.search import refresh_search_vectors
from tests.records.factories import GuidancePageFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)


def titles(pages):
    return [page.title for page in pages]


@pytest.fixture
def pages(db):
    GuidancePage.objects.all().delete()
    made = [
        GuidancePageFactory(
            title="Smartcards and the RA",
            summary="Who to call.",
            body="Tokens are not covered here. Ask the RA about roles.",
        ),
        GuidancePageFactory(
            title="Ordering EPS tokens",
            summary="Stock and orders.",
            body="Order them through PCSE Online.",
        ),
        GuidancePageFactory(
            title="Self-service unlock",
            summary="Unlock your own card.",
            body="The passcode is 6 to 8 numbers.",
        ),
    ]
    refresh_search_vectors(GuidancePage.objects.all())
    return made


def test_finds_by_words_in_the_body(world, pages):
    assert titles(selectors.guidance_search(world.staff, "passcode")) == ["Self-service unlock"]
    assert titles(selectors.guidance_search(world.staff, "PCSE online")) == ["Ordering EPS tokens"]
    assert list(selectors.guidance_search(world.staff, "nothing-like-this")) == []


def test_title_matches_come_first(world, pages):
    assert titles(selectors.guidance_search(world.staff, "tokens")) == [
        "Ordering EPS tokens",
        "Smartcards and the RA",
    ]


@postgresql_only
def test_postgresql_ranks_with_stemming_and_websearch_syntax(world, pages):
    # "token" finds "tokens" through the English stemmer; a title match outranks the body.
    ranked = list(selectors.guidance_search(world.staff, "token"))
    assert titles(ranked) == ["Ordering EPS tokens", "Smartcards and the RA"]
    assert ranked[0].rank > ranked[1].rank
    assert titles(selectors.guidance_search(world.staff, "tokens -RA")) == ["Ordering EPS tokens"]
    assert titles(selectors.guidance_search(world.staff, '"own card"')) == ["Self-service unlock"]


@postgresql_only
def test_postgresql_vector_follows_edits(world, pages):
    page = pages[2]
    services.guidance_page_update(
        actor=world.portal_admin,
        page=page,
        expected_version=1,
        area=page.area,
        title=page.title,
        summary=page.summary,
        body="Now about prescriptions.",
        status="published",
        review_by=page.review_by,
    )
    assert list(selectors.guidance_search(world.staff, "passcode")) == []
    assert titles(selectors.guidance_search(world.staff, "prescriptions")) == [
        "Self-service unlock"
    ]


@postgresql_only
def test_postgresql_uses_the_stored_vector(world, pages):
    query = str(selectors.guidance_search(world.staff, "tokens").query)
    assert "search_vector" in query
    assert "websearch_to_tsquery" in query
