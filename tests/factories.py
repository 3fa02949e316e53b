import factory
from django.utils import timezone

from accounts import standings
from accounts.models import (
    Membership,
    Organisation,
    OrganisationAdmin,
    Premises,
    Region,
    UnlockerCover,
    User,
)

TEST_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["name"]

    name = "West Yorkshire ICB"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Pharmacy Group {n}")
    kind = Organisation.Kind.MULTIPLE


def _ods_code(n):
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    digits = []
    for _ in range(4):
        n, r = divmod(n, len(alphabet))
        digits.append(alphabet[r])
    return "F" + "".join(reversed(digits))


class PremisesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Premises

    organisation = factory.SubFactory(OrganisationFactory)
    ods_code = factory.Sequence(lambda n: _ods_code(n + 1000))
    name = factory.Sequence(lambda n: f"High Street Pharmacy {n}")
    address_line_1 = "1 High Street"
    town = "Leeds"
    postcode = "LS1 4AP"
    region = factory.SubFactory(RegionFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    premises = factory.SubFactory(PremisesFactory)
    job_role = Membership.JobRole.DISPENSER
    is_manager = False
    start_date = factory.LazyFunction(lambda: timezone.localdate() - timezone.timedelta(days=365))


class OrganisationAdminFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationAdmin

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class UnlockerCoverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnlockerCover

    unlocker = factory.SubFactory(UserFactory)
    premises = factory.SubFactory(PremisesFactory)
    organisation = None


def refresh_standings(*premises):
    """Factories write past the services, which keep the stored standings current on
    commit. A test that changes data with factories after a page has stored a premises'
    standing calls this, as a service's commit would."""
    standings.standings_refresh(premises_ids=[p.pk for p in premises])
