"""The form renderer (settings.FORM_RENDERER): Django's own, with the plain <input> and <select> widgets written out in
Python instead of through their templates.

Django draws every widget through three or four small templates (text.html includes input.html, which includes
attrs.html; a <select> includes one more per option). On a list page's filter panel of 15 fields that was about a
third of the page's time (docs/PERFORMANCE.md, Throughput at saturation). The HTML is exactly what Django's
templates give, character for character (tests/crm/test_form_renderer.py compares the two for every form of the
product); any other template, a project override of these ones, or a value the templates would localise, goes
through Django's templates as before.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise, cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

# Django's widget templates that are exactly {% include "django/forms/widgets/input.html" %}.
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "time",
        "url",
    )
)
_SELECT_TEMPLATE = "django/forms/widgets/select.html"
_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _text(value) -> str:
    """What `{{ value|stringformat:'s' }}` gives: the value as a string, escaped unless it is marked safe."""
    if isinstance(value, tuple):
        value = str(value)
    text = "%s" % (value,)  # noqa: UP031 (the filter's own formatting)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        (f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_text(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    """django/forms/widgets/input.html."""
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
    return f'<input type="{kind}" name="{name}"{value}{_attrs(widget["attrs"])}>'


def _plain_label(label) -> bool:
    # A number or a date would be localised by the template ({{ widget.label }}); those keep the template.
    return isinstance(label, str | Promise)


def _select(widget: dict, option_tail: str) -> str | None:
    """django/forms/widgets/select.html and select_option.html, or None when an option is not a plain one.
    `option_tail`: what follows an option, the end of select_option.html (its file's last line break)."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name and not _plain_label(group_name):
            return None
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION_TEMPLATE or not _plain_label(option["label"]):
                return None
            parts.append(
                f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>{option_tail}"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


_ATTRS_TEMPLATE = "django/forms/widgets/attrs.html"


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if isinstance(context, dict) and "widget" in context and template_name in self._written_out:
            if template_name == _SELECT_TEMPLATE:
                html = _select(context["widget"], self._option_tail)
                if html is not None:
                    return html
            else:
                return _input(context["widget"])
        return super().render(template_name, context, request=request)

    @cached_property
    def _option_tail(self) -> str:
        source = self.get_template(_OPTION_TEMPLATE).template.source
        return source[len(source.rstrip()) :]

    @cached_property
    def _written_out(self) -> frozenset[str]:
        """The templates above that are Django's own files (no app overrides them, nor what they include)."""

        def own(template_name: str) -> bool:
            origin = self.get_template(template_name).origin.name.replace("\\", "/")
            return origin.endswith(f"/django/forms/templates/{template_name}")

        if not own(_ATTRS_TEMPLATE):
            return frozenset()
        names = set()
        if own("django/forms/widgets/input.html"):
            names |= {name for name in _INPUT_TEMPLATES if own(name)}
        if own(_SELECT_TEMPLATE) and own(_OPTION_TEMPLATE):
            names.add(_SELECT_TEMPLATE)
        return frozenset(names)
