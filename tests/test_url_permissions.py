"""Every URL in the URLconf, requested as anonymous, as each role, and as a manager of
another organisation. A new URL fails `test_every_url_has_expectations` until its row is
written in the area's `tests/<area>/url_expectations.py`.
"""

import importlib
import pkgutil

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests
from tests.conftest import ROLES, sign_in
from tests.url_access import LOGIN


def all_expectations():
    merged = {}
    for module_info in pkgutil.walk_packages(tests.__path__, "tests."):
        if module_info.name.endswith(".url_expectations"):
            module = importlib.import_module(module_info.name)
            overlap = set(merged) & set(module.EXPECTATIONS)
            assert not overlap, f"URL names expected twice: {overlap}"
            merged.update(module.EXPECTATIONS)
    return merged


EXPECTATIONS = all_expectations()


def named_patterns(resolver=None, namespace=None):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's own admin: superusers only, tested by Django
            yield from named_patterns(pattern, pattern.namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_has_expectations():
    assert set(named_patterns()) == set(EXPECTATIONS)


def assert_status(response, expected, label):
    if expected == LOGIN:
        assert response.status_code == 302, label
        assert response.url.startswith(reverse("login")), label
    else:
        assert response.status_code == expected, f"{label}: {response.status_code} != {expected}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_url_as_every_role(name, world):
    expected = EXPECTATIONS[name]
    url = reverse(name, kwargs=expected.kwargs(world) if expected.kwargs else None)
    assert_status(Client().get(url), expected.anonymous, f"{url} as anonymous")
    for role in ROLES:
        response = sign_in(Client(), world.user(role)).get(url)
        assert_status(
            response, 200 if role in expected.allowed else expected.denied, f"{url} as {role}"
        )
    # A manager in another organisation: this organisation's ids must look like they do not exist.
    outsider = sign_in(Client(), world.other_manager).get(url)
    assert_status(outsider, expected.outsider, f"{url} as another organisation's manager")
    if expected.kwargs:
        # The same object's actions: a POST-only button says what it does to an outsider,
        # so a new action cannot slip past tests/hostile/test_cross_organisation.py.
        outsider = sign_in(Client(), world.other_manager).post(url, {"confirm": "yes"})
        assert_status(
            outsider, expected.post_by_outsider(), f"POST {url} as another organisation's manager"
        )
