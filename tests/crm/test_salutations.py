"""Salutations per language (Business Central's Salutations; docs/BEHAVIOUR.md §1, "Salutations"): a salutation
code with one formula per language and type; letters take the formula for their language, else the contact's own
salutation, else the language's default."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact, Salutation, SalutationFormula
from crm.salutation_services import salutation_delete, salutation_formula_set, salutation_save
from crm.salutations import SalutationFormulas, name_parts, placeholder_values, render_formula
from interactions.letters import contact_merge_values
from interactions.models import InteractionLogEntry
from segments.letters import segment_letters
from segments.services import segment_log
from tests.factories import CompanyFactory, PersonFactory, SegmentFactory, SegmentLineFactory
from tests.segments.logging_helpers import add_variant, docx_bytes, docx_text, letter_text, template_with_letter

pytestmark = pytest.mark.django_db


def _person(name: str, code=None, **fields) -> Contact:
    person = PersonFactory(name=name, salutation_code=code, **fields)
    return Contact.objects.select_related("company", "salesperson").get(pk=person.pk)


def test_a_german_letter_says_sehr_geehrter_herr_braun_and_an_english_one_dear_mr_brown(mr):
    """Given Hans Braun and Tom Brown with salutation code MR, when their letters are merged in German and in
    English, then the German one says "Sehr geehrter Herr Braun" and the English one "Dear Mr Brown"."""
    braun, brown = _person("Hans Braun", mr, salutation="Dear Mr Braun"), _person("Tom Brown", mr)
    assert contact_merge_values(braun, language_code="de")["contact.salutation"] == "Sehr geehrter Herr Braun"
    assert contact_merge_values(brown, language_code="en")["contact.salutation"] == "Dear Mr Brown"


def test_the_letter_language_is_the_contacts_when_the_entry_has_none(mr):
    braun = _person("Hans Braun", mr, language_code="de")
    assert contact_merge_values(braun)["contact.salutation"] == "Sehr geehrter Herr Braun"


def test_a_regional_language_takes_the_formula_of_its_language(mr):
    braun = _person("Hans Braun", mr)
    assert contact_merge_values(braun, language_code="de-AT")["contact.salutation"] == "Sehr geehrter Herr Braun"


def test_without_a_formula_for_the_language_the_contacts_own_salutation_then_the_default(mr):
    with_text = _person("Jean Dupont", mr, salutation="Cher Monsieur Dupont")
    without = _person("Luc Martin", mr, salutation="")
    assert contact_merge_values(with_text, language_code="fr")["contact.salutation"] == "Cher Monsieur Dupont"
    assert contact_merge_values(without, language_code="fr")["contact.salutation"] == "Madame, Monsieur"
    no_code = _person("Eva Klein", None, salutation="")
    assert contact_merge_values(no_code, language_code="de")["contact.salutation"] == "Sehr geehrte Damen und Herren"


def test_the_informal_salutation_is_its_formula_else_the_formal_one(mr):
    braun = _person("Hans Braun", mr)
    german = contact_merge_values(braun, language_code="de")
    english = contact_merge_values(braun, language_code="en")
    assert german["contact.informal_salutation"] == "Lieber Hans"
    assert english["contact.informal_salutation"] == "Dear Mr Brown".replace("Brown", "Braun")


def test_a_companys_salutation_code_gives_the_company_salutation(mr):
    firm = salutation_save(Salutation(code="COMPANY"))
    salutation_formula_set(firm, language_code="de", formula="Sehr geehrte Damen und Herren der {company_name}")
    company = CompanyFactory(name="Braun GmbH", salutation_code=firm)
    person = PersonFactory(name="Hans Braun", company=company, salutation_code=mr)
    person = Contact.objects.select_related("company", "salesperson").get(pk=person.pk)
    values = contact_merge_values(person, language_code="de")
    assert values["company.salutation"] == "Sehr geehrte Damen und Herren der Braun GmbH"
    assert values["contact.salutation"] == "Sehr geehrter Herr Braun"


def test_the_placeholders_come_from_the_name_job_title_and_company():
    person = _person("John Ronald Tolkien", None, job_title="Professor")
    values = placeholder_values(person)
    assert (values["first_name"], values["middle_name"], values["surname"], values["initials"]) == (
        "John",
        "Ronald",
        "Tolkien",
        "J. R.",
    )
    formula = "Dear {job_title} {initials} {surname} of {company_name} ({name})"
    assert render_formula(formula, values) == (
        f"Dear Professor J. R. Tolkien of {person.company.name} (John Ronald Tolkien)"
    )
    assert render_formula("Dear {first_name} {middle_name} {surname}", placeholder_values(_person("Ada Byron"))) == (
        "Dear Ada Byron"
    )
    assert name_parts("Cher") == ("", "", "Cher")
    assert name_parts("Hans Peter von Braun") == ("Hans", "Peter", "von Braun")
    assert name_parts("Ben de Vries") == ("Ben", "", "de Vries")


def test_an_unknown_placeholder_is_refused_naming_it_and_nothing_is_saved(mr):
    with pytest.raises(ValidationError) as refused:
        salutation_formula_set(mr, language_code="fr", formula="Cher Monsieur {surnme}")
    assert "Unknown placeholder {surnme}." in refused.value.messages[0]
    assert not SalutationFormula.objects.filter(language_code="fr").exists()
    with pytest.raises(ValidationError, match="A brace without its partner"):
        salutation_formula_set(mr, language_code="fr", formula="Cher Monsieur {surname")


def test_setting_a_formula_again_changes_it(mr):
    salutation_formula_set(mr, language_code="en", formula="Dear Sir {surname}")
    assert SalutationFormula.objects.get(salutation=mr, language_code="en").formula == "Dear Sir {surname}"
    assert SalutationFormula.objects.filter(salutation=mr).count() == 3


def test_a_salutation_in_use_cannot_be_deleted(mr):
    _person("Hans Braun", mr)
    with pytest.raises(ValidationError, match="Salutation MR cannot be deleted: 1 contact uses it"):
        salutation_delete(mr)
    assert Salutation.objects.filter(pk=mr.pk).exists()


def test_formulas_for_many_contacts_are_read_in_one_query(mr):
    contacts = [_person(f"Person {n} Braun", mr) for n in range(5)]
    with CaptureQueriesContext(connection) as queries:
        formulas = SalutationFormulas.for_contacts(contacts)
        salutations = {
            contact_merge_values(c, language_code="de", salutations=formulas)["contact.salutation"] for c in contacts
        }
    assert len(queries) == 1
    assert salutations == {"Sehr geehrter Herr Braun"}
    no_code = _person("No Code", None)
    with CaptureQueriesContext(connection) as queries:
        SalutationFormulas.for_contacts([no_code])
    assert len(queries) == 0


# --- letters of a segment ------------------------------------------------------------------------------------------

LETTER = docx_bytes("{{ contact.salutation }},", "Entry {{ interaction.entry_no }}")
BRIEF = docx_bytes("{{ contact.salutation }},", "Eintrag {{ interaction.entry_no }}")


def _segment(mr, count: int):
    template = template_with_letter(LETTER, correspondence_type="hard_copy", language_code="en")
    add_variant(template, "de", BRIEF)
    segment = SegmentFactory(template=template, description="Spring letter", date=datetime.date(2026, 3, 2))
    SegmentLineFactory(
        segment=segment, contact=PersonFactory(name="Hans Braun", language_code="de", salutation_code=mr)
    )
    SegmentLineFactory(segment=segment, contact=PersonFactory(name="Tom Brown", language_code="en", salutation_code=mr))
    for n in range(count - 2):
        SegmentLineFactory(segment=segment, contact=PersonFactory(name=f"Ann {n} Smith", salutation_code=mr))
    return segment


def test_logged_german_and_english_letters_greet_in_their_language(mr, marketer, django_capture_on_commit_callbacks):
    """Given a segment with Hans Braun (German) and Tom Brown (English), both with salutation code MR, when it is
    logged, then the German letter says "Sehr geehrter Herr Braun" and the English one "Dear Mr Brown"."""
    segment = _segment(mr, 2)
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer)
    letters = {
        entry.contact.name: letter_text(entry) for entry in InteractionLogEntry.objects.filter(logged_segment=logged)
    }
    assert letters["Hans Braun"].startswith("Sehr geehrter Herr Braun,\nEintrag")
    assert letters["Tom Brown"].startswith("Dear Mr Brown,\nEntry")


def _job_queries(mr, marketer, django_capture_on_commit_callbacks, lines: int) -> int:
    segment = _segment(mr, lines)
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        segment_log(segment, user=marketer)
    return len(queries)


def test_logging_reads_the_formulas_once_per_batch_not_per_line(mr, marketer, django_capture_on_commit_callbacks):
    # The first run stores the letter snapshots; the two compared runs find them stored.
    _job_queries(mr, marketer, django_capture_on_commit_callbacks, 2)
    few = _job_queries(mr, marketer, django_capture_on_commit_callbacks, 2)
    many = _job_queries(mr, marketer, django_capture_on_commit_callbacks, 8)
    assert many == few


def test_the_worksheets_letters_read_the_formulas_once(mr):
    few, many = _segment(mr, 2), _segment(mr, 8)
    dict(segment_letters(few))  # stores the letter snapshots, which the compared runs then find
    counts = []
    for segment in (few, many):
        with CaptureQueriesContext(connection) as queries:
            letters = dict(segment_letters(segment))
        counts.append(len(queries))
    assert counts[0] == counts[1]
    texts = [docx_text(data) for data in letters.values()]
    assert sum(text.startswith("Sehr geehrter Herr Braun,") for text in texts) == 1
    assert sum(text.startswith("Dear Mr Smith,") for text in texts) == 6


# --- pages --------------------------------------------------------------------------------------------------------


def test_the_contact_form_offers_the_salutation_codes_and_saves_one(mr, sales_client):
    person = PersonFactory(name="Hans Braun")
    page = sales_client.get(f"/contacts/{person.pk}/edit/").content.decode()
    assert 'name="salutation_code"' in page and "MR – Mister" in page
    form = sales_client.get(f"/contacts/{person.pk}/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and not isinstance(value, list)}
    data.update(salutation_code=mr.pk, company_no=person.company.no, type="person", name="Hans Braun")
    response = sales_client.post(f"/contacts/{person.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    person.refresh_from_db()
    assert person.salutation_code == mr
    assert "MR – Mister" in sales_client.get(f"/contacts/{person.pk}/").content.decode()


def test_a_marketer_adds_a_salutation_with_formulas_in_the_admin(staff_marketer):
    data = {
        "code": "MS",
        "description": "Madam",
        "formulas-TOTAL_FORMS": "2",
        "formulas-INITIAL_FORMS": "0",
        "formulas-MIN_NUM_FORMS": "0",
        "formulas-MAX_NUM_FORMS": "1000",
        "formulas-0-language_code": "en",
        "formulas-0-salutation_type": "formal",
        "formulas-0-formula": "Dear Ms {surname}",
        "formulas-1-language_code": "de",
        "formulas-1-salutation_type": "formal",
        "formulas-1-formula": "Sehr geehrte Frau {surname}",
    }
    response = staff_marketer.post("/admin/crm/salutation/add/", data)
    assert response.status_code == 302
    ms = Salutation.objects.get(code="MS")
    assert dict(ms.formulas.values_list("language_code", "formula")) == {
        "en": "Dear Ms {surname}",
        "de": "Sehr geehrte Frau {surname}",
    }
    bad = {**data, "code": "DR", "formulas-0-formula": "Dear Dr {surnme}"}
    response = staff_marketer.post("/admin/crm/salutation/add/", bad)
    assert response.status_code == 200 and "Unknown placeholder {surnme}." in response.content.decode()
    assert not Salutation.objects.filter(code="DR").exists()


def test_the_admin_changes_one_formula_and_deletes_another_through_the_services(staff_marketer, mr):
    de = SalutationFormula.objects.get(salutation=mr, language_code="de", salutation_type="formal")
    en = SalutationFormula.objects.get(salutation=mr, language_code="en")
    informal = SalutationFormula.objects.get(salutation=mr, salutation_type="informal")
    data = {
        "code": "MR",
        "description": "Mister",
        "formulas-TOTAL_FORMS": "3",
        "formulas-INITIAL_FORMS": "3",
        "formulas-MIN_NUM_FORMS": "0",
        "formulas-MAX_NUM_FORMS": "1000",
    }
    for index, (row, formula) in enumerate(
        [(de, "Sehr geehrter Herr {job_title} {surname}"), (en, en.formula), (informal, informal.formula)]
    ):
        data.update(
            {
                f"formulas-{index}-id": row.pk,
                f"formulas-{index}-salutation": mr.pk,
                f"formulas-{index}-language_code": row.language_code,
                f"formulas-{index}-salutation_type": row.salutation_type,
                f"formulas-{index}-formula": formula,
            }
        )
    data["formulas-1-DELETE"] = "on"
    response = staff_marketer.post(f"/admin/crm/salutation/{mr.pk}/change/", data)
    assert response.status_code == 302
    assert set(mr.formulas.values_list("language_code", "salutation_type", "formula")) == {
        ("de", "formal", "Sehr geehrter Herr {job_title} {surname}"),
        ("de", "informal", "Lieber {first_name}"),
    }


def test_a_salesperson_cannot_change_salutations_in_the_admin(client, salesperson_user, mr):
    salesperson_user.is_staff = True
    salesperson_user.save()
    client.force_login(salesperson_user)
    response = client.post(f"/admin/crm/salutation/{mr.pk}/change/", {"code": "MR", "description": "Changed"})
    assert response.status_code == 403
    mr.refresh_from_db()
    assert mr.description == "Mister"
