import factory
from django.utils import timezone

from nhsmail.models import MailboxLink, PersonalAccount, SharedMailbox
from tests.factories import PremisesFactory, UserFactory


class SharedMailboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SharedMailbox

    premises = factory.SubFactory(PremisesFactory)
    address = factory.LazyAttribute(lambda o: f"pharmacy.{o.premises.ods_code.lower()}@nhs.net")


class PersonalAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonalAccount

    user = factory.SubFactory(UserFactory)
    address = factory.Sequence(lambda n: f"person.{n}@nhs.net")
    status = PersonalAccount.Status.LIVE
    last_confirmed_on = factory.LazyFunction(timezone.localdate)


class MailboxLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MailboxLink

    account = factory.SubFactory(PersonalAccountFactory)
    mailbox = factory.SubFactory(SharedMailboxFactory)
    linked_by = factory.SelfAttribute("account.user")
    linked_on = factory.LazyFunction(lambda: timezone.localdate() - timezone.timedelta(days=30))
