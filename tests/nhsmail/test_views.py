import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import StandingDay
from nhsmail.models import AccountRequest, MailboxLink, PersonalAccount, SharedMailbox
from tests.conftest import sign_in
from tests.factories import MembershipFactory, PremisesFactory
from tests.nhsmail.factories import MailboxLinkFactory, PersonalAccountFactory, SharedMailboxFactory


def page(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def errors_of(response):
    html = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in html
    return html


@pytest.mark.django_db
class TestPremisesPage:
    def test_shows_status_reason_and_staff(self, world):
        mailbox = SharedMailboxFactory(premises=world.premises)
        MailboxLinkFactory(account=PersonalAccountFactory(user=world.staff), mailbox=mailbox)
        html = page(
            sign_in(Client(), world.manager), reverse("nhsmail_premises", args=[world.premises.pk])
        )
        assert "Only one live linked account: S. Staff" in html
        assert mailbox.address in html
        assert "Link an account to the shared mailbox" in html
        staff_html = page(
            sign_in(Client(), world.staff), reverse("nhsmail_premises", args=[world.premises.pk])
        )
        assert "Link an account to the shared mailbox" not in staff_html

    def test_each_row_shows_only_its_current_link_to_this_premises_mailbox(self, world):
        mailbox = SharedMailboxFactory(premises=world.premises)
        elsewhere = SharedMailboxFactory(premises=PremisesFactory())
        current = MailboxLinkFactory(
            account=PersonalAccountFactory(user=world.staff), mailbox=mailbox
        )
        manager_account = PersonalAccountFactory(user=world.manager)
        ended = MailboxLinkFactory(
            account=manager_account,
            mailbox=mailbox,
            unlinked_on=timezone.localdate(),
            unlinked_by=world.manager,
        )
        other = MailboxLinkFactory(account=manager_account, mailbox=elsewhere)
        html = page(
            sign_in(Client(), world.manager), reverse("nhsmail_premises", args=[world.premises.pk])
        )
        assert html.count("Yes, since") == 1
        assert reverse("nhsmail_link_end", args=[current.pk]) in html
        assert reverse("nhsmail_link_end", args=[ended.pk]) not in html
        assert reverse("nhsmail_link_end", args=[other.pk]) not in html

    def test_fixed_queries_whatever_the_staff(self, world, django_assert_num_queries):
        mailbox = SharedMailboxFactory(premises=world.premises)
        client = sign_in(Client(), world.manager)
        url = reverse("nhsmail_premises", args=[world.premises.pk])
        client.get(url)

        def count():
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            return len(queries)

        before = count()
        for _ in range(6):
            MailboxLinkFactory(
                account=PersonalAccountFactory(
                    user=MembershipFactory(premises=world.premises).user
                ),
                mailbox=mailbox,
            )
        assert count() == before


@pytest.mark.django_db
class TestForms:
    @pytest.mark.parametrize(
        ("address", "message"),
        [
            ("someone@gmail.com", "ending in @nhs.net"),
            ("", "This field is required"),
            ("x" * 300 + "@nhs.net", "at most 254 characters"),
            ("<script>@nhs.net", "only letters, numbers"),
        ],
    )
    def test_mailbox_bad_address(self, world, address, message):
        response = sign_in(Client(), world.manager).post(
            reverse("nhsmail_mailbox_edit", args=[world.premises.pk]), {"address": address}
        )
        assert message in errors_of(response)
        assert not SharedMailbox.objects.exists()

    def test_mailbox_form_suggests_convention(self, world):
        html = page(
            sign_in(Client(), world.manager),
            reverse("nhsmail_mailbox_edit", args=[world.premises.pk]),
        )
        assert f"pharmacy.{world.premises.ods_code.lower()}@nhs.net" in html

    def test_mailbox_owner_must_be_staff_here(self, world):
        response = sign_in(Client(), world.manager).post(
            reverse("nhsmail_mailbox_edit", args=[world.premises.pk]),
            {"address": "pharmacy.x1@nhs.net", "owners": [world.other_manager.pk]},
        )
        assert "Select a valid choice" in errors_of(response)

    def test_my_account_bad_values_keep_what_was_typed(self, world):
        response = sign_in(Client(), world.staff).post(
            reverse("nhsmail_my_account"), {"address": "sam@hotmail.com", "status": "live"}
        )
        html = errors_of(response)
        assert "sam@hotmail.com" in html
        response = sign_in(Client(), world.staff).post(
            reverse("nhsmail_my_account"), {"address": "sam@nhs.net", "status": "zombie"}
        )
        assert "Select a valid choice" in errors_of(response)
        assert not PersonalAccount.objects.exists()

    def test_my_account_address_used_by_someone_else(self, world):
        PersonalAccountFactory(address="sam@nhs.net")
        response = sign_in(Client(), world.staff).post(
            reverse("nhsmail_my_account"), {"address": "sam@nhs.net", "status": "live"}
        )
        assert "already recorded for another person" in errors_of(response)

    def test_confirm_one_click_and_future_date(self, world):
        account = PersonalAccountFactory(
            user=world.staff, last_confirmed_on=timezone.localdate() - timedelta(days=31)
        )
        client = sign_in(Client(), world.staff)
        assert "Sign in to NHSmail and confirm now" in page(client, reverse("nhsmail_my_account"))
        future = timezone.localdate() + timedelta(days=2)
        response = client.post(
            reverse("nhsmail_account_confirm", args=[account.pk]),
            {
                "confirmed_on_day": future.day,
                "confirmed_on_month": future.month,
                "confirmed_on_year": future.year,
            },
        )
        assert "cannot be in the future" in errors_of(response)
        today = timezone.localdate()
        response = client.post(
            reverse("nhsmail_account_confirm", args=[account.pk]),
            {
                "confirmed_on_day": today.day,
                "confirmed_on_month": today.month,
                "confirmed_on_year": today.year,
            },
        )
        assert response.status_code == 302
        account.refresh_from_db()
        assert account.last_confirmed_on == today

    def test_confirm_garbage_date(self, world):
        account = PersonalAccountFactory(user=world.staff)
        response = sign_in(Client(), world.staff).post(
            reverse("nhsmail_account_confirm", args=[account.pk]),
            {"confirmed_on_day": "x", "confirmed_on_month": "99", "confirmed_on_year": "1"},
        )
        assert "Enter a real date" in errors_of(response)

    def test_link_offers_only_unlinked_staff_with_accounts(self, world):
        mailbox = SharedMailboxFactory(premises=world.premises)
        linked = PersonalAccountFactory(user=world.staff)
        MailboxLinkFactory(account=linked, mailbox=mailbox)
        free = PersonalAccountFactory(user=world.manager)
        stranger = PersonalAccountFactory(user=world.other_manager)
        client = sign_in(Client(), world.manager)
        html = page(client, reverse("nhsmail_link_create", args=[world.premises.pk]))
        assert free.address in html
        assert linked.address not in html
        response = client.post(
            reverse("nhsmail_link_create", args=[world.premises.pk]), {"account": stranger.pk}
        )
        assert "Select a valid choice" in errors_of(response)
        response = client.post(
            reverse("nhsmail_link_create", args=[world.premises.pk]), {"account": "abc"}
        )
        assert "Select a valid choice" in errors_of(response)
        assert (
            client.post(
                reverse("nhsmail_link_create", args=[world.premises.pk]), {"account": free.pk}
            ).status_code
            == 302
        )
        assert MailboxLink.objects.current().count() == 2

    def test_unlink_twice_says_so(self, world):
        mailbox = SharedMailboxFactory(premises=world.premises)
        link = MailboxLinkFactory(account=PersonalAccountFactory(user=world.staff), mailbox=mailbox)
        client = sign_in(Client(), world.manager)
        url = reverse("nhsmail_link_end", args=[link.pk])
        assert client.post(url).status_code == 302
        response = client.post(url)
        assert response.status_code == 200
        assert "already unlinked" in response.content.decode()


@pytest.mark.django_db
class TestGetAnAccount:
    def test_route_differs_for_independent_and_multiple(self, world):
        world.premises.organisation.kind = "independent"
        world.premises.organisation.save()
        client = sign_in(Client(), world.staff)
        assert "registration portal" in page(
            client, reverse("nhsmail_get_account", args=[world.premises.pk])
        )
        world.premises.organisation.kind = "multiple"
        world.premises.organisation.save()
        assert "head office" in page(
            client, reverse("nhsmail_get_account", args=[world.premises.pk])
        )

    def test_member_asks_and_manager_tracks(self, world):
        client = sign_in(Client(), world.staff)
        assert (
            client.post(reverse("nhsmail_get_account", args=[world.premises.pk])).status_code == 302
        )
        again = client.post(reverse("nhsmail_get_account", args=[world.premises.pk]))
        assert "already asked" in again.content.decode()
        request = AccountRequest.objects.get()
        manager = sign_in(Client(), world.manager)
        assert "Mark as submitted" in page(
            manager, reverse("nhsmail_premises", args=[world.premises.pk])
        )
        manager.post(reverse("nhsmail_request_advance", args=[request.pk]))
        request.refresh_from_db()
        assert request.status == "submitted"
        # Someone from another organisation cannot move it on.
        outsider = sign_in(Client(), world.other_manager)
        assert (
            outsider.post(reverse("nhsmail_request_advance", args=[request.pk])).status_code == 404
        )


@pytest.mark.django_db
class TestHeadOfficeView:
    def make_group(self, world, count):
        for index in range(count):
            premises = PremisesFactory(
                organisation=world.premises.organisation, name=f'=HYPERLINK("x") {index}'
            )
            mailbox = SharedMailboxFactory(premises=premises)
            for _ in range(index % 4):
                MailboxLinkFactory(
                    account=PersonalAccountFactory(user=MembershipFactory(premises=premises).user),
                    mailbox=mailbox,
                )

    def test_filter_and_csv_agree_and_are_safe(self, world):
        self.make_group(world, 8)
        client = sign_in(Client(), world.head_office)
        url = reverse("nhsmail_organisation", args=[world.premises.organisation_id])
        html = page(client, url, data={"status": "red"})
        response = client.get(url, {"status": "red", "format": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:4] == ["ODS code", "Premises", "ICB area", "Status"]
        assert {row[3] for row in rows[1:]} == {"Not compliant"}
        for row in rows[1:]:
            assert row[0] in html
        # 2 premises of the world (no mailbox) + 4 of 8 made here with 0 or 1 linked.
        assert len(rows) - 1 == 6
        # The four red ones made here are named with a formula, written as text.
        formulas = [row[1] for row in rows[1:] if "HYPERLINK" in row[1]]
        assert len(formulas) == 4
        assert all(name.startswith("'=") for name in formulas)

    def test_bad_filter_value_is_ignored_not_an_error(self, world):
        client = sign_in(Client(), world.head_office)
        url = reverse("nhsmail_organisation", args=[world.premises.organisation_id])
        assert client.get(url, {"status": "purple", "page": "x"}).status_code == 200

    def test_fixed_queries_at_two_sizes(self, world, django_assert_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = sign_in(Client(), world.head_office)
        url = reverse("nhsmail_organisation", args=[world.premises.organisation_id])
        client.get(url)

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            return len(queries)

        self.make_group(world, 3)
        small = count()
        self.make_group(world, 12)
        assert count() == small

    def test_check_now_runs_the_job(self, world, django_capture_on_commit_callbacks):
        SharedMailboxFactory(premises=world.premises)
        client = sign_in(Client(), world.head_office)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("nhsmail_check_now", args=[world.premises.organisation_id])
            )
        assert response.status_code == 302
        assert (
            StandingDay.objects.filter(
                area="nhsmail", premises__organisation=world.premises.organisation
            ).count()
            == 2
        )
        assert mail.outbox  # red premises reported to head office


@pytest.mark.django_db
def test_home_panel_for_staff(world):
    SharedMailboxFactory(premises=world.premises)
    html = page(sign_in(Client(), world.staff), "/")
    assert "NHSmail" in html
    assert "Record your personal NHSmail account" in html
