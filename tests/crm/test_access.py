"""crm.access: the helpers every app's views share. object_action is shown through a view that uses it (deleting a
contact); the sales document and logged segment pages use the same decorator."""

from django.contrib.messages import get_messages

from crm.models import Contact
from tests.factories import CompanyFactory, PersonFactory


def test_an_object_action_checks_the_permission_before_looking_the_object_up(viewer_client):
    company = CompanyFactory()
    assert viewer_client.post(f"/contacts/{company.pk}/delete/").status_code == 403
    # A missing object is a 403 too, not a 404: the page does not say which numbers exist.
    assert viewer_client.post(f"/contacts/{company.pk + 1000}/delete/").status_code == 403
    assert Contact.objects.filter(pk=company.pk).exists()


def test_an_object_action_on_a_missing_object_is_a_404(sales_client):
    assert sales_client.post("/contacts/999999/delete/").status_code == 404


def test_a_refused_object_action_goes_back_to_the_object_with_the_reason(sales_client):
    company = CompanyFactory()
    PersonFactory(company=company)
    response = sales_client.post(f"/contacts/{company.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == company.get_absolute_url()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"You cannot delete company {company.no} while persons belong to it."
    ]
    assert Contact.objects.filter(pk=company.pk).exists()


def test_an_object_action_that_succeeds_goes_where_the_view_says(sales_client):
    company = CompanyFactory()
    response = sales_client.post(f"/contacts/{company.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/contacts/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"Contact {company.no} was deleted."]
    assert not Contact.objects.filter(pk=company.pk).exists()
