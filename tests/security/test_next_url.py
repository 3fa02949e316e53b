"""One "next" helper for every view: only a path on this host, never a URL name."""

from urllib.parse import urlencode

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.test_views import current_code
from tests.factories import TEST_PASSWORD

HOME = "/"
MAX_NEXT_LENGTH = 2000  # accounts.next_url.MAX_NEXT_LENGTH

HOSTILE = [
    ("a", "bare word (was reversed as a URL name: 500)"),
    ("home", "a URL name of the portal"),
    ("admin:index", "a namespaced URL name"),
    ("premises", "a word that is also a path segment"),
    ("//evil.example/", "scheme-relative host"),
    ("///evil.example/", "three slashes"),
    ("https://evil.example/", "absolute URL"),
    ("https:evil.example", "scheme without slashes"),
    ("javascript:alert(1)", "script URL"),
    ("\\\\evil.example", "backslashes"),
    ("/\\evil.example", "slash then backslash"),
    ("/premises\\..\\x", "backslash inside a path"),
    ("%2F%2Fevil.example", "encoded slashes"),
    ("/%2F/evil.example", "slash then encoded slash"),
    ("/%252F%252Fevil.example", "doubly encoded slashes"),
    ("/%5Cevil.example", "encoded backslash"),
    ("/\x00premises/", "NUL"),
    ("/premises/%00", "encoded NUL"),
    ("/premises/\r\nSet-Cookie: x=1", "header injection"),
    ("/premises/\t", "tab"),
    ("/" + "a" * MAX_NEXT_LENGTH, "very long"),
    (" /premises/", "leading space"),
    ("", "empty"),
    ("http://testserver/premises/", "own host, but absolute"),
]


def safe_next_path(request, default="home"):
    from accounts.next_url import safe_next_path

    return safe_next_path(request, default)


def _request(value, method="get"):
    factory = RequestFactory()
    if method == "post":
        return factory.post("/account/two-factor/", {"next": value})
    return factory.get("/account/two-factor/", {"next": value})


@pytest.mark.parametrize(("value", "why"), HOSTILE, ids=[why for _, why in HOSTILE])
@pytest.mark.parametrize("method", ["get", "post"])
def test_hostile_next_values_fall_back_to_the_home_page(value, why, method):
    assert safe_next_path(_request(value, method)) == HOME


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/premises/", "/premises/"),
        ("/premises/3/?tab=staff&page=2", "/premises/3/?tab=staff&page=2"),
        ("/guidance/smartcard%20locked/", "/guidance/smartcard%20locked/"),
        ("/audit/?q=a b", "/audit/?q=a%20b"),
    ],
)
def test_paths_on_this_host_are_kept(value, expected):
    assert safe_next_path(_request(value)) == expected


def test_post_value_wins_over_the_query_string():
    request = RequestFactory().post("/x/?next=/from-query/", {"next": "/from-form/"})
    assert safe_next_path(request) == "/from-form/"


def test_default_is_a_portal_page_named_by_the_view_not_the_visitor():
    assert safe_next_path(_request("//evil"), default="premises_list") == reverse("premises_list")


@pytest.mark.django_db
class TestTwoFactorPageWithABareWordNext:
    """`/account/two-factor/?next=a` was a 500 (NoReverseMatch); on POST with a correct
    code the session was not saved, so the person stayed unverified."""

    def signed_in_unlocker(self, world):
        device = TOTPDevice.objects.create(user=world.unlocker, name="phone", confirmed=True)
        client = Client()
        client.post(reverse("login"), {"username": world.unlocker.email, "password": TEST_PASSWORD})
        return client, device

    def test_get_shows_the_page(self, world):
        client, _ = self.signed_in_unlocker(world)
        response = client.get(reverse("two_factor_verify") + "?next=a")
        assert response.status_code == 200
        assert 'name="next" value="/"' in response.content.decode()

    def test_correct_code_is_kept_and_sends_home(self, world):
        client, device = self.signed_in_unlocker(world)
        response = client.post(
            reverse("two_factor_verify") + "?next=a", {"token": current_code(device)}
        )
        assert response.status_code == 302
        assert response.url == HOME
        # The session was saved: the person is verified on the next request.
        assert client.get(reverse("premises_list")).status_code == 200

    @pytest.mark.parametrize(("value", "why"), HOSTILE, ids=[why for _, why in HOSTILE])
    def test_no_hostile_next_is_a_server_error(self, world, value, why):
        client, device = self.signed_in_unlocker(world)
        page = client.get(reverse("two_factor_verify"), {"next": value})
        assert page.status_code == 200
        response = client.post(
            reverse("two_factor_verify"), {"token": current_code(device), "next": value}
        )
        assert response.status_code == 302
        assert response.url == HOME

    def test_set_up_page_sends_its_next_on_encoded(self, world):
        client = Client()
        client.post(
            reverse("login"), {"username": world.head_office.email, "password": TEST_PASSWORD}
        )
        response = client.get(reverse("premises_list") + "?a=1&b=2")
        assert response.url == reverse("two_factor_setup") + "?next=%2Fpremises%2F%3Fa%3D1%26b%3D2"
        page = client.get(response.url)
        assert 'name="next" value="/premises/?a=1&amp;b=2"' in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("value", "why"), HOSTILE, ids=[why for _, why in HOSTILE])
def test_sign_in_follows_the_same_rule(world, value, why):
    response = Client().post(
        reverse("login") + "?" + urlencode({"next": value}),
        {"username": world.staff.email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == HOME


@pytest.mark.django_db
def test_sign_in_and_sign_out_keep_a_path_on_this_host(world):
    client = Client()
    response = client.post(
        reverse("login") + "?next=/premises/",
        {"username": world.staff.email, "password": TEST_PASSWORD},
    )
    assert response.url == "/premises/"
    assert client.post(reverse("logout"), {"next": "//evil.example"}).url == reverse("login")
    client.force_login(world.staff)
    assert client.post(reverse("logout"), {"next": "/accessibility/"}).url == "/accessibility/"
