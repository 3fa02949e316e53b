"""A shared mailbox is never a person's own account: it is refused wherever a personal
account comes in, and the rule never counts one stored before it was refused.

Decided cases: pharmacy.<ODS code>@nhs.net and anything starting nhspharmacy. are shared
mailbox addresses, in any case. pharmacy.team.leader@nhs.net is not (no ODS code), so it
is accepted unless it is stored as a premises' shared mailbox in the portal.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Premises
from nhsmail import rules, services
from nhsmail.models import MailboxLink, PersonalAccount
from nhsmail.validators import (
    is_shared_mailbox_address,
    shared_mailbox_address_q,
    validate_personal_nhsmail_address,
)
from tests.conftest import sign_in
from tests.factories import MembershipFactory, UserFactory
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory

SHARED = [
    "pharmacy.fah23@nhs.net",
    "PHARMACY.FAH23@NHS.NET",
    " Pharmacy.FA123@nhs.net ",
    "pharmacy.f0000@nhs.net",
    "nhspharmacy.leeds.boots.fa123@nhs.net",
    "NHSPharmacy.Leeds.BootsFA123@nhs.net",
    "nhspharmacy.bradford.high-street-chemist@nhs.net",
]
PERSONAL = [
    "jo.bloggs@nhs.net",
    "JO.BLOGGS@NHS.NET",
    "pharmacy.team.leader@nhs.net",  # no ODS code: a person's (or a team's), not the rule's
    "pharmacy.fah234@nhs.net",  # six characters: not an ODS code
    "pharmacy.ab123@nhs.net",  # pharmacy ODS codes start with F
    "jo.pharmacy.fah23@nhs.net",
    "pharmacist.fah23@nhs.net",
    "nhspharmacyleeds@nhs.net",
    "pharmacy.fah23@nhs.net.example.com",
]


def evaluate(premises):
    return rules.evaluate(Premises.objects.filter(pk=premises.pk))[premises.pk]


class TestValidator:
    @pytest.mark.parametrize("address", SHARED)
    def test_shared_mailbox_addresses_refused(self, address):
        assert is_shared_mailbox_address(address)
        with pytest.raises(ValidationError) as caught:
            validate_personal_nhsmail_address(address)
        (error,) = caught.value.error_list
        assert error.code == "shared_mailbox"
        assert error.message == (
            f"{address.strip().lower()} is a shared mailbox address. Enter the person's own "
            "NHSmail address, like firstname.lastname@nhs.net"
        )

    @pytest.mark.parametrize("address", PERSONAL)
    def test_personal_addresses_accepted(self, address):
        assert not is_shared_mailbox_address(address)
        validate_personal_nhsmail_address(address)

    @pytest.mark.django_db
    def test_the_database_matches_what_python_matches(self):
        """The same patterns run as SQL (rules.qualifying_links) and in Python: stored as
        typed, in any case, both pick out exactly the same addresses."""
        addresses = [a.strip() for a in SHARED + PERSONAL]
        PersonalAccount.objects.bulk_create(
            PersonalAccount(user=UserFactory(), address=address) for address in addresses
        )
        in_sql = set(
            PersonalAccount.objects.filter(shared_mailbox_address_q()).values_list(
                "address", flat=True
            )
        )
        assert in_sql == {a for a in addresses if is_shared_mailbox_address(a)}
        assert in_sql == {a.strip() for a in SHARED}


@pytest.mark.django_db
class TestService:
    @pytest.mark.parametrize(
        "address", ["pharmacy.fah23@nhs.net", "NHSPharmacy.Leeds.FA123@nhs.net"]
    )
    def test_shared_mailbox_shape_refused(self, world, address):
        with pytest.raises(ValidationError) as caught:
            services.account_record(
                actor=world.staff, person=world.staff, address=address, status="live"
            )
        assert caught.value.error_dict["address"][0].code == "shared_mailbox"
        assert "is a shared mailbox address" in caught.value.message_dict["address"][0]
        assert not PersonalAccount.objects.exists()

    def test_an_address_stored_as_a_shared_mailbox_refused_whatever_its_shape(self, world):
        SharedMailboxFactory(premises=world.other_premises, address="calder.team@nhs.net")
        PersonalAccountFactory(user=world.staff, address="sam.staff@nhs.net")
        with pytest.raises(ValidationError) as caught:
            services.account_record(
                actor=world.manager,
                person=world.staff,
                address="Calder.Team@nhs.net",
                status="live",
            )
        assert caught.value.message_dict == {
            "address": [
                "calder.team@nhs.net is a shared mailbox address. Enter the person's own "
                "NHSmail address, like firstname.lastname@nhs.net"
            ]
        }
        assert PersonalAccount.objects.get(user=world.staff).address == "sam.staff@nhs.net"

    def test_a_stored_shared_mailbox_account_cannot_be_linked(self, world):
        mailbox = SharedMailboxFactory(premises=world.premises)
        # Stored before such addresses were refused: straight into the table.
        account = PersonalAccountFactory(user=world.staff, address=mailbox.address)
        with pytest.raises(ValidationError) as caught:
            services.link_create(actor=world.manager, premises=world.premises, account=account)
        assert caught.value.error_dict["account"][0].code == "shared_mailbox"
        assert "is a shared mailbox address" in caught.value.message_dict["account"][0]
        assert not MailboxLink.objects.exists()

    def test_a_person_with_a_shared_mailbox_account_can_put_their_own_address_in(self, world):
        PersonalAccountFactory(user=world.staff, address="pharmacy.fah23@nhs.net")
        account = services.account_record(
            actor=world.staff, person=world.staff, address="sam.staff@nhs.net", status="live"
        )
        assert account.address == "sam.staff@nhs.net"


def assert_error_next_to_address(response, address):
    message = (
        f"{address} is a shared mailbox address. Enter the person's own NHSmail address, "
        "like firstname.lastname@nhs.net"
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"address": [message]}
    html = response.content.decode()
    assert "nhsuk-error-summary" in html
    # Once in the error summary, once next to the field.
    assert html.count(escape(message)) == 2
    assert 'class="nhsuk-error-message"' in html


@pytest.mark.django_db
class TestForm:
    def test_my_account_shows_the_message_next_to_the_address(self, world):
        response = sign_in(Client(), world.staff).post(
            reverse("nhsmail_my_account"), {"address": "Pharmacy.FAH23@nhs.net", "status": "live"}
        )
        assert_error_next_to_address(response, "pharmacy.fah23@nhs.net")
        assert not PersonalAccount.objects.exists()

    def test_my_account_refuses_an_address_stored_as_a_shared_mailbox(self, world):
        SharedMailboxFactory(premises=world.premises, address="calder.team@nhs.net")
        response = sign_in(Client(), world.staff).post(
            reverse("nhsmail_my_account"), {"address": "calder.team@nhs.net", "status": "live"}
        )
        assert_error_next_to_address(response, "calder.team@nhs.net")
        assert not PersonalAccount.objects.exists()


@pytest.mark.django_db
class TestRule:
    def test_an_account_with_a_shared_mailbox_address_never_counts(self, world):
        mailbox = SharedMailboxFactory(premises=world.premises, address="calder.team@nhs.net")
        for name in ("Aisha Khan", "Ben Smith"):
            person = MembershipFactory(premises=world.premises, user__full_name=name).user
            MailboxLinkFactory(account=PersonalAccountFactory(user=person), mailbox=mailbox)
        # Stored before they were refused, bypassing validation, each live, confirmed today,
        # working here and linked: everything the rule asks except a personal address.
        fooling = {}
        for name, address in (
            ("Cara Own", "calder.team@nhs.net"),  # the premises' own mailbox
            ("Dan Shape", "pharmacy.fah23@nhs.net"),
            ("Eve Legacy", "NHSPharmacy.Leeds.Boots.FA123@nhs.net"),
        ):
            person = MembershipFactory(premises=world.premises, user__full_name=name).user
            account = PersonalAccountFactory(user=person, address=address)
            MailboxLinkFactory(account=account, mailbox=mailbox)
            fooling[name] = account
        evaluation = evaluate(world.premises)
        assert evaluation.qualifying_names == ("A. Khan", "B. Smith")
        assert evaluation.status == "amber"
        # Each is left out for its address alone: with a personal address it counts.
        fooling["Cara Own"].address = "cara.own@nhs.net"
        fooling["Cara Own"].save()
        assert evaluate(world.premises).count == 3
        fooling["Dan Shape"].address = "dan.shape@nhs.net"
        fooling["Dan Shape"].save()
        fooling["Eve Legacy"].address = "eve.legacy@nhs.net"
        fooling["Eve Legacy"].save()
        assert evaluate(world.premises).qualifying_names == (
            "A. Khan",
            "B. Smith",
            "C. Own",
            "D. Shape",
            "E. Legacy",
        )

    def test_another_premises_mailbox_address_does_not_count_either(self, world):
        SharedMailboxFactory(premises=world.other_premises, address="elsewhere.team@nhs.net")
        mailbox = SharedMailboxFactory(premises=world.premises)
        account = PersonalAccountFactory(user=world.staff, address="elsewhere.team@nhs.net")
        MailboxLinkFactory(account=account, mailbox=mailbox)
        assert evaluate(world.premises).count == 0


@pytest.mark.django_db
def test_migration_reports_stored_accounts_and_keeps_them(world, capsys):
    migration = importlib.import_module(
        "nhsmail.migrations.0002_personal_account_not_a_shared_mailbox"
    )
    SharedMailboxFactory(premises=world.premises, address="calder.team@nhs.net")
    own = PersonalAccountFactory(user=world.staff, address="calder.team@nhs.net")
    shape = PersonalAccountFactory(user=world.manager, address="pharmacy.fah23@nhs.net")
    PersonalAccountFactory(user=world.head_office, address="hal.office@nhs.net")
    migration.report_shared_mailbox_accounts(django_apps, None)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "",
        *(
            f"nhsmail: personal account {account.pk} has the shared mailbox address "
            f"{account.address}; it no longer counts towards the shared-mailbox rule"
            for account in sorted([own, shape], key=lambda a: a.pk)
        ),
    ]
    assert PersonalAccount.objects.count() == 3


@pytest.mark.django_db
def test_migration_says_nothing_when_there_is_nothing_to_report(world, capsys):
    migration = importlib.import_module(
        "nhsmail.migrations.0002_personal_account_not_a_shared_mailbox"
    )
    PersonalAccountFactory(user=world.staff, address="sam.staff@nhs.net")
    migration.report_shared_mailbox_accounts(django_apps, None)
    assert capsys.readouterr().out == ""
