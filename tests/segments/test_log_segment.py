"""segment_log: refusals, the values each entry gets, letters, follow-ups (SPEC 3.5, reference 2.2, 2.3, 2.9)."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from interactions.letters import (
    DOCX_CONTENT_TYPE,
    entry_document_bytes,
    resolve_correspondence_type,
    resolve_language,
)
from interactions.models import InteractionLogEntry, LoggedSegment
from interactions.storage import store_document
from segments.letters import _Letters
from segments.models import LogJob, Segment, SegmentCriteriaAction, SegmentHistory, SegmentLine
from segments.services import segment_add_contacts, segment_log, segment_log_options, segment_reduce_contacts
from tests.factories import (
    CompanyFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
)
from tests.segments.logging_helpers import (
    add_variant,
    docx_bytes,
    docx_text,
    letter_text,
    segment_with_lines,
    template_with_letter,
)

pytestmark = pytest.mark.django_db


def _nothing_logged(segment, line_count):
    assert LoggedSegment.objects.count() == 0
    assert InteractionLogEntry.objects.count() == 0
    assert Segment.objects.filter(pk=segment.pk).exists()
    assert SegmentLine.objects.filter(segment=segment).count() == line_count


# --- what logging creates ---------------------------------------------------------------------------------------


def test_logging_creates_one_logged_segment_and_one_entry_per_line(marketer):
    segment, lines = segment_with_lines(3, description="Spring mailing")
    logged = segment_log(segment, user=marketer)
    assert logged.segment_no == segment.no
    assert logged.description == "Spring mailing"
    assert logged.user == marketer
    entries = list(InteractionLogEntry.objects.filter(logged_segment=logged).order_by("id"))
    assert [e.contact_id for e in entries] == [line.contact_id for line in lines]
    assert {e.segment_no for e in entries} == {segment.no}
    assert {e.user_id for e in entries} == {marketer.pk}


def test_the_worksheet_leaves_the_list_with_its_lines_steps_and_history(marketer):
    segment = SegmentFactory(salesperson=SalespersonFactory())
    CompanyFactory.create_batch(2, city="Lyon")
    CompanyFactory(city="Lyon", name="Gone Ltd")
    segment_add_contacts(segment, criteria={"city": "Lyon"}, user=marketer)
    segment_reduce_contacts(segment, criteria={"name": "Gone Ltd"}, user=marketer)
    assert SegmentHistory.objects.filter(action__segment=segment).exists()
    segment_log(segment, user=marketer)
    assert not Segment.objects.filter(pk=segment.pk).exists()
    assert not SegmentLine.objects.filter(segment_id=segment.pk).exists()
    assert not SegmentCriteriaAction.objects.filter(segment_id=segment.pk).exists()
    assert not SegmentHistory.objects.exists()
    assert InteractionLogEntry.objects.count() == 2


def test_entries_take_header_values_and_template_defaults(marketer):
    template = InteractionTemplateFactory(
        unit_cost=Decimal("2.50"),
        unit_duration_minutes=5,
        information_flow="outbound",
        initiated_by="us",
        subject="Our spring offer",
    )
    salesperson = SalespersonFactory()
    company = CompanyFactory()
    person = PersonFactory(company=company)
    segment = SegmentFactory(
        template=template,
        salesperson=salesperson,
        date=datetime.date(2025, 3, 1),
        description="Spring",
    )
    SegmentLineFactory(segment=segment, contact=person)
    SegmentLineFactory(segment=segment, contact=company)
    segment_log(segment, user=marketer)
    on_person, on_company = InteractionLogEntry.objects.order_by("id")
    for entry in (on_person, on_company):
        assert entry.template == template and entry.group == template.group
        assert entry.description == "Spring"
        assert entry.subject == "Our spring offer"
        assert entry.cost == Decimal("2.50") and entry.duration_minutes == 5
        assert entry.information_flow == "outbound" and entry.initiated_by == "us"
        assert entry.salesperson == salesperson
        assert entry.date == datetime.date(2025, 3, 1)
        assert entry.time is not None
        assert entry.canceled is False and entry.delivery_status == ""
    assert on_person.contact_company == company
    assert on_company.contact_company == company


def test_header_values_win_over_the_template_and_line_overrides_win_over_both(marketer):
    template = InteractionTemplateFactory(unit_cost=Decimal("2.50"), unit_duration_minutes=5)
    other_template = InteractionTemplateFactory(
        unit_cost=Decimal("9.00"),
        unit_duration_minutes=30,
        information_flow="inbound",
        initiated_by="them",
        description="Phone call",
    )
    header_salesperson, line_salesperson = SalespersonFactory(), SalespersonFactory()
    segment = SegmentFactory(
        template=template,
        salesperson=header_salesperson,
        unit_cost=Decimal("1.00"),
        unit_duration_minutes=7,
        subject="Header subject",
        description="Spring",
        information_flow="outbound",
        initiated_by="us",
        date=datetime.date(2025, 3, 1),
    )
    plain = SegmentLineFactory(segment=segment)
    overridden = SegmentLineFactory(
        segment=segment,
        description="Special",
        subject="Line subject",
        salesperson=line_salesperson,
        date=datetime.date(2025, 4, 2),
        unit_cost=Decimal("3.30"),
        unit_duration_minutes=11,
    )
    own_template = SegmentLineFactory(segment=segment, template=other_template)
    segment_log(segment, user=marketer)
    entries = {e.contact_id: e for e in InteractionLogEntry.objects.all()}

    entry = entries[plain.contact_id]
    assert (entry.cost, entry.duration_minutes, entry.subject) == (Decimal("1.00"), 7, "Header subject")
    assert entry.salesperson == header_salesperson and entry.date == datetime.date(2025, 3, 1)

    entry = entries[overridden.contact_id]
    assert (entry.description, entry.subject) == ("Special", "Line subject")
    assert (entry.cost, entry.duration_minutes) == (Decimal("3.30"), 11)
    assert entry.salesperson == line_salesperson and entry.date == datetime.date(2025, 4, 2)

    # A line with its own template takes that template's values, not the header's (made for another template).
    entry = entries[own_template.contact_id]
    assert entry.template == other_template and entry.group == other_template.group
    assert (entry.cost, entry.duration_minutes) == (Decimal("9.00"), 30)
    assert (entry.information_flow, entry.initiated_by) == ("inbound", "them")
    assert entry.description == "Spring"


def test_a_line_without_salesperson_takes_the_contacts_when_the_header_has_none(marketer):
    own = SalespersonFactory()
    segment = SegmentFactory(salesperson=None)
    SegmentLineFactory(segment=segment, contact=PersonFactory(salesperson=own))
    segment_log(segment, user=marketer)
    assert InteractionLogEntry.objects.get().salesperson == own


# --- correspondence type (reference 2.2) and language (2.3) ----------------------------------------------------

TYPES = ["", "hard_copy", "email"]


def test_the_sql_resolution_of_the_correspondence_type_agrees_with_the_python_rules(marketer):
    salesperson = SalespersonFactory()
    templates = {}
    for t_type, t_ignore, letter in itertools.product(TYPES, [False, True], ["template", "variant", "none"]):
        fields = dict(correspondence_type=t_type, ignore_contact_correspondence_type=t_ignore, language_code="en")
        if letter == "template":
            template = template_with_letter(**fields)
        else:
            template = InteractionTemplateFactory(**fields)
            # The variant's letter counts only for contacts in its language.
            add_variant(template, "de", docx_bytes("Hallo") if letter == "variant" else None)
        templates[(t_type, t_ignore, letter)] = template
    contacts = {
        (c_type, language): PersonFactory(correspondence_type=c_type, language_code=language)
        for c_type, language in itertools.product(TYPES, ["en", "de"])
    }
    expected = {}
    for s_type, s_ignore in itertools.product(TYPES, [False, True]):
        segment = SegmentFactory(
            correspondence_type=s_type,
            ignore_contact_correspondence_type=s_ignore,
            salesperson=salesperson,
            template=None,
        )
        for (t_type, t_ignore, letter), template in templates.items():
            for (c_type, language), contact in contacts.items():
                line = SegmentLineFactory(segment=segment, contact=contact, template=template)
                expected[line.pk] = resolve_correspondence_type(
                    segment_type=s_type,
                    segment_ignores_contact=s_ignore,
                    template_type=t_type,
                    template_ignores_contact=t_ignore,
                    contact_type=c_type,
                    has_letter=letter == "template" or (letter == "variant" and language == "de"),
                )
        lines = list(segment.lines.order_by("id").values_list("pk", flat=True))
        logged = segment_log(segment, user=marketer)
        got = list(logged.entries.order_by("id").values_list("correspondence_type", flat=True))
        assert got == [expected[pk] for pk in lines], (s_type, s_ignore)
    assert set(expected.values()) == set(TYPES)


def test_a_line_without_a_letter_is_logged_blank_whatever_its_contact_prefers(marketer):
    segment, (prefers_email, prefers_paper) = segment_with_lines(template=InteractionTemplateFactory())
    prefers_email.contact.correspondence_type = "email"
    prefers_email.contact.save()
    prefers_paper.contact.correspondence_type = "hard_copy"
    prefers_paper.contact.save()

    logged = segment_log(segment, user=marketer, send=True)

    assert list(logged.entries.values_list("correspondence_type", flat=True)) == ["", ""]


def test_a_segment_line_with_a_letter_still_uses_the_contacts_preference(marketer):
    segment, (prefers_email, prefers_paper) = segment_with_lines(template=template_with_letter(correspondence_type=""))
    prefers_email.contact.correspondence_type = "email"
    prefers_email.contact.save()
    prefers_paper.contact.correspondence_type = "hard_copy"
    prefers_paper.contact.save()

    logged = segment_log(segment, user=marketer)

    assert list(logged.entries.order_by("id").values_list("correspondence_type", flat=True)) == ["email", "hard_copy"]


def test_a_lines_own_correspondence_type_wins(marketer):
    segment = SegmentFactory(
        template=template_with_letter(), correspondence_type="email", ignore_contact_correspondence_type=True
    )
    SegmentLineFactory(segment=segment, correspondence_type="hard_copy")
    segment_log(segment, user=marketer)
    assert InteractionLogEntry.objects.get().correspondence_type == "hard_copy"


def test_an_email_line_whose_contact_has_no_address_is_logged_blank_when_not_sending(marketer):
    template = template_with_letter(correspondence_type="email")
    segment = SegmentFactory(template=template)
    without = SegmentLineFactory(segment=segment, contact=PersonFactory(email=""))
    with_address = SegmentLineFactory(segment=segment)
    segment_log(segment, user=marketer)
    assert InteractionLogEntry.objects.get(contact=without.contact).correspondence_type == ""
    assert InteractionLogEntry.objects.get(contact=with_address.contact).correspondence_type == "email"


def test_the_language_is_the_contacts_when_the_template_has_it_else_the_default(marketer):
    template = InteractionTemplateFactory(language_code="en", subject="Hello")
    add_variant(template, "de", subject="Hallo")
    segment = SegmentFactory(template=template, language_code="en")
    german = SegmentLineFactory(segment=segment, contact=PersonFactory(language_code="de"))
    french = SegmentLineFactory(segment=segment, contact=PersonFactory(language_code="fr"))
    unspecified = SegmentLineFactory(segment=segment, contact=PersonFactory(language_code=""))
    chosen = SegmentLineFactory(segment=segment, contact=PersonFactory(language_code="fr"), language_code="de")
    segment_log(segment, user=marketer)
    entries = {e.contact_id: e for e in InteractionLogEntry.objects.all()}
    assert (entries[german.contact_id].language_code, entries[german.contact_id].subject) == ("de", "Hallo")
    assert (entries[french.contact_id].language_code, entries[french.contact_id].subject) == ("en", "Hello")
    assert entries[unspecified.contact_id].language_code == "en"
    assert (entries[chosen.contact_id].language_code, entries[chosen.contact_id].subject) == ("de", "Hallo")
    template.refresh_from_db()
    for line in (german, french, unspecified):
        assert entries[line.contact_id].language_code == resolve_language(template, line.contact.language_code)


# --- refusals: a clear message and nothing changed --------------------------------------------------------------


def test_an_empty_segment_is_refused(marketer):
    segment = SegmentFactory()
    with pytest.raises(ValidationError, match=f"Segment {segment.no} is empty."):
        segment_log(segment, user=marketer)
    _nothing_logged(segment, 0)


def test_a_blank_description_is_refused(marketer):
    segment, _ = segment_with_lines(2, description="  ")
    with pytest.raises(ValidationError, match="needs a description"):
        segment_log(segment, user=marketer)
    _nothing_logged(segment, 2)


def test_a_segment_already_logged_is_refused(marketer):
    segment, _ = segment_with_lines(2)
    stale = Segment.objects.get(pk=segment.pk)
    segment_log(segment, user=marketer)
    with pytest.raises(ValidationError, match=f"Segment {segment.no} has already been logged."):
        segment_log(stale, user=marketer)
    assert LoggedSegment.objects.count() == 1
    assert InteractionLogEntry.objects.count() == 2


def test_a_segment_number_that_was_logged_before_is_refused(marketer):
    segment, _ = segment_with_lines(1)
    LoggedSegment.objects.create(segment_no=segment.no, description="Earlier")
    with pytest.raises(ValidationError, match=f"Logged Segment for Segment No. {segment.no} already exists."):
        segment_log(segment, user=marketer)
    assert InteractionLogEntry.objects.count() == 0
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_a_line_without_any_salesperson_is_refused_naming_the_contact(marketer):
    segment = SegmentFactory(salesperson=None)
    SegmentLineFactory(segment=segment, contact=PersonFactory(salesperson=SalespersonFactory()))
    nobody = SegmentLineFactory(segment=segment, contact=PersonFactory(salesperson=None))
    with pytest.raises(ValidationError, match=f"contact {nobody.contact.no} .* has no salesperson"):
        segment_log(segment, user=marketer)
    _nothing_logged(segment, 2)


def test_sending_refuses_an_email_line_whose_contact_has_no_address(marketer):
    template = template_with_letter(correspondence_type="email")
    segment = SegmentFactory(template=template)
    SegmentLineFactory(segment=segment)
    without = SegmentLineFactory(segment=segment, contact=PersonFactory(email=""))
    with pytest.raises(
        ValidationError,
        match=f"1 line is to be sent by e-mail, but its contact has no e-mail address: {without.contact.no} ",
    ):
        segment_log(segment, user=marketer, send=True)
    _nothing_logged(segment, 2)
    assert LogJob.objects.count() == 0


def test_a_privacy_blocked_contact_is_refused(marketer):
    segment, lines = segment_with_lines(2)
    blocked = lines[1].contact
    type(blocked).objects.filter(pk=blocked.pk).update(privacy_blocked=True)
    with pytest.raises(ValidationError, match=f"You cannot use contact {blocked.no}"):
        segment_log(segment, user=marketer)
    _nothing_logged(segment, 2)


def test_a_failing_follow_up_rolls_back_the_whole_log(marketer, monkeypatch):
    segment, _ = segment_with_lines(2)

    def broken(*args, **kwargs):
        raise ValidationError("The follow-up could not be created.")

    monkeypatch.setattr("segments.services.logged_segments.segment_reuse_logged", broken)
    with pytest.raises(ValidationError):
        segment_log(segment, user=marketer, follow_up=True)
    _nothing_logged(segment, 2)


# --- follow-up -------------------------------------------------------------------------------------------------


def test_a_follow_up_segment_gets_the_same_contacts(marketer):
    segment, lines = segment_with_lines(3)
    logged = segment_log(segment, user=marketer, follow_up=True)
    follow_up = Segment.objects.get(description=f"Follow-up on segment {segment.no}")
    assert follow_up.no != segment.no
    assert sorted(follow_up.lines.values_list("contact_id", flat=True)) == sorted(line.contact_id for line in lines)
    assert follow_up.criteria_actions.get().action == SegmentCriteriaAction.Action.REUSE_LOGGED
    assert logged.entries.count() == 3


# --- the Log dialog's options -------------------------------------------------------------------------------------


def test_send_is_offered_only_when_a_line_has_a_correspondence_type():
    none = SegmentFactory(template=template_with_letter(correspondence_type=""), correspondence_type="")
    SegmentLineFactory(segment=none, contact=PersonFactory(correspondence_type=""))
    assert segment_log_options(none) == {"has_lines": True, "has_description": True, "can_send": False}
    SegmentLineFactory(segment=none, contact=PersonFactory(correspondence_type="hard_copy"))
    assert segment_log_options(none)["can_send"] is True
    assert segment_log_options(SegmentFactory(description=""))["has_lines"] is False


# --- letters ---------------------------------------------------------------------------------------------------


def test_each_entry_gets_its_own_letter_and_a_personal_note_only_in_that_contacts_letter(
    marketer, django_capture_on_commit_callbacks
):
    template = template_with_letter()
    segment = SegmentFactory(template=template)
    noted = SegmentLineFactory(
        segment=segment, contact=PersonFactory(salutation="Dear Ada"), personal_note="Lunch on Friday?"
    )
    plain = SegmentLineFactory(segment=segment, contact=PersonFactory(salutation="Dear Grace"))
    with django_capture_on_commit_callbacks(execute=True):
        logged = segment_log(segment, user=marketer)
    job = LogJob.objects.get(logged_segment=logged)
    assert (job.status, job.done, job.total) == (LogJob.Status.DONE, 2, 2)
    noted_entry = InteractionLogEntry.objects.get(contact=noted.contact)
    plain_entry = InteractionLogEntry.objects.get(contact=plain.contact)
    noted_text, plain_text = letter_text(noted_entry), letter_text(plain_entry)
    assert "Dear Ada," in noted_text and "Lunch on Friday?" in noted_text
    assert f"Segment {segment.no}" in noted_text and f"Entry {noted_entry.pk}" in noted_text
    assert "Dear Grace," in plain_text and "Lunch on Friday?" not in plain_text
    assert noted_entry.merge_template_id == plain_entry.merge_template_id  # one snapshot of the template


def test_the_letter_comes_from_the_contacts_language_variant(marketer, django_capture_on_commit_callbacks):
    template = template_with_letter(language_code="en")
    add_variant(template, "de", letter=docx_bytes("Guten Tag {{ contact.name }}"))
    segment = SegmentFactory(template=template)
    german = SegmentLineFactory(segment=segment, contact=PersonFactory(language_code="de", name="Karl Benz"))
    with django_capture_on_commit_callbacks(execute=True):
        segment_log(segment, user=marketer)
    assert "Guten Tag Karl Benz" in letter_text(InteractionLogEntry.objects.get(contact=german.contact))


def test_a_lines_own_letter_replaces_the_template_letter_for_that_contact_only(
    marketer, django_capture_on_commit_callbacks
):
    template = template_with_letter()
    own = store_document(
        docx_bytes("A letter just for {{ contact.name }}"),
        filename="own.docx",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    segment = SegmentFactory(template=template)
    special = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Ada Lovelace"), letter=own)
    other = SegmentLineFactory(segment=segment)
    with django_capture_on_commit_callbacks(execute=True):
        segment_log(segment, user=marketer)
    special_entry = InteractionLogEntry.objects.get(contact=special.contact)
    assert special_entry.merge_template == own
    assert letter_text(special_entry) == "A letter just for Ada Lovelace"
    assert "A letter just for" not in letter_text(InteractionLogEntry.objects.get(contact=other.contact))


def test_the_document_download_is_byte_for_byte_the_stored_letter(
    marketer, marketer_client, django_capture_on_commit_callbacks
):
    segment = SegmentFactory(template=template_with_letter())
    SegmentLineFactory(segment=segment, personal_note="See you soon")
    with django_capture_on_commit_callbacks(execute=True):
        segment_log(segment, user=marketer)
    entry = InteractionLogEntry.objects.get()
    data, filename, content_type = entry_document_bytes(entry)
    assert data == entry_document_bytes(InteractionLogEntry.objects.get())[0]  # re-rendered, same bytes
    assert "See you soon" in docx_text(data)
    response = marketer_client.get(f"/interactions/{entry.pk}/document/")
    if response.status_code == 404:
        pytest.skip("The /interactions/<id>/document/ page is not there yet.")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content]) == data


def test_without_letters_no_job_is_created(marketer, django_capture_on_commit_callbacks):
    segment, _ = segment_with_lines(2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        segment_log(segment, user=marketer)
    assert callbacks == [] and LogJob.objects.count() == 0
    assert not InteractionLogEntry.objects.filter(merge_template__isnull=False).exists()


def test_the_job_runs_only_after_commit(marketer, django_capture_on_commit_callbacks):
    segment = SegmentFactory(template=template_with_letter())
    SegmentLineFactory(segment=segment)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        logged = segment_log(segment, user=marketer)
    assert len(callbacks) == 1
    job = LogJob.objects.get(logged_segment=logged)
    assert job.status == LogJob.Status.QUEUED
    assert InteractionLogEntry.objects.get().merge_template is None
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == LogJob.Status.DONE
    assert InteractionLogEntry.objects.get().merge_template is not None


def test_scenario_52_given_hard_copy_lines_without_any_letter_when_logged_with_send_then_refused_naming_them(
    marketer,
):
    # Given a template without a letter and two lines set to hard copy by hand, one line left as the header says,
    segment, (first, second, plain) = segment_with_lines(3, template=InteractionTemplateFactory())
    for line in (first, second):
        line.correspondence_type = "hard_copy"
        line.save()
    # when the segment is logged with Send,
    with pytest.raises(ValidationError) as refused:
        segment_log(segment, user=marketer, send=True)
    # then it is refused, naming exactly those lines, and nothing is written.
    message = refused.value.messages[0]
    assert "no letter to print or send" in message
    assert f"{first.contact.no} {first.contact.name} (hard copy)" in message
    assert f"{second.contact.no} {second.contact.name} (hard copy)" in message
    assert plain.contact.no not in message
    _nothing_logged(segment, 3)


def test_a_hard_copy_line_with_its_own_letter_is_sent(marketer):
    segment, (line,) = segment_with_lines(1, template=InteractionTemplateFactory())
    line.correspondence_type = "hard_copy"
    line.letter = store_document(docx_bytes("Dear customer"), filename="own.docx", content_type=DOCX_CONTENT_TYPE)
    line.save()
    logged = segment_log(segment, user=marketer, send=True)
    assert logged.entries.get().correspondence_type == "hard_copy"


def test_a_hard_copy_line_without_letter_is_logged_blank_when_not_sending(marketer):
    segment, (line,) = segment_with_lines(1, template=InteractionTemplateFactory())
    line.correspondence_type = "hard_copy"
    line.save()
    logged = segment_log(segment, user=marketer)
    assert logged.entries.get().correspondence_type == ""


def test_scenario_25_given_a_german_template_row_when_a_german_line_is_logged_then_it_gets_the_german_subject(
    marketer,
):
    # Given a template with an English default subject and a German row with its own subject, and a worksheet
    # whose header took the template's subject,
    template = InteractionTemplateFactory(language_code="en", subject="Our spring offer")
    add_variant(template, "de", subject="Unser Frühlingsangebot")
    segment = SegmentFactory(template=template, language_code="en", subject="Our spring offer")
    german = SegmentLineFactory(segment=segment, contact=PersonFactory(language_code="de"))
    english = SegmentLineFactory(segment=segment, contact=PersonFactory(language_code="en"))
    # when it is logged,
    segment_log(segment, user=marketer)
    # then the German line gets the German row's subject, the English line the header's.
    subjects = dict(InteractionLogEntry.objects.values_list("contact_id", "subject"))
    assert subjects == {german.contact_id: "Unser Frühlingsangebot", english.contact_id: "Our spring offer"}


def test_a_header_subject_typed_by_hand_wins_over_the_language_rows_subject(marketer):
    template = InteractionTemplateFactory(language_code="en", subject="Our spring offer")
    add_variant(template, "de", subject="Unser Frühlingsangebot")
    segment = SegmentFactory(template=template, language_code="en", subject="Only this week")
    SegmentLineFactory(segment=segment, contact=PersonFactory(language_code="de"))
    segment_log(segment, user=marketer)
    assert InteractionLogEntry.objects.get().subject == "Only this week"


def test_the_worksheet_letters_use_the_same_subject_rule_as_logging(marketer):
    template = InteractionTemplateFactory(language_code="en", subject="Our spring offer")
    add_variant(template, "de", subject="Unser Frühlingsangebot")
    segment = SegmentFactory(template=template, language_code="en", subject="Our spring offer")
    german = SegmentLineFactory(segment=segment, contact=PersonFactory(language_code="de"))
    english = SegmentLineFactory(segment=segment, contact=PersonFactory(language_code="en"))
    letters = _Letters(segment)
    assert (letters.subject(german), letters.subject(english)) == ("Unser Frühlingsangebot", "Our spring offer")
    segment.subject = "Only this week"
    assert _Letters(segment).subject(german) == "Only this week"
