"""The navigation's "Postponed" link with the number of the user's postponed interactions (docs/BEHAVIOUR.md §2)."""

from django import template

from ..services import postponed_entries_for

register = template.Library()


@register.simple_tag
def postponed_count(user) -> int:
    # One COUNT over the partial index ile_postponed_user (only postponed rows are in it).
    return postponed_entries_for(user).count()
