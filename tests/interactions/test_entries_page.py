"""The Interaction Log Entries page: filters, sorting, query count, permissions, bulk actions, CSV export."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.views import lists
from interactions.models import InteractionLogEntry
from interactions.storage import store_document
from interactions.tables import LogEntryTable
from interactions.views.entries import csv_safe
from tests.factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SalespersonFactory,
)

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


def _ids_on_page(response) -> list[int]:
    return [row.record.pk for row in response.context["table"].page.object_list]


def _shown(response) -> list[str]:
    return [column.name for column in response.context["table"].columns if column.visible]


# --- viewing and permissions ------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/interactions/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_user_without_a_role_gets_403_everywhere(stranger_client):
    entry = InteractionLogEntryFactory()
    for url in (
        "/interactions/",
        f"/interactions/{entry.pk}/",
        "/interactions/export.csv",
        "/interactions/statistics/",
        "/interactions/delete-canceled/",
    ):
        assert stranger_client.get(url).status_code == 403, url
    assert stranger_client.post("/interactions/actions/", {"action": "cancel", "ids": [entry.pk]}).status_code == 403


def test_a_viewer_sees_the_entries_but_no_action_buttons(viewer_client):
    entry = InteractionLogEntryFactory(description="Trade fair follow-up")
    response = viewer_client.get("/interactions/")
    text = _text(response)
    assert response.status_code == 200
    assert "Trade fair follow-up" in text and f'href="/interactions/{entry.pk}/"' in text
    assert 'id="bulk-actions"' not in text and 'name="ids"' not in text
    assert "Delete canceled entries" not in text


def test_a_viewer_cannot_act_on_entries(viewer_client):
    entry = InteractionLogEntryFactory()
    assert viewer_client.post("/interactions/actions/", {"action": "cancel", "ids": [entry.pk]}).status_code == 403
    assert viewer_client.post("/interactions/delete-canceled/").status_code == 403
    entry.refresh_from_db()
    assert not entry.canceled


def test_a_salesperson_gets_the_bulk_actions_but_cannot_delete(sales_client):
    InteractionLogEntryFactory(canceled=True)
    text = _text(sales_client.get("/interactions/"))
    assert 'id="bulk-actions"' in text and 'name="ids"' in text
    assert "Delete canceled entries" not in text
    assert sales_client.get("/interactions/delete-canceled/").status_code == 403
    assert sales_client.post("/interactions/delete-canceled/").status_code == 403
    assert InteractionLogEntry.objects.count() == 1


def test_the_default_columns_and_a_chosen_set(viewer_client):
    InteractionLogEntryFactory(cost="7.25", segment_no="SEG00042")
    default = viewer_client.get("/interactions/")
    assert "entry_no" in _shown(default) and "segment_no" not in _shown(default)
    assert "SEG00042" not in _text(default)
    chosen = viewer_client.get("/interactions/", {"columns": ["segment_no", "cost"]}, follow=True)
    assert _shown(chosen) == ["cost", "segment_no"]
    assert "SEG00042" in _text(chosen) and "7.25" in _text(chosen)
    assert _shown(viewer_client.get("/interactions/", {"columns": "cost,segment_no"})) == ["cost", "segment_no"]


def test_empty_filter_fields_and_the_default_columns_are_dropped_from_the_address(viewer_client):
    response = viewer_client.get(
        "/interactions/", {"template": "", "q": "fair", "columns": ["date", "description"], "contact": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == "/interactions/?q=fair&columns=date%2Cdescription"


def test_the_attachment_column_links_to_the_document(viewer_client):
    document = store_document(b"%PDF-1.4 test", filename="invoice.pdf", content_type="application/pdf")
    with_document = InteractionLogEntryFactory(document=document)
    without = InteractionLogEntryFactory()
    text = _text(viewer_client.get("/interactions/"))
    assert f'href="/interactions/{with_document.pk}/document/"' in text
    assert f'href="/interactions/{without.pk}/document/"' not in text


# --- filters ----------------------------------------------------------------------------------------------------


def test_filters_by_contact_company_template_group_and_salesperson_codes(viewer_client):
    company = CompanyFactory()
    person = PersonFactory(company=company)
    template = InteractionTemplateFactory(code="VISIT")
    salesperson = SalespersonFactory(code="KIM")
    match = InteractionLogEntryFactory(contact=person, template=template, salesperson=salesperson)
    other = InteractionLogEntryFactory()

    for params in (
        {"contact": person.no},
        {"company": company.no},
        {"template": "VISIT"},
        {"template": "visit"},
        {"group": template.group.code},
        {"salesperson": "KIM"},
    ):
        response = viewer_client.get("/interactions/", params)
        assert _ids_on_page(response) == [match.pk], params
    assert other.pk not in _ids_on_page(viewer_client.get("/interactions/", {"salesperson": "KIM"}))


def test_related_filters_are_text_inputs_not_huge_selects(viewer_client):
    text = _text(viewer_client.get("/interactions/"))
    for name in ("contact", "company", "template", "group", "salesperson"):
        assert f'<input type="text" name="{name}"' in text, name


def test_an_unknown_code_is_a_clear_form_error_and_shows_no_rows(viewer_client):
    InteractionLogEntryFactory(description="Should not show")
    response = viewer_client.get("/interactions/", {"template": "NOPE", "contact": "CT999999"})
    text = _text(response)
    assert "There is no interaction template with the code “NOPE”." in text
    assert "There is no contact with the number “CT999999”." in text
    assert "Should not show" not in text


def test_a_person_is_not_accepted_as_a_company(viewer_client):
    person = PersonFactory()
    text = _text(viewer_client.get("/interactions/", {"company": person.no}))
    assert "is a person, not a company" in text


def test_filters_by_date_range_canceled_text_and_statuses(viewer_client):
    march = InteractionLogEntryFactory(date=datetime.date(2024, 3, 10), description="Spring fair", canceled=True)
    april = InteractionLogEntryFactory(
        date=datetime.date(2024, 4, 10),
        description="Quote",
        subject="About the spring offer",
        delivery_status="error",
        correspondence_type="email",
        document_type="sales_quote",
        document_no="SQ000123",
    )
    may = InteractionLogEntryFactory(date=datetime.date(2024, 5, 10), evaluation="positive")

    def ids(**params):
        return set(_ids_on_page(viewer_client.get("/interactions/", params)))

    assert ids(date_after="2024-04-01", date_before="2024-04-30") == {april.pk}
    assert ids(canceled="yes") == {march.pk}
    assert ids(canceled="no") == {april.pk, may.pk}
    assert ids(q="spring") == {march.pk, april.pk}  # description or subject
    assert ids(delivery_status="error") == {april.pk}
    assert ids(delivery_status="done") == {march.pk, may.pk}
    assert ids(correspondence_type="email") == {april.pk}
    assert ids(document_type="sales_quote", document_no="SQ000123") == {april.pk}
    assert ids(evaluation="positive") == {may.pk}


def test_filters_by_logged_segment(viewer_client):
    segment = LoggedSegmentFactory()
    inside = InteractionLogEntryFactory(logged_segment=segment)
    InteractionLogEntryFactory()
    assert _ids_on_page(viewer_client.get("/interactions/", {"logged_segment": segment.pk})) == [inside.pk]
    text = _text(viewer_client.get("/interactions/", {"logged_segment": 987654}))
    assert "There is no logged segment with the entry number 987654." in text


def test_a_reversed_date_range_is_an_error(viewer_client):
    text = _text(viewer_client.get("/interactions/", {"date_after": "2024-05-01", "date_before": "2024-04-01"}))
    assert "The end date is before the start date." in text


def test_an_unknown_parameter_is_reported(viewer_client):
    assert "Unknown filter: colour." in _text(viewer_client.get("/interactions/", {"colour": "red"}))


# --- sorting and speed ------------------------------------------------------------------------------------------


def test_the_latest_date_comes_first_and_orderable_columns_sort(viewer_client):
    logged_first = InteractionLogEntryFactory(date=datetime.date(2024, 1, 1), description="Beta")
    logged_second = InteractionLogEntryFactory(date=datetime.date(2023, 1, 1), description="Alpha")
    first, second = logged_first.pk, logged_second.pk

    def order(**params):
        return _ids_on_page(viewer_client.get("/interactions/", params))

    assert order() == [first, second]  # by date, newest first
    assert order(sort="date") == [second, first]
    assert order(sort="-date") == [first, second]
    assert order(sort="description") == [second, first]
    assert order(sort="entry_no") == [first, second]
    assert order(sort="-entry_no") == [second, first]


def test_only_indexed_columns_are_orderable(viewer_client):
    table = viewer_client.get("/interactions/").context["table"]
    orderable = {column.name for column in table.columns if column.orderable}
    assert orderable == {"date", "description", "entry_no"}
    indexed_first_columns = {index.fields[0] for index in InteractionLogEntry._meta.indexes}
    assert {"date", "description"} <= indexed_first_columns


def test_an_unindexed_sort_is_ignored(viewer_client):
    first = InteractionLogEntryFactory()
    second = InteractionLogEntryFactory()
    response = viewer_client.get("/interactions/", {"sort": "contact"})
    assert _ids_on_page(response) == [second.pk, first.pk]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"template": "PIN", "canceled": "no"},
        {"sort": "-date", "q": "fair"},
        {"columns": ",".join(name for name, _ in LogEntryTable.column_choices())},
    ],
)
def test_the_query_count_does_not_grow_with_rows(viewer_client, params):
    template = InteractionTemplateFactory(code="PIN")
    InteractionLogEntryFactory.create_batch(
        3, template=template, description="Trade fair", salesperson=SalespersonFactory()
    )
    with CaptureQueriesContext(connection) as few:
        viewer_client.get("/interactions/", params)
    InteractionLogEntryFactory.create_batch(
        40,
        template=template,
        description="Trade fair",
        salesperson=SalespersonFactory(),
        delivery_status="error",
        delivery_error="Mailbox full",
        evaluation="positive",
        document_type="sales_quote",
        document_no="SQ1",
    )
    with CaptureQueriesContext(connection) as many:
        response = viewer_client.get("/interactions/", params)
    assert response.status_code == 200
    assert len(_ids_on_page(response)) == 43
    assert len(many) == len(few)
    assert len(many) <= 8  # SPEC 5: constant and at most 8 (the filters' code lists are one query)


def test_the_page_never_counts_all_rows(viewer_client):
    InteractionLogEntryFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        viewer_client.get("/interactions/")
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 1001" in counts[0], "one count, capped"


def test_a_million_entries_take_the_tables_estimate_without_counting(viewer_client, monkeypatch):
    # The entries' default manager leaves out postponed entries (a WHERE of its own); the unfiltered page is still
    # "the whole table" for the estimate, so it reads the statistics instead of counting 1,001 rows.
    monkeypatch.setattr(lists, "estimated_rows", lambda model, using: 1_000_000)
    InteractionLogEntryFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get("/interactions/")

    assert "1–3 of about 1,000,000" in _text(response)
    assert not [q for q in queries if "COUNT(" in q["sql"].upper() and "interactionlogentry" in q["sql"]]


def test_a_filtered_page_is_counted_not_estimated(viewer_client, monkeypatch):
    monkeypatch.setattr(lists, "estimated_rows", lambda model, using: 1_000_000)
    InteractionLogEntryFactory.create_batch(3, canceled=False)

    assert "1–3 of 3" in _text(viewer_client.get("/interactions/", {"canceled": "no"}))


def test_pagination_numbers_the_pages_and_says_where_the_page_is(viewer_client):
    InteractionLogEntryFactory.create_batch(5)
    response = viewer_client.get("/interactions/", {"per_page": 2})
    assert len(_ids_on_page(response)) == 2
    assert "1–2 of 5" in _text(response) and "Next ›" in _text(response)
    assert 'aria-label="Page 3"' in response.content.decode()
    last = viewer_client.get("/interactions/", {"per_page": 2, "page": 3})
    assert len(_ids_on_page(last)) == 1 and "Next ›" not in _text(last)
    assert "5–5 of 5" in _text(last)


# --- detail -----------------------------------------------------------------------------------------------------


def test_the_detail_shows_everything_and_the_cancel_history(sales_client, marketer):
    document = store_document(b"%PDF-1.4 letter", filename="quote.pdf", content_type="application/pdf")
    entry = InteractionLogEntryFactory(
        description="Quote sent",
        subject="Your quote",
        document=document,
        document_type="sales_quote",
        document_no="SQ000001",
        version_no=2,
    )
    sales_client.post("/interactions/actions/", {"action": "cancel", "ids": [entry.pk]})
    text = _text(sales_client.get(f"/interactions/{entry.pk}/"))
    assert "Quote sent" in text and "Your quote" in text and "SQ000001" in text and "version 2" in text
    assert f'href="/interactions/{entry.pk}/document/"' in text
    assert "Canceled by seller" in text
    assert 'value="uncancel"' in text


def test_the_detail_explains_why_un_cancel_is_not_possible(sales_client):
    segment = LoggedSegmentFactory(canceled=True)
    entry = InteractionLogEntryFactory(canceled=True, logged_segment=segment)
    text = _text(sales_client.get(f"/interactions/{entry.pk}/"))
    assert "can only be un-canceled together with the" in text
    assert "disabled" in text


def test_a_viewer_sees_the_detail_without_actions(viewer_client):
    entry = InteractionLogEntryFactory()
    text = _text(viewer_client.get(f"/interactions/{entry.pk}/"))
    assert entry.description in text and "/interactions/actions/" not in text


def test_an_unknown_entry_is_404(viewer_client):
    assert viewer_client.get("/interactions/999999/").status_code == 404


# --- bulk actions -----------------------------------------------------------------------------------------------


def test_cancel_two_selected_entries(sales_client, salesperson_user):
    first, second, third = InteractionLogEntryFactory.create_batch(3)
    response = sales_client.post(
        "/interactions/actions/",
        {"action": "cancel", "ids": [first.pk, second.pk], "next": "/interactions/?canceled=no"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/interactions/?canceled=no"
    assert "2 interaction log entries were canceled." in _text(response)
    assert set(InteractionLogEntry.objects.filter(canceled=True).values_list("pk", flat=True)) == {first.pk, second.pk}
    assert InteractionLogEntry.objects.get(pk=first.pk).canceled_by == salesperson_user


def test_un_cancel_is_refused_with_the_reason_under_a_canceled_logged_segment(sales_client):
    segment = LoggedSegmentFactory(canceled=True)
    entry = InteractionLogEntryFactory(canceled=True, logged_segment=segment)
    response = sales_client.post("/interactions/actions/", {"action": "uncancel", "ids": [entry.pk]}, follow=True)
    assert f"logged segment {segment.pk} is canceled" in _text(response)
    entry.refresh_from_db()
    assert entry.canceled


def test_switch_canceled_follows_the_first_selected_row(sales_client):
    canceled = InteractionLogEntryFactory(canceled=True)
    active = InteractionLogEntryFactory(canceled=False)
    sales_client.post("/interactions/actions/", {"action": "switch_canceled", "ids": [canceled.pk, active.pk]})
    assert not InteractionLogEntry.objects.filter(canceled=True).exists()  # first was canceled → both un-canceled
    sales_client.post("/interactions/actions/", {"action": "switch_canceled", "ids": [active.pk, canceled.pk]})
    assert InteractionLogEntry.objects.filter(canceled=True).count() == 2


def test_evaluate_the_selected_entries(sales_client):
    first, second = InteractionLogEntryFactory.create_batch(2)
    response = sales_client.post(
        "/interactions/actions/", {"action": "evaluate", "evaluation": "negative", "ids": [first.pk]}, follow=True
    )
    assert "1 interaction log entry evaluated as negative." in _text(response)
    assert InteractionLogEntry.objects.get(pk=first.pk).evaluation == "negative"
    assert InteractionLogEntry.objects.get(pk=second.pk).evaluation == ""


def test_evaluate_without_a_value_is_refused(sales_client):
    entry = InteractionLogEntryFactory()
    response = sales_client.post("/interactions/actions/", {"action": "evaluate", "ids": [entry.pk]}, follow=True)
    assert "Choose an evaluation" in _text(response)
    assert InteractionLogEntry.objects.get(pk=entry.pk).evaluation == ""


def test_an_action_without_selected_entries_says_so(sales_client):
    response = sales_client.post("/interactions/actions/", {"action": "cancel"}, follow=True)
    assert "Select one or more entries first." in _text(response)


def test_cancel_takes_as_many_selected_entries_as_the_page_promises(sales_client):
    # Django's default of 1,000 form fields answered a bare 400 here (issue 14).
    entries = InteractionLogEntryFactory.create_batch(3)
    padding = list(range(10**9, 10**9 + 2_500))  # numbers of entries that do not exist: selected, nothing to do
    ids = [entry.pk for entry in entries] + padding
    response = sales_client.post("/interactions/actions/", {"action": "cancel", "ids": ids}, follow=True)
    assert response.status_code == 200
    assert "3 interaction log entries were canceled." in _text(response)


def test_more_selected_entries_than_the_limit_are_refused_with_the_limit_and_nothing_changes(sales_client):
    entry = InteractionLogEntryFactory()
    ids = [entry.pk, *range(10**9, 10**9 + 10_000)]
    response = sales_client.post("/interactions/actions/", {"action": "cancel", "ids": ids}, follow=True)
    assert response.status_code == 200
    assert "Select at most 10,000 entries at a time." in _text(response)
    assert not InteractionLogEntry.objects.filter(canceled=True).exists()


def test_the_page_says_the_selection_limit_before_the_post(sales_client):
    InteractionLogEntryFactory()
    assert "at most 10,000" in _text(sales_client.get("/interactions/"))


def test_actions_need_post(sales_client):
    assert sales_client.get("/interactions/actions/").status_code == 405


OFF_SITE = ["https://evil.example/", "//evil.example/", "/\\evil.example/"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_must_stay_on_this_site(sales_client, target):
    entry = InteractionLogEntryFactory()
    response = sales_client.post("/interactions/actions/", {"action": "cancel", "ids": [entry.pk], "next": target})
    assert response["Location"] == "/interactions/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_must_stay_on_this_site_when_the_action_is_refused_too(sales_client, target):
    # This path used to accept any "/…" (a browser reads "/\\evil.example/" as another site).
    response = sales_client.post("/interactions/actions/", {"action": "cancel", "ids": [], "next": target})
    assert response["Location"] == "/interactions/"


def test_a_refused_action_goes_back_to_the_page_it_came_from(sales_client):
    response = sales_client.post("/interactions/actions/", {"action": "cancel", "next": "/interactions/?canceled=no"})
    assert response["Location"] == "/interactions/?canceled=no"


def test_resend_only_queues_the_failed_entries_for_the_delivery_task_and_sends_nothing_in_the_request(
    sales_client, queued_deliveries, django_capture_on_commit_callbacks
):
    from django.core import mail

    failed = InteractionLogEntryFactory(delivery_status="error", correspondence_type="email")

    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post("/interactions/actions/", {"action": "resend", "ids": [failed.pk]}, follow=True)

    assert queued_deliveries == [[failed.pk]] and mail.outbox == []
    failed.refresh_from_db()
    assert failed.delivery_status == "in_progress"
    assert "1 e-mail is queued to be sent again" in _text(response)


def test_resend_of_entries_that_did_not_fail_is_refused(sales_client, django_capture_on_commit_callbacks):
    entry = InteractionLogEntryFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        response = sales_client.post("/interactions/actions/", {"action": "resend", "ids": [entry.pk]}, follow=True)
    assert "There is nothing to resend" in _text(response)
    assert callbacks == []


# --- CSV export -------------------------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_csv_export_streams_the_filtered_entries(viewer_client):
    template = InteractionTemplateFactory(code="MAIL")
    wanted = InteractionLogEntryFactory(template=template, description="Newsletter", cost="1.50")
    InteractionLogEntryFactory(description="Other")
    response = viewer_client.get("/interactions/export.csv", {"template": "MAIL"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header[:3] == ["Entry no.", "Date", "Time"]
    assert len(rows) == 1
    record = dict(zip(header, rows[0], strict=True))
    assert record["Entry no."] == str(wanted.pk) and record["Description"] == "Newsletter"
    assert record["Template"] == "MAIL" and record["Cost"] == "1.50" and record["Canceled"] == "no"


def test_the_csv_export_neutralises_formulas(viewer_client):
    InteractionLogEntryFactory(description='=HYPERLINK("http://evil")', subject="+1 call")
    contact = PersonFactory(name="@admin")
    InteractionLogEntryFactory(contact=contact, description="-5 percent")
    rows = _csv_rows(viewer_client.get("/interactions/export.csv"))[1:]
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert "'+1 call" in cells and "'@admin" in cells and "'-5 percent" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]


def test_csv_safe_leaves_numbers_and_plain_text_alone():
    assert csv_safe("Hello") == "Hello"
    assert csv_safe(12) == "12"
    assert csv_safe(None) == ""
    assert csv_safe(True) == "yes"
    assert csv_safe("\t=1") == "'\t'=1"  # the tab may split the cell: both halves are neutralised


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"),  # Excel in German and French locales splits on ;
        ("Smith, =1+1", "Smith, '=1+1"),
        ("a|@SUM(A1)", "a|'@SUM(A1)"),
        ("line one\n+line two", "line one\n'+line two"),
        ("Call back - urgent", "Call back - urgent"),
        ("Meyer; Schulz", "Meyer; Schulz"),
    ],
)
def test_csv_safe_neutralises_a_formula_after_any_separator(value, safe):
    assert csv_safe(value) == safe


def test_the_csv_export_quotes_every_cell_and_neutralises_a_formula_after_a_semicolon(viewer_client):
    InteractionLogEntryFactory(description="x;=cmd|' /C calc'!A0")
    content = b"".join(viewer_client.get("/interactions/export.csv").streaming_content).decode("utf-8-sig")
    assert "\"x;'=cmd|' /C calc'!A0\"" in content
    header = content.splitlines()[0]
    assert header.startswith('"Entry no.","Date"')
    # Split the way Excel does in a German locale: no piece starts a formula.
    pieces = [piece.strip('"') for line in content.splitlines()[1:] for piece in line.split(";")]
    assert not [piece for piece in pieces if piece[:1] in ("=", "+", "@")]


def test_an_invalid_filter_on_export_goes_back_to_the_page_with_the_error(viewer_client):
    response = viewer_client.get("/interactions/export.csv", {"template": "NOPE"}, follow=True)
    assert "There is no interaction template with the code “NOPE”." in _text(response)


# --- delete canceled from the page ------------------------------------------------------------------------------


def test_delete_canceled_confirms_how_many_match_the_page_filters_then_deletes_them(marketer_client):
    template = InteractionTemplateFactory(code="OLD")
    doomed = InteractionLogEntryFactory.create_batch(2, template=template, canceled=True)
    other_canceled = InteractionLogEntryFactory(canceled=True)
    active = InteractionLogEntryFactory(template=template)

    page = marketer_client.get("/interactions/delete-canceled/", {"template": "OLD"})
    text = _text(page)
    assert page.status_code == 200
    assert "2 interaction log entries" in text and "Template (code): OLD" in text
    assert InteractionLogEntry.objects.count() == 4  # GET deletes nothing

    assert 'name="expected" value="2"' in page.content.decode()
    response = marketer_client.post("/interactions/delete-canceled/?template=OLD", {"expected": "2"}, follow=True)
    assert "2 interaction log entries deleted." in _text(response)
    remaining = set(InteractionLogEntry.objects.values_list("pk", flat=True))
    assert remaining == {other_canceled.pk, active.pk}
    assert not remaining & {e.pk for e in doomed}


def test_delete_canceled_refuses_when_more_entries_match_than_were_confirmed(marketer_client):
    # The page counted 2; a colleague cancels a third before the click: nothing is deleted, the page says why.
    template = InteractionTemplateFactory(code="OLD")
    InteractionLogEntryFactory.create_batch(2, template=template, canceled=True)
    assert (
        'name="expected" value="2"'
        in marketer_client.get("/interactions/delete-canceled/?template=OLD").content.decode()
    )
    InteractionLogEntryFactory(template=template, canceled=True)

    response = marketer_client.post("/interactions/delete-canceled/?template=OLD", {"expected": "2"}, follow=True)

    text = _text(response)
    assert "3 now match, not the 2 you confirmed. Nothing was deleted" in text
    assert response.redirect_chain[-1][0] == "/interactions/delete-canceled/?template=OLD"
    assert "Delete 3 interaction log entries" in text  # the page counts again for a new confirmation
    assert InteractionLogEntry.objects.count() == 3


@pytest.mark.parametrize("expected", [None, "", "two", "²"])
def test_delete_canceled_without_a_confirmed_count_deletes_nothing(marketer_client, expected):
    InteractionLogEntryFactory(canceled=True)
    data = {} if expected is None else {"expected": expected}
    response = marketer_client.post("/interactions/delete-canceled/", data, follow=True)
    assert "Confirm the number of entries to delete on this page first. Nothing was deleted." in _text(response)
    assert InteractionLogEntry.objects.count() == 1


def test_delete_canceled_with_a_bad_filter_deletes_nothing(marketer_client):
    InteractionLogEntryFactory(canceled=True)
    page = marketer_client.get("/interactions/delete-canceled/", {"salesperson": "NOPE"})
    assert "There is no salesperson with the code “NOPE”." in _text(page)
    marketer_client.post("/interactions/delete-canceled/?salesperson=NOPE")
    assert InteractionLogEntry.objects.count() == 1


def test_scenario_66_the_entry_page_offers_to_remove_a_letter_only_its_entry_has(sales_client):
    own = store_document(b"own letter", filename="own.pdf", content_type="application/pdf")
    shared = store_document(b"shared letter", filename="shared.pdf", content_type="application/pdf")
    owner = InteractionLogEntryFactory(document=own)
    sharing = InteractionLogEntryFactory(document=shared)
    InteractionLogEntryFactory(document=shared)
    assert "Cancel entry and remove its letter" in _text(sales_client.get(f"/interactions/{owner.pk}/"))
    assert "Cancel entry and remove its letter" not in _text(sales_client.get(f"/interactions/{sharing.pk}/"))
    sales_client.post("/interactions/actions/", {"action": "cancel", "ids": [owner.pk], "remove_letters": "on"})
    owner.refresh_from_db()
    assert owner.canceled and owner.document is None
    sales_client.post("/interactions/actions/", {"action": "cancel", "ids": [sharing.pk], "remove_letters": "on"})
    sharing.refresh_from_db()
    assert sharing.canceled and sharing.document_id == shared.pk
