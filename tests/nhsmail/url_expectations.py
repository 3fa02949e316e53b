from tests.url_access import EVERYONE, Expect, own_organisation, own_premises

MANAGERS = frozenset({"manager", "head_office", "portal_admin"})
PREMISES_READERS = frozenset({"staff", "manager", "head_office", "portal_admin"})


def staff_link(world):
    from tests.nhsmail.factories import (
        MailboxLinkFactory,
        PersonalAccountFactory,
        SharedMailboxFactory,
    )

    mailbox = SharedMailboxFactory(premises=world.premises)
    account = PersonalAccountFactory(user=world.staff)
    return {"pk": MailboxLinkFactory(account=account, mailbox=mailbox).pk}


def staff_account(world):
    from tests.nhsmail.factories import PersonalAccountFactory

    return {"pk": PersonalAccountFactory(user=world.staff).pk}


def staff_request(world):
    from nhsmail.models import AccountRequest

    return {"pk": AccountRequest.objects.create(user=world.staff, premises=world.premises).pk}


def submitted_staff_request(world):
    from django.utils import timezone

    from nhsmail.models import AccountRequest

    return {
        "pk": AccountRequest.objects.create(
            user=world.staff,
            premises=world.premises,
            status=AccountRequest.Status.SUBMITTED,
            submitted_at=timezone.now(),
        ).pk
    }


EXPECTATIONS = {
    "nhsmail_premises": Expect(own_premises, PREMISES_READERS),
    "nhsmail_mailbox_edit": Expect(own_premises, MANAGERS),
    "nhsmail_link_create": Expect(own_premises, MANAGERS),
    "nhsmail_get_account": Expect(own_premises, PREMISES_READERS),
    "nhsmail_link_end": Expect(staff_link, MANAGERS),
    # The staff member confirms their own account; their managers may too.
    "nhsmail_account_confirm": Expect(staff_account, frozenset({"staff"}) | MANAGERS),
    "nhsmail_my_account": Expect(None, EVERYONE, outsider=200),
    # POST only: a GET is refused before anything is looked up.
    "nhsmail_request_advance": Expect(
        staff_request, frozenset(), denied=405, outsider=405, outsider_post=404
    ),
    "nhsmail_request_live": Expect(submitted_staff_request, MANAGERS),
    "nhsmail_organisation": Expect(own_organisation, frozenset({"head_office", "portal_admin"})),
    "nhsmail_check_now": Expect(
        own_organisation, frozenset(), denied=405, outsider=405, outsider_post=404
    ),
}
