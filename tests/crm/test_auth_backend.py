"""crm.auth_backend: the same permissions as Django's ModelBackend, read in one query."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.auth_backend import OneQueryModelBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The user as a new request loads it: no permission cache yet."""
    return type(user).objects.get(pk=user.pk)


def _perm(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


@pytest.fixture
def user_with_own_and_group_permissions():
    user = UserFactory(username="mixed", role=None)
    user.user_permissions.add(_perm("view_contact"), _perm("change_contact"))
    both = Group.objects.create(name="Both")
    both.permissions.add(_perm("change_contact"), _perm("view_salesdocument"))
    other = Group.objects.create(name="Other")
    other.permissions.add(_perm("delete_contact"))
    user.groups.add(both)
    return user


def test_the_union_of_own_and_group_permissions_in_one_query(user_with_own_and_group_permissions):
    user = _fresh(user_with_own_and_group_permissions)

    with CaptureQueriesContext(connection) as queries:
        permissions = OneQueryModelBackend().get_all_permissions(user)
        assert user.has_perm("crm.view_contact") and user.has_perm("crm.view_salesdocument")

    assert permissions == {"crm.view_contact", "crm.change_contact", "crm.view_salesdocument"}
    assert permissions == ModelBackend().get_all_permissions(_fresh(user))
    assert len(queries) == 1
    assert not user.has_perm("crm.delete_contact"), "a group the user is not in gives nothing"


@pytest.mark.parametrize("role", ["Marketing", "Sales", "Viewer", None])
def test_every_role_gets_what_djangos_backend_gives(role):
    user = UserFactory(username=f"user-{role}", role=role)

    assert OneQueryModelBackend().get_all_permissions(_fresh(user)) == ModelBackend().get_all_permissions(_fresh(user))


def test_an_inactive_user_has_no_permissions(user_with_own_and_group_permissions):
    user = _fresh(user_with_own_and_group_permissions)
    user.is_active = False

    assert OneQueryModelBackend().get_all_permissions(user) == set()
    assert not user.has_perm("crm.view_contact")


def test_a_superuser_has_every_permission():
    user = _fresh(UserFactory(username="root", role=None, is_superuser=True))

    assert OneQueryModelBackend().get_all_permissions(user) == {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }


def test_object_permissions_are_not_granted(user_with_own_and_group_permissions):
    user = _fresh(user_with_own_and_group_permissions)

    assert OneQueryModelBackend().get_all_permissions(user, obj=object()) == set()


def test_a_page_reads_the_permissions_once(sales_client):
    with CaptureQueriesContext(connection) as queries:
        response = sales_client.get("/interactions/")

    assert response.status_code == 200
    permission_queries = [q["sql"] for q in queries if "auth_permission" in q["sql"]]
    assert len(permission_queries) == 1
