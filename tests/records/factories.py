import datetime

import factory
from django.utils import timezone

from records.models import (
    GphcRegistration,
    GuidancePage,
    GuidancePageVersion,
    ReadinessRecord,
    ScrGovernancePerson,
    ScrRole,
)
from records.search import refresh_search_vectors
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory


class GuidancePageFactory(factory.django.DjangoModelFactory):
    """A published page with its first version, as guidance_page_create leaves it."""

    class Meta:
        model = GuidancePage
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"test-page-{n}")
    area = "general"
    title = factory.Sequence(lambda n: f"Test page {n}")
    summary = "A page made for a test."
    body = "Some **guidance** text."
    status = "published"
    review_by = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=90))
    version = 1

    @factory.post_generation
    def first_version(obj, create, extracted, **kwargs):
        if create and not obj.versions.exists():
            GuidancePageVersion.objects.create(
                page=obj,
                number=1,
                area=obj.area,
                title=obj.title,
                summary=obj.summary,
                body=obj.body,
                status=obj.status,
                review_by=obj.review_by,
                created_at=obj.updated_at,
            )
        if create:
            refresh_search_vectors(GuidancePage.objects.filter(pk=obj.pk))


class GphcRegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GphcRegistration

    user = factory.SubFactory(UserFactory)
    number = factory.Sequence(lambda n: f"{2000000 + n:07d}")


class ReadinessRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReadinessRecord

    membership = factory.SubFactory(MembershipFactory, job_role="pharmacist")
    scr_role = ScrRole.PREMISES
    is_trainee = False
    cppe_training_on = None


class ScrGovernancePersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScrGovernancePerson

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    trained_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


def ready_pharmacist(premises, **kwargs):
    """A current registered pharmacist at the premises, ready for SCR."""
    membership = MembershipFactory(premises=premises, job_role="pharmacist", **kwargs)
    GphcRegistrationFactory(user=membership.user)
    ReadinessRecordFactory(membership=membership)
    return membership
