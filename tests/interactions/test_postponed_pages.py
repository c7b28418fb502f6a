"""The pages of Finish later (reference 2.1, scenarios 8 and 9; docs/BEHAVIOUR.md §2): the "Finish later" button on
Create interaction, Postponed Interactions with Resume and Delete, the navigation's count, and the pages that must
not show a postponed entry."""

import pytest
from django.utils import timezone

from interactions.models import InteractionLogEntry
from tests.factories import InteractionLogEntryFactory, InteractionTemplateFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return PersonFactory(name="Ada Lovelace")


@pytest.fixture
def template():
    return InteractionTemplateFactory(code="CALL", description="Phone call")


def _form(person, template, **extra):
    data = {"contact": person.no, "template": template.pk, "description": "Call back", "date": "2025-03-12"}
    data.update(time="10:30", was_successful="on", **extra)
    return data


def _postponed(user, person, template, **extra):
    return InteractionLogEntryFactory(contact=person, template=template, user=user, postponed=True, **extra)


def test_scenario_8_finish_later_on_the_page_saves_it_postponed_and_lists_it(
    sales_client, salesperson_user, person, template
):
    """Given the Create interaction page with a template and a description filled in
    When the user chooses "Finish later"
    Then the entry is saved postponed and the user lands on Postponed interactions, where it is listed."""
    response = sales_client.post(f"/interactions/new/?contact={person.pk}", _form(person, template, finish_later="1"))

    entry = InteractionLogEntry.postponed_objects.get()
    assert entry.user == salesperson_user and entry.description == "Call back"
    assert response.status_code == 302 and response["Location"] == "/interactions/postponed/"
    page = sales_client.get("/interactions/postponed/").content.decode()
    assert "was saved for later" in page and "Call back" in page and f"?resume={entry.pk}" in page
    assert not InteractionLogEntry.objects.exists()


def test_finish_later_goes_where_the_user_was_going_but_never_off_site(sales_client, person, template):
    url = f"/interactions/new/?contact={person.pk}"
    response = sales_client.post(url, _form(person, template, finish_later="1", next="/segments/"))
    assert response["Location"] == "/segments/"
    response = sales_client.post(url, _form(person, template, finish_later="1", next="https://evil.example/"))
    assert response["Location"] == "/interactions/postponed/"


def test_finish_later_with_a_missing_description_shows_the_error_and_saves_nothing(sales_client, person, template):
    response = sales_client.post(
        f"/interactions/new/?contact={person.pk}", _form(person, template, description="", finish_later="1")
    )
    assert response.status_code == 200 and "Description is mandatory." in response.content.decode()
    assert not InteractionLogEntry.all_objects.exists()


def test_the_page_asks_the_reference_question_before_leaving(sales_client, person):
    content = sales_client.get(f"/interactions/new/?contact={person.pk}").content.decode()
    assert "Do you want to finish this interaction later?" in content
    assert 'name="finish_later"' in content


def test_scenario_9_resume_opens_the_page_filled_in_with_todays_date_and_finishing_keeps_the_number(
    sales_client, salesperson_user, person, template
):
    """Given an interaction the user postponed last month
    When the user resumes it from Postponed interactions and logs it
    Then the page was filled in with its values and today's date,
    And the logged entry keeps its entry number."""
    postponed = _postponed(salesperson_user, person, template, description="Ask about the offer", date="2025-01-02")
    InteractionLogEntryFactory(contact=person)

    page = sales_client.get(f"/interactions/new/?resume={postponed.pk}").content.decode()
    assert "Ask about the offer" in page and f'value="{timezone.localdate():%Y-%m-%d}"' in page
    assert f"Resuming postponed interaction {postponed.pk}" in page

    response = sales_client.post(
        f"/interactions/new/?resume={postponed.pk}",
        _form(person, template, description="Asked about the offer", date=f"{timezone.localdate():%Y-%m-%d}"),
    )

    assert response.status_code == 302 and response["Location"] == f"/contacts/{person.pk}/"
    entry = InteractionLogEntry.objects.get(pk=postponed.pk)
    assert entry.description == "Asked about the offer" and entry.date == timezone.localdate()
    assert not InteractionLogEntry.postponed_objects.exists()


def test_another_users_postponed_entry_is_not_listed_resumable_or_deletable(sales_client, person, template):
    other = _postponed(UserFactory(username="bob"), person, template, description="Draft by Bob")
    assert "Draft by Bob" not in sales_client.get("/interactions/postponed/").content.decode()
    assert sales_client.get(f"/interactions/new/?resume={other.pk}").status_code == 404
    assert sales_client.post(f"/interactions/postponed/{other.pk}/delete/").status_code == 404
    assert InteractionLogEntry.postponed_objects.filter(pk=other.pk).exists()


def test_a_superuser_sees_everyones_postponed_entries(client, person, template):
    _postponed(UserFactory(username="bob"), person, template, description="Draft by Bob")
    client.force_login(UserFactory(username="root", is_superuser=True))
    assert "Draft by Bob" in client.get("/interactions/postponed/").content.decode()


def test_deleting_asks_first_and_removes_it(sales_client, salesperson_user, person, template):
    postponed = _postponed(salesperson_user, person, template, description="Call back")
    page = sales_client.get("/interactions/postponed/").content.decode()
    assert f"Delete postponed interaction {postponed.pk} “Call back”?" in page

    response = sales_client.post(f"/interactions/postponed/{postponed.pk}/delete/", follow=True)

    assert f"Postponed interaction {postponed.pk} “Call back” was deleted." in response.content.decode()
    assert not InteractionLogEntry.all_objects.exists()


def test_a_logged_entry_cannot_be_deleted_as_postponed(sales_client, salesperson_user, person, template):
    logged = InteractionLogEntryFactory(contact=person, template=template, user=salesperson_user)
    assert sales_client.post(f"/interactions/postponed/{logged.pk}/delete/").status_code == 404
    assert InteractionLogEntry.objects.filter(pk=logged.pk).exists()


def test_the_navigation_shows_the_users_count(sales_client, salesperson_user, person, template):
    _postponed(salesperson_user, person, template)
    _postponed(salesperson_user, person, template)
    _postponed(UserFactory(username="bob"), person, template)
    page = sales_client.get("/interactions/postponed/").content.decode()
    assert '<span class="badge" aria-label="2 postponed">2</span>' in page


def test_who_may_see_the_postponed_page(viewer_client, stranger_client, marketer_client, client):
    assert marketer_client.get("/interactions/postponed/").status_code == 200
    assert viewer_client.get("/interactions/postponed/").status_code == 403
    assert "/interactions/postponed/" not in viewer_client.get("/contacts/").content.decode()
    assert stranger_client.get("/interactions/postponed/").status_code == 403
    assert client.get("/interactions/postponed/").status_code == 302  # to the login page


def test_a_postponed_entry_is_on_no_entries_page_csv_detail_or_document(viewer_client, person, template):
    postponed = _postponed(UserFactory(), person, template, description="Secret draft")
    assert "Secret draft" not in viewer_client.get("/interactions/").content.decode()
    assert "Secret draft" not in b"".join(viewer_client.get("/interactions/export.csv").streaming_content).decode()
    assert viewer_client.get(f"/interactions/{postponed.pk}/").status_code == 404
    assert viewer_client.get(f"/interactions/{postponed.pk}/document/").status_code == 404
    contact_page = viewer_client.get(f"/contacts/{person.pk}/").content.decode()
    assert "Secret draft" not in contact_page


def test_a_resume_address_that_is_not_an_entry_number_is_404(sales_client):
    for raw in ("abc", "١٢", "99999999999999999999999", "0"):
        assert sales_client.get("/interactions/new/", {"resume": raw}).status_code == 404
