"""`manage.py seed_demo` (demo/): a small demo data set, seeded twice without duplicates, topped up, refused."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from crm.models import Contact, MailingGroup, SalesDocument, Salesperson, SalutationFormula
from interactions.models import InteractionLogEntry, InteractionTemplate, InteractionTemplateSetup
from segments.models import SavedSegmentCriteria, Segment, SegmentLine

pytestmark = pytest.mark.django_db

DEMO_LOGINS = {"admin": "Marketing", "marketer": "Marketing", "seller": "Sales", "viewer": "Viewer"}


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = (
        Contact,
        Salesperson,
        MailingGroup,
        SalutationFormula,
        InteractionTemplate,
        InteractionTemplateSetup,
        InteractionLogEntry,
        SalesDocument,
        Segment,
        SegmentLine,
        SavedSegmentCriteria,
        get_user_model(),
    )
    return {model.__name__: model.objects.count() for model in models}


def test_seed_demo_creates_contacts_entries_documents_worksheets_and_the_logins(client):
    output = seed_demo("--contacts", "40", "--entries", "120")

    assert Contact.objects.count() == 40
    assert Contact.objects.filter(type=Contact.Type.PERSON, company__isnull=False).exists()
    assert InteractionLogEntry.objects.filter(segment_no="").count() == 120
    assert SalesDocument.objects.count() == 4 * len(SalesDocument.Kind.values)
    assert Segment.objects.filter(description__startswith="Demo:").exists()
    for username, role in DEMO_LOGINS.items():
        assert get_user_model().objects.get(username=username).groups.filter(name=role).exists()
    # The login throttle (django-axes) needs the request a real login has.
    assert client.login(request=HttpRequest(), username="marketer", password="demo")
    assert "Demo data ready" in output


def test_seed_demo_gives_the_demo_persons_salutation_codes_with_german_formulas():
    from interactions.letters import contact_merge_values

    seed_demo("--contacts", "40", "--entries", "0", "--no-users")
    person = Contact.objects.select_related("company", "salesperson").filter(salutation__startswith="Dear Mr ").first()
    assert person.salutation_code.code == "MR"
    surname = person.name.split(" ", 1)[1]  # the demo's surnames may have a particle ("de Vries")
    assert contact_merge_values(person, language_code="de")["contact.salutation"] == f"Sehr geehrter Herr {surname}"
    assert contact_merge_values(person, language_code="en")["contact.salutation"] == f"Dear Mr {surname}"
    assert not Contact.objects.filter(type=Contact.Type.PERSON, salutation_code__isnull=True).exists()


def test_seed_demo_run_again_with_the_same_numbers_adds_nothing():
    seed_demo("--contacts", "40", "--entries", "120")
    first = row_counts()

    output = seed_demo("--contacts", "40", "--entries", "120")

    assert row_counts() == first
    assert "Contacts: 0 added" in output
    assert "demo worksheets already there" in output


def test_seed_demo_with_bigger_numbers_tops_up_to_them():
    seed_demo("--contacts", "40", "--entries", "120", "--no-users")

    seed_demo("--contacts", "55", "--entries", "150", "--no-users")

    assert Contact.objects.count() == 55
    assert InteractionLogEntry.objects.filter(segment_no="").count() == 150
    assert not get_user_model().objects.exists()


def test_seed_demo_refuses_a_negative_number_and_creates_nothing():
    with pytest.raises(CommandError, match="zero or more"):
        seed_demo("--contacts", "-1")

    assert not Contact.objects.exists()
    assert not InteractionTemplate.objects.exists()
