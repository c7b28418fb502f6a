"""{% segment_log_options segment as log %}: what the worksheet's Log dialog needs to know."""

from django import template

from ..services.logging import segment_log_options as _options

register = template.Library()


@register.simple_tag
def segment_log_options(segment) -> dict:
    return _options(segment)
