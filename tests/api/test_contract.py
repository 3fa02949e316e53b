"""The API keeps its own contract: one error shape for every 4xx, paging bounds in the
schema, JSON 404 and 405 on every path under /api/, and docs and schema only for people
who are signed in or hold a token."""

import pytest
from django.test import Client
from django.urls import reverse

from api import services
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"detail", "errors"}


@pytest.fixture
def token(world):
    _, token = services.token_create(
        actor=world.head_office, organisation=world.premises.organisation, name="HR", valid_days=30
    )
    return token


@pytest.fixture
def api(token):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_error_shape(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].split(";")[0].endswith(("/json", "+json"))
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in body["errors"].values()
    )
    return body


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "a"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_query_values_answer_the_error_shape(api, query, field):
    body = assert_error_shape(api.get(reverse("api_premises_list"), query), 400)
    assert field in body["errors"]


@pytest.mark.parametrize("value", ["null", "yes", "1", "True", ""])
def test_current_is_exactly_true_or_false(api, value):
    response = api.get(reverse("api_membership_list"), {"current": value})
    assert "current" in assert_error_shape(response, 400)["errors"]


def test_query_parameters_are_documented_on_listings_only(api):
    schema = api.get(reverse("api_schema"), {"format": "json"}).json()
    post = schema["paths"]["/api/v1/memberships/"]["post"]
    assert not [p for p in post.get("parameters", []) if p["in"] == "query"]


def test_a_page_past_the_end_is_a_json_404(api):
    assert_error_shape(api.get(reverse("api_premises_list"), {"page": "9999"}), 404)


def test_body_that_is_not_an_object_names_no_field_but_says_why(api):
    response = api.post(reverse("api_membership_list"), "[1]", content_type="application/json")
    body = assert_error_shape(response, 400)
    assert body["detail"] == "Invalid data. Expected a dictionary, but got list."


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/premises/abc/",
        "/api/v1/premises/1.5/",
        "/api/v1/premises/%00/",
        "/api/v1/memberships/-1/end/",
        "/api/v1/nothing-here/",
        "/api/v2/premises/",
        "/api/v1/premises",
        "/api/",
    ],
)
def test_every_unknown_api_path_is_a_json_404(api, path):
    for method in ("get", "post", "delete"):
        assert_error_shape(getattr(api, method)(path), 404)
    # Even without a token, or posting as a browser would: the path does not exist.
    assert_error_shape(Client().get(path), 404)
    assert_error_shape(Client(enforce_csrf_checks=True).post(path), 404)


API_PATHS = [
    ("api_premises_list", []),
    ("api_premises_detail", [1]),
    ("api_membership_list", []),
    ("api_membership_detail", [1]),
    ("api_membership_end", [1]),
    ("api_nhsmail_accounts", []),
    ("api_nhsmail_links", []),
    ("api_nhsmail_link_end", [1]),
    ("api_smartcard_requests", []),
    ("api_eps_stock", []),
    ("api_eps_orders", []),
]


@pytest.mark.parametrize(("name", "args"), API_PATHS)
def test_every_api_path_answers_a_json_405_for_methods_it_does_not_take(api, name, args):
    url = reverse(name, args=args)
    for method in ("delete", "put", "patch"):
        response = getattr(api, method)(url)
        assert_error_shape(response, 405)
        assert response["Allow"]


def test_missing_or_bad_token_answers_the_error_shape():
    assert_error_shape(Client().get(reverse("api_premises_list")), 401)
    bad = Client(HTTP_AUTHORIZATION="Bearer nonsense")
    assert_error_shape(bad.get(reverse("api_premises_list")), 401)


def test_schema_states_paging_bounds_and_documents_every_error(api):
    schema = api.get(reverse("api_schema"), {"format": "json"}).json()
    listing = schema["paths"]["/api/v1/premises/"]["get"]
    parameters = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert parameters["page"]["minimum"] == 1
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert parameters["updated_since"]["format"] == "date-time"
    for methods in schema["paths"].values():
        for operation in methods.values():
            for status in ("400", "401", "403", "404", "405", "429"):
                ref = operation["responses"][status]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "errors"]


def test_schema_needs_a_token_or_a_signed_in_person(world, api):
    url = reverse("api_schema")
    assert_error_shape(Client().get(url, {"format": "json"}), 401)
    assert api.get(url, {"format": "json"}).status_code == 200
    assert sign_in(Client(), world.staff).get(url, {"format": "json"}).status_code == 200


def test_docs_need_sign_in(world):
    anonymous = Client().get(reverse("api_docs"))
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))
    assert sign_in(Client(), world.staff).get(reverse("api_docs")).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("is_manager", 0),
        ("is_manager", "true"),
        ("premises", "1"),
        ("premises", 1.0),
        ("premises", True),
        ("full_name", 0),
        ("email", ["x@example.test"]),
        ("job_role", 1),
    ],
)
def test_body_values_of_the_wrong_json_type_are_refused(world, api, field, value):
    body = {
        "email": "new.person@example.test",
        "full_name": "New Person",
        "premises": world.premises.pk,
        "job_role": "dispenser",
        "is_manager": False,
        field: value,
    }
    response = api.post(reverse("api_membership_list"), body, content_type="application/json")
    assert field in assert_error_shape(response, 400)["errors"]
