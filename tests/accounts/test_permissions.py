import pytest
from django.utils import timezone

from accounts.audit import audit_record
from accounts.permissions import Permission, Role, has_permission, scope_for
from accounts.selectors import audit_events_for_user, premises_for_user
from tests.factories import MembershipFactory, UnlockerCoverFactory


@pytest.mark.django_db
class TestRoles:
    def test_roles_follow_what_the_user_holds(self, world):
        assert scope_for(world.staff).roles == {Role.STAFF}
        assert scope_for(world.manager).roles == {Role.STAFF, Role.PREMISES_MANAGER}
        assert scope_for(world.unlocker).roles == {Role.UNLOCKER}
        assert scope_for(world.head_office).roles == {Role.HEAD_OFFICE_ADMIN}
        assert Role.PORTAL_ADMIN in scope_for(world.portal_admin).roles

    def test_only_unlockers_and_admins_need_two_factor(self, world):
        assert not scope_for(world.staff).needs_two_factor
        assert not scope_for(world.manager).needs_two_factor
        assert scope_for(world.unlocker).needs_two_factor
        assert scope_for(world.head_office).needs_two_factor
        assert scope_for(world.portal_admin).needs_two_factor

    def test_ended_membership_grants_nothing(self, world):
        membership = world.manager.memberships.get()
        membership.end_date = timezone.localdate()
        membership.save()
        world.manager.refresh_from_db()
        assert not has_permission(world.manager, Permission.VIEW_PREMISES, world.premises)

    def test_future_membership_grants_nothing_yet(self, world):
        later = MembershipFactory(
            premises=world.second_premises,
            start_date=timezone.localdate() + timezone.timedelta(days=3),
        )
        assert not has_permission(later.user, Permission.VIEW_PREMISES, world.second_premises)

    @pytest.mark.parametrize(
        ("role", "permission", "expected"),
        [
            ("staff", Permission.VIEW_PREMISES, True),
            ("staff", Permission.VIEW_STAFF, False),
            ("staff", Permission.MANAGE_STAFF, False),
            ("manager", Permission.MANAGE_STAFF, True),
            ("manager", Permission.MANAGE_PREMISES, False),
            ("unlocker", Permission.VIEW_PREMISES, True),
            ("unlocker", Permission.MANAGE_STAFF, False),
            ("head_office", Permission.MANAGE_STAFF, True),
            ("head_office", Permission.MANAGE_PREMISES, True),
            ("portal_admin", Permission.MANAGE_PREMISES, True),
        ],
    )
    def test_permission_at_own_premises(self, world, role, permission, expected):
        assert has_permission(world.user(role), permission, world.premises) is expected

    @pytest.mark.parametrize("role", ["staff", "manager", "unlocker", "head_office"])
    def test_nothing_at_another_organisations_premises(self, world, role):
        for permission in Permission:
            assert not has_permission(world.user(role), permission, world.other_premises)

    def test_locum_at_two_premises_sees_both(self, world):
        locum = MembershipFactory(premises=world.premises).user
        MembershipFactory(user=locum, premises=world.other_premises)
        assert set(premises_for_user(locum)) == {world.premises, world.other_premises}

    def test_organisation_cover_reaches_every_premises_of_the_group(self, world):
        cover = UnlockerCoverFactory(premises=None, organisation=world.premises.organisation)
        assert set(premises_for_user(cover.unlocker)) == {world.premises, world.second_premises}


@pytest.mark.django_db
class TestScopedSelectors:
    def test_premises_scoped_by_role(self, world):
        assert set(premises_for_user(world.staff)) == {world.premises}
        assert set(premises_for_user(world.head_office)) == {world.premises, world.second_premises}
        assert set(premises_for_user(world.portal_admin)) == {
            world.premises,
            world.second_premises,
            world.other_premises,
        }
        assert set(premises_for_user(world.unlocker)) == {world.premises}

    def test_premises_list_is_one_query_whatever_the_role(self, world, django_assert_num_queries):
        # What the user holds is worked out once per request (every page needs it for the
        # navigation); the scoped list is then one query.
        assert scope_for(world.head_office).roles
        with django_assert_num_queries(1):
            assert set(premises_for_user(world.head_office)) == {
                world.premises,
                world.second_premises,
            }

    def test_audit_scope(self, world):
        own = audit_record(actor=world.manager, action="test.own", premises=world.premises)
        other = audit_record(
            actor=world.other_manager, action="test.other", premises=world.other_premises
        )
        mine = audit_record(actor=world.unlocker, action="test.unlocker")
        assert set(audit_events_for_user(world.manager)) == {own}
        assert set(audit_events_for_user(world.head_office)) == {own}
        assert set(audit_events_for_user(world.unlocker)) == {mine}
        assert set(audit_events_for_user(world.staff)) == set()
        assert {own, other, mine} <= set(audit_events_for_user(world.portal_admin))


@pytest.mark.django_db
class TestScopeEdges:
    def test_organisation_permission_follows_who_runs_it(self, world):
        organisation = world.premises.organisation
        assert has_permission(world.head_office, Permission.VIEW_COMPLIANCE, organisation)
        assert not has_permission(world.staff, Permission.VIEW_COMPLIANCE, organisation)
        assert not has_permission(world.other_head_office, Permission.VIEW_COMPLIANCE, organisation)

    def test_without_an_object_any_role_held_counts(self, world):
        assert has_permission(world.head_office, Permission.VIEW_COMPLIANCE)
        assert not has_permission(world.staff, Permission.VIEW_COMPLIANCE)

    def test_an_inactive_or_anonymous_user_holds_nothing(self, world):
        from django.contrib.auth.models import AnonymousUser

        from accounts.models import Premises

        world.head_office.is_active = False
        world.head_office.save()
        for user in (world.head_office, AnonymousUser()):
            assert not has_permission(user, Permission.VIEW_PREMISES, world.premises)
            assert not has_permission(user, Permission.VIEW_PREMISES)
            shown = Premises.objects.filter(
                scope_for(user).premises_filter(Permission.VIEW_PREMISES)
            )
            assert list(shown) == []

    def test_an_object_it_cannot_scope_is_an_error(self, world):
        with pytest.raises(TypeError, match="does not know how to scope Membership"):
            has_permission(world.staff, Permission.VIEW_PREMISES, world.staff.memberships.get())

    def test_a_premises_filter_joins_both_what_they_work_at_and_what_they_run(self, world):
        from accounts.models import Membership, Premises

        # The other organisation's head office also works at one of this organisation's
        # premises: both reach them, and nothing else.
        MembershipFactory(premises=world.second_premises, user=world.other_head_office)
        scope = scope_for(world.other_head_office)
        shown = Premises.objects.filter(scope.premises_filter(Permission.VIEW_PREMISES))
        assert set(shown) == {world.other_premises, world.second_premises}
        # The same through a relation, as selectors of memberships use it.
        memberships = Membership.objects.filter(
            scope.premises_filter(Permission.VIEW_PREMISES, prefix="premises__")
        )
        assert {m.premises for m in memberships} == {world.other_premises, world.second_premises}
        # A manager reaches the premises they manage through the manager's own permission.
        managed = Premises.objects.filter(
            scope_for(world.manager).premises_filter(Permission.MANAGE_STAFF)
        )
        assert list(managed) == [world.premises]

    def test_building_a_filter_leaves_what_each_role_reaches_as_it_was(self, world):
        """Someone who works at one premises and covers another as an unlocker, and a head
        office who also covers another organisation: a filter joining their roles must not
        lend one role's premises to another for later checks in the same request."""
        from accounts.models import Premises

        UnlockerCoverFactory(unlocker=world.staff, premises=world.other_premises)
        staff = scope_for(world.staff)
        shown = Premises.objects.filter(staff.premises_filter(Permission.VIEW_PREMISES))
        assert set(shown) == {world.premises, world.other_premises}
        # Tokens are staff business, not an unlocker's.
        assert not has_permission(world.staff, Permission.VIEW_TOKENS, world.other_premises)
        assert has_permission(world.staff, Permission.VIEW_TOKENS, world.premises)

        UnlockerCoverFactory(
            unlocker=world.head_office,
            premises=None,
            organisation=world.other_premises.organisation,
        )
        head_office = scope_for(world.head_office)
        head_office.premises_filter(Permission.VIEW_PREMISES)
        # Compliance across a group is head office business, not an unlocker's.
        assert not has_permission(
            world.head_office, Permission.VIEW_COMPLIANCE, world.other_premises
        )
        assert has_permission(world.head_office, Permission.VIEW_COMPLIANCE, world.premises)

    def test_someone_with_no_role_sees_no_premises(self, world):
        from accounts.models import Premises
        from tests.factories import UserFactory

        scope = scope_for(UserFactory())
        assert list(Premises.objects.filter(scope.premises_filter(Permission.VIEW_PREMISES))) == []
