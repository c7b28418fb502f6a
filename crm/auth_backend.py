"""The authentication backend behind every permission check: Django's ModelBackend, with a user's permissions read
in one query.

Django's ModelBackend reads a user's own permissions and their groups' permissions in two queries, once per
request (the first `has_perm`); every page a logged-in user opens pays both. Here one query reads the union, with
the same result: nothing for an inactive or anonymous user or for an object permission, every permission for a
superuser, else the user's own and their groups' (docs/SECURITY.md, docs/PERFORMANCE.md "Throughput at
saturation"). Logging in, `get_user` and everything else are ModelBackend's.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import Q


class OneQueryModelBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                user_obj._perm_cache = super().get_all_permissions(user_obj)
            else:
                user_obj._perm_cache = _user_and_group_permissions(user_obj)
        return user_obj._perm_cache


def _user_and_group_permissions(user) -> set[str]:
    own = get_user_model().user_permissions.through.objects.filter(user_id=user.pk).values("permission_id")
    from_groups = Group.permissions.through.objects.filter(group__user=user).values("permission_id")
    rows = (
        Permission.objects.filter(Q(id__in=own) | Q(id__in=from_groups))
        .values_list("content_type__app_label", "codename")
        .order_by()
    )
    return {f"{app_label}.{codename}" for app_label, codename in rows}
