"""crm.form_renderer: the widgets written out in Python are character for character what Django's templates give."""

import importlib
import inspect

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from crm.filters import ListFilterSet
from crm.form_renderer import FastWidgetRenderer

pytestmark = pytest.mark.django_db

TRICKY = '<b>"Smith & O\'Neil"</b>'


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _product_forms():
    """Every plain form class of the product's forms modules that can be built without arguments."""
    for module_name in ("crm.forms", "interactions.forms", "segments.forms"):
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:
                try:
                    yield cls()
                except (TypeError, ValueError):  # needs its page's objects, or an abstract base
                    continue


def _filter_forms():
    for module_name in ("crm.filters", "interactions.filters", "segments.filters"):
        importlib.import_module(module_name)
    for filterset_class in _subclasses(ListFilterSet):
        if getattr(filterset_class._meta, "model", None) is None:
            continue
        try:
            yield filterset_class().form
        except TypeError:  # one that needs its page's object (a worksheet's lines): built by its own tests
            continue
        # Bound with a value no code matches, so the fields carry errors (aria-invalid) and the odd characters.
        data = dict.fromkeys(filterset_class.base_filters, TRICKY)
        bound = filterset_class(data=data).form
        bound.is_valid()
        yield bound


def _both(form) -> list[tuple[str, str]]:
    pairs = []
    for field in form:
        form.renderer = DjangoTemplates()
        expected = str(field)
        form.renderer = FastWidgetRenderer()
        pairs.append((expected, str(field)))
    return pairs


def test_every_field_of_every_list_filter_renders_the_same():
    pairs = [pair for form in _filter_forms() for pair in _both(form)]

    assert len(pairs) > 50
    assert [fast for _, fast in pairs] == [expected for expected, _ in pairs]


def test_every_form_that_builds_without_arguments_renders_the_same():
    pairs = [pair for form in _product_forms() for pair in _both(form)]

    assert pairs
    assert [fast for _, fast in pairs] == [expected for expected, _ in pairs]


class Odd(forms.Form):
    text = forms.CharField(initial=TRICKY, widget=forms.TextInput(attrs={"data-x": TRICKY, "required": True}))
    safe = forms.CharField(initial=mark_safe("<i>kept</i>"), widget=forms.TextInput(attrs={"hidden": False}))
    number = forms.DecimalField(initial=1234.5)
    when = forms.DateField(initial="2026-12-01", widget=forms.DateInput(attrs={"type": "date"}))
    flag = forms.BooleanField(initial=True)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="pw")
    hidden = forms.CharField(widget=forms.HiddenInput, initial=("a", "b"))
    choice = forms.ChoiceField(
        choices=[("", "—"), ("a", TRICKY), ("Group <1>", [("b", gettext_lazy("Lazy")), ("c", mark_safe("<b>c</b>"))])],
        initial="c",
    )
    numbered = forms.ChoiceField(choices=[(1, 1000), (2, 2.5)])  # numbers as labels: the template localises them
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], initial=["x", "y"])
    area = forms.CharField(widget=forms.Textarea, initial=TRICKY)  # not written out: the template draws it


@pytest.mark.parametrize("bound", [False, True])
def test_odd_values_attributes_and_options_render_the_same(bound):
    data = {"text": TRICKY, "number": "x", "choice": "zz", "many": ["y"], "hidden": "<h>"} if bound else None
    form = Odd(data=data)
    form.is_valid()

    pairs = _both(form)

    assert [fast for _, fast in pairs] == [expected for expected, _ in pairs]
    assert "&lt;b&gt;&quot;Smith &amp; O&#x27;Neil&quot;&lt;/b&gt;" in "".join(fast for _, fast in pairs)


def test_the_input_and_select_templates_are_written_out_and_others_are_not():
    written_out = FastWidgetRenderer()._written_out

    assert {"django/forms/widgets/text.html", "django/forms/widgets/select.html"} <= written_out
    assert "django/forms/widgets/textarea.html" not in written_out
