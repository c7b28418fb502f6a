import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import services as crm_services
from crm.filters import ContactFilter
from crm.models import JobResponsibility, MailingGroup, Salesperson
from segments.models import SegmentCriteriaAction, SegmentHistory, SegmentLine
from segments.services import (
    segment_add_contacts,
    segment_go_back,
    segment_line_add,
    segment_line_remove,
    segment_line_update,
    segment_preview_step,
    segment_reduce_contacts,
    segment_refine_contacts,
    segment_reuse_criteria,
    segment_reuse_logged,
    segment_save_criteria,
    step_history,
)
from tests.factories import (
    CompanyFactory,
    InteractionLogEntryFactory,
    JobResponsibilityFactory,
    LoggedSegmentFactory,
    MailingGroupFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
)
from tests.segments.factories import SavedSegmentCriteriaFactory, SavedSegmentCriteriaStepFactory

pytestmark = pytest.mark.django_db


def contacts_on(segment):
    return sorted(SegmentLine.objects.filter(segment=segment).values_list("contact_id", flat=True))


def ids(*contacts):
    return sorted(c.pk for c in contacts)


@pytest.fixture
def berlin_and_hamburg():
    berlin = CompanyFactory(name="Berlin Bikes", city="Berlin")
    alice = PersonFactory(name="Alice", company=berlin, city="Berlin")
    bob = PersonFactory(name="Bob", company=berlin, city="Potsdam")
    hamburg = CompanyFactory(name="Hamburg Harbour", city="Hamburg")
    carl = PersonFactory(name="Carl", company=hamburg, city="Hamburg")
    return {"berlin": berlin, "alice": alice, "bob": bob, "hamburg": hamburg, "carl": carl}


# --- add ----------------------------------------------------------------------------------------------------------


def test_add_contacts_adds_a_line_per_matching_contact_and_records_the_step(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    added = segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    assert added == 2
    assert contacts_on(segment) == ids(c["berlin"], c["alice"])
    step = segment.criteria_actions.get()
    assert (step.step, step.action, step.criteria, step.affected) == (1, "add", {"city": "Berlin"}, 2)
    # The undo record of an add is the id range of its lines, not a history row per line.
    line_ids = sorted(segment.lines.values_list("id", flat=True))
    assert step.inserted_ids_from <= line_ids[0] and step.inserted_ids_to == line_ids[-1]
    assert not SegmentHistory.objects.filter(action=step).exists()


def test_new_lines_have_no_overrides_so_they_follow_the_header(berlin_and_hamburg, marketer):
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Hamburg"}, user=marketer)
    line = segment.lines.first()
    assert (line.description, line.template_id, line.salesperson_id, line.unit_cost, line.personal_note) == (
        "",
        None,
        None,
        None,
        "",
    )


def test_scenario_32_given_contacts_of_several_companies_when_added_then_lines_by_company_name_no_type_name(
    marketer,
):
    # Given companies Zeta and Alpha (created in that order), two companies both named Twin, persons of Alpha
    # created Zed first, and a person without a company,
    zeta = CompanyFactory(name="Zeta", city="Berlin")
    alpha = CompanyFactory(name="Alpha", city="Berlin")
    zed = PersonFactory(name="Zed", company=alpha, city="Berlin")
    amy = PersonFactory(name="Amy", company=alpha, city="Berlin")
    twin_b = CompanyFactory(no="CT-B", name="Twin", city="Berlin")
    twin_a = CompanyFactory(no="CT-A", name="Twin", city="Berlin")
    bea = PersonFactory(name="Bea", company=twin_a, city="Berlin")
    loner = PersonFactory(name="Loner", company=None, city="Berlin")
    segment = SegmentFactory()
    # when they are added in one step,
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    # then the lines follow company name, company no., type (company before person), name.
    order = list(segment.lines.order_by("id").values_list("contact_id", flat=True))
    assert order == [loner.pk, alpha.pk, amy.pk, zed.pk, twin_a.pk, bea.pk, twin_b.pk, zeta.pk]


def test_contacts_already_on_the_segment_are_skipped_unless_allowed(berlin_and_hamburg, marketer):
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    assert segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer) == 0
    assert segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer, allow_existing=True) == 2
    assert segment.lines.count() == 4


def test_expand_companies_adds_all_persons_of_a_selected_company(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    added = segment_add_contacts(segment, criteria={"name": "Berlin Bikes"}, user=marketer, expand_companies=True)
    assert added == 3
    assert contacts_on(segment) == ids(c["berlin"], c["alice"], c["bob"])


def test_scenario_31_given_a_person_of_a_company_when_added_with_expand_companies_then_company_and_all_its_persons(
    berlin_and_hamburg, marketer
):
    # Given company Berlin Bikes with persons Alice and Bob; when Alice alone is added with Expand companies,
    c = berlin_and_hamburg
    segment = SegmentFactory()
    added = segment_add_contacts(segment, criteria={"name": "Alice"}, user=marketer, expand_companies=True)
    # then the worksheet holds the company, Alice and Bob, and nobody of another company.
    assert added == 3
    assert contacts_on(segment) == ids(c["berlin"], c["alice"], c["bob"])


def test_expand_companies_on_a_person_without_company_adds_just_that_person(berlin_and_hamburg, marketer):
    loner = PersonFactory(name="Lonely", company=None, city="Bonn")
    segment = SegmentFactory()
    assert segment_add_contacts(segment, criteria={"name": "Lonely"}, user=marketer, expand_companies=True) == 1
    assert contacts_on(segment) == ids(loner)


def test_allow_related_companies_adds_each_selected_persons_company(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"name": "Carl"}, user=marketer, allow_related_companies=True)
    assert contacts_on(segment) == ids(c["carl"], c["hamburg"])


def test_excluded_contacts_are_skipped_unless_exclusion_is_ignored(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    c["alice"].exclude_from_segment = True
    c["alice"].save()
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    assert contacts_on(segment) == ids(c["berlin"])
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer, ignore_exclusion=True)
    assert contacts_on(segment) == ids(c["berlin"], c["alice"])


def test_privacy_blocked_contacts_are_always_skipped(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    c["alice"].privacy_blocked = True
    c["alice"].save()
    segment = SegmentFactory()
    segment_add_contacts(
        segment, criteria={"city": "Berlin"}, user=marketer, ignore_exclusion=True, expand_companies=True
    )
    assert c["alice"].pk not in contacts_on(segment)
    assert contacts_on(segment) == ids(c["berlin"], c["bob"])


def test_related_tab_criteria_combine_with_and(marketer):
    gift = MailingGroupFactory(code="GIFT")
    in_berlin = PersonFactory(city="Berlin")
    in_berlin.mailing_groups.add(gift)
    elsewhere = PersonFactory(city="Munich")
    elsewhere.mailing_groups.add(gift)
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin", "mailing_group": "GIFT"}, user=marketer)
    assert contacts_on(segment) == ids(in_berlin)


@pytest.mark.parametrize(
    "criteria, message",
    [({"colour": "red"}, "Unknown criteria: colour"), ({"salesperson": "NOPE"}, "There is no salesperson")],
)
def test_bad_criteria_are_refused_and_nothing_changes(berlin_and_hamburg, marketer, criteria, message):
    segment = SegmentFactory()
    with pytest.raises(ValidationError, match=message):
        segment_add_contacts(segment, criteria=criteria, user=marketer)
    assert not segment.lines.exists() and not segment.criteria_actions.exists()


def test_adding_does_not_run_more_queries_for_more_contacts(marketer):
    segment = SegmentFactory()
    PersonFactory.create_batch(3, city="Leipzig")
    with CaptureQueriesContext(connection) as few:
        segment_add_contacts(segment, criteria={"city": "Leipzig"}, user=marketer)
    segment_go_back(segment, user=marketer)
    PersonFactory.create_batch(40, city="Leipzig")
    with CaptureQueriesContext(connection) as many:
        added = segment_add_contacts(segment, criteria={"city": "Leipzig"}, user=marketer)
    assert added == 43
    assert len(many) == len(few) <= 12


def test_an_add_of_many_lines_refreshes_postgresqls_statistics_of_the_lines_table(marketer, monkeypatch):
    # Stale statistics counted a just-filled segment as one line and its worksheet page ran for minutes
    # (docs/PERFORMANCE.md, "Worksheet page after an add"); SQLite's planner does not depend on them this way.
    monkeypatch.setattr(step_history, "STATISTICS_REFRESH_LINES", 3)
    segment = SegmentFactory()
    PersonFactory.create_batch(2, city="Leipzig")
    PersonFactory.create_batch(3, city="Dresden")

    with CaptureQueriesContext(connection) as below:
        assert segment_add_contacts(segment, criteria={"city": "Leipzig"}, user=marketer) == 2
    with CaptureQueriesContext(connection) as at:
        assert segment_add_contacts(segment, criteria={"city": "Dresden"}, user=marketer) == 3

    def analyzed(queries):
        return [q["sql"] for q in queries if q["sql"].startswith("ANALYZE")]

    assert analyzed(below) == []
    expected = ['ANALYZE "segments_segmentline"'] if connection.vendor == "postgresql" else []
    assert analyzed(at) == expected


# --- reduce / refine ------------------------------------------------------------------------------------------------


def test_reduce_removes_the_matching_lines(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={}, user=marketer)
    removed = segment_reduce_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    assert removed == 2
    assert contacts_on(segment) == ids(c["bob"], c["hamburg"], c["carl"])
    step = segment.criteria_actions.order_by("step").last()
    assert (step.action, step.affected) == ("reduce", 2)


def test_refine_keeps_only_the_matching_lines(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={}, user=marketer)
    removed = segment_refine_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    assert removed == 3
    assert contacts_on(segment) == ids(c["berlin"], c["alice"])


def test_reduce_with_entire_companies_removes_the_whole_company(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={}, user=marketer)
    removed = segment_reduce_contacts(segment, criteria={"name": "Alice"}, user=marketer, entire_companies=True)
    assert removed == 3
    assert contacts_on(segment) == ids(c["hamburg"], c["carl"])


def test_refine_with_entire_companies_keeps_the_whole_company_of_a_match(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={}, user=marketer)
    removed = segment_refine_contacts(segment, criteria={"name": "Bob"}, user=marketer, entire_companies=True)
    assert removed == 2
    assert contacts_on(segment) == ids(c["berlin"], c["alice"], c["bob"])


def test_preview_counts_without_changing_anything(berlin_and_hamburg, marketer):
    segment = SegmentFactory()
    assert segment_preview_step(segment, action="add", criteria={"city": "Berlin"}, options={}) == 2
    assert not segment.lines.exists() and not segment.criteria_actions.exists()
    segment_add_contacts(segment, criteria={}, user=marketer)
    assert segment_preview_step(segment, action="add", criteria={}, options={}) == 0
    assert segment_preview_step(segment, action="add", criteria={}, options={"allow_existing": True}) == 5
    assert segment_preview_step(segment, action="reduce", criteria={"city": "Berlin"}, options={}) == 2
    assert segment_preview_step(segment, action="refine", criteria={"city": "Berlin"}, options={}) == 3
    assert (
        segment_preview_step(segment, action="reduce", criteria={"name": "Alice"}, options={"entire_companies": True})
        == 3
    )
    assert segment.lines.count() == 5 and segment.criteria_actions.count() == 1


# --- each step validates its criteria once ---------------------------------------------------------------------


@pytest.fixture
def contact_filters_built(monkeypatch):
    """The ContactFilter instances built while the test runs (each one validates the criteria it is given)."""
    built = []
    build = ContactFilter.__init__

    def counting(self, *args, **kwargs):
        built.append(self)
        build(self, *args, **kwargs)

    monkeypatch.setattr(ContactFilter, "__init__", counting)
    return built


@pytest.fixture
def coded_criteria(berlin_and_hamburg):
    """Criteria naming three codes, matched by Alice only."""
    seller = SalespersonFactory(code="SELLER")
    gift = MailingGroupFactory(code="GIFT")
    buyer = JobResponsibilityFactory(code="BUYER")
    alice = berlin_and_hamburg["alice"]
    alice.salesperson = seller
    alice.save()
    alice.mailing_groups.add(gift)
    alice.job_responsibilities.add(buyer)
    return {"city": "Berlin", "salesperson": "SELLER", "mailing_group": "GIFT", "job_responsibility": "BUYER"}


def _lookups_of(queries, model) -> int:
    table = f"FROM {connection.ops.quote_name(model._meta.db_table)} "
    return sum(table in query["sql"] for query in queries)


STEPS = {
    "add": lambda segment, criteria, user: segment_add_contacts(segment, criteria=criteria, user=user),
    "reduce": lambda segment, criteria, user: segment_reduce_contacts(segment, criteria=criteria, user=user),
    "refine": lambda segment, criteria, user: segment_refine_contacts(segment, criteria=criteria, user=user),
    "preview": lambda segment, criteria, user: segment_preview_step(segment, action="add", criteria=criteria),
}


@pytest.mark.parametrize("step", STEPS)
def test_a_step_validates_its_criteria_once_and_looks_each_code_up_once(
    berlin_and_hamburg, coded_criteria, marketer, contact_filters_built, step
):
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    contact_filters_built.clear()
    with CaptureQueriesContext(connection) as queries:
        STEPS[step](segment, coded_criteria, marketer)
    assert len(contact_filters_built) == 1
    for model in (Salesperson, MailingGroup, JobResponsibility):
        assert _lookups_of(queries, model) == 1, model.__name__


def test_a_step_matches_the_contacts_its_codes_name(berlin_and_hamburg, coded_criteria, marketer):
    segment = SegmentFactory()
    assert segment_preview_step(segment, action="add", criteria=coded_criteria) == 1
    assert segment_add_contacts(segment, criteria=coded_criteria, user=marketer) == 1
    assert contacts_on(segment) == ids(berlin_and_hamburg["alice"])
    assert segment.criteria_actions.get().criteria == coded_criteria


def test_an_add_step_with_three_codes_runs_a_fixed_number_of_queries(
    berlin_and_hamburg, coded_criteria, marketer, django_assert_num_queries
):
    segment = SegmentFactory()
    # Savepoint and release, the lock, the three code look-ups, "any lines yet?", the step number, the step, the
    # highest line id, the lines, the segment's last line id, the step's count and id range: whatever the number
    # of contacts.
    with django_assert_num_queries(13):
        segment_add_contacts(segment, criteria=coded_criteria, user=marketer)


# --- go back ------------------------------------------------------------------------------------------------------


def test_go_back_walks_back_step_by_step_down_to_an_empty_worksheet(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    segment_add_contacts(segment, criteria={"city": "Hamburg"}, user=marketer)
    segment_reduce_contacts(segment, criteria={"name": "Alice"}, user=marketer)
    segment_refine_contacts(segment, criteria={"type": "company"}, user=marketer)
    assert contacts_on(segment) == ids(c["berlin"], c["hamburg"])

    segment_go_back(segment, user=marketer)
    assert contacts_on(segment) == ids(c["berlin"], c["hamburg"], c["carl"])
    segment_go_back(segment, user=marketer)
    assert contacts_on(segment) == ids(c["berlin"], c["alice"], c["hamburg"], c["carl"])
    segment_go_back(segment, user=marketer)
    assert contacts_on(segment) == ids(c["berlin"], c["alice"])
    segment_go_back(segment, user=marketer)
    assert contacts_on(segment) == []
    assert not segment.criteria_actions.exists() and not SegmentHistory.objects.exists()
    with pytest.raises(ValidationError, match="has no criteria actions to undo"):
        segment_go_back(segment, user=marketer)


def test_go_back_restores_removed_lines_with_their_overrides(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    line = segment.lines.get(contact=c["alice"])
    other = SalespersonFactory(code="ZZ")
    segment_line_update(line, user=marketer, personal_note="Thanks for the visit!", salesperson=other, subject="Hi")
    segment_reduce_contacts(segment, criteria={"name": "Alice"}, user=marketer)
    assert not segment.lines.filter(contact=c["alice"]).exists()

    segment_go_back(segment, user=marketer)
    restored = segment.lines.get(contact=c["alice"])
    assert restored.pk == line.pk
    assert (restored.personal_note, restored.salesperson_id, restored.subject) == (
        "Thanks for the visit!",
        other.pk,
        "Hi",
    )


def test_go_back_of_an_add_with_allow_existing_removes_only_the_new_lines(berlin_and_hamburg, marketer):
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    first_lines = set(segment.lines.values_list("id", flat=True))
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer, allow_existing=True)
    segment_go_back(segment, user=marketer)
    assert set(segment.lines.values_list("id", flat=True)) == first_lines


def test_go_back_of_an_add_removes_its_id_range_and_leaves_other_segments_alone(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment, other = SegmentFactory(), SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    segment_add_contacts(other, criteria={"city": "Hamburg"}, user=marketer)
    segment_add_contacts(segment, criteria={"city": "Hamburg"}, user=marketer)
    segment_add_contacts(other, criteria={"city": "Berlin"}, user=marketer)
    last = segment.criteria_actions.get(step=2)
    assert set(segment.lines.filter(id__gte=last.inserted_ids_from).values_list("contact_id", flat=True)) == {
        c["hamburg"].pk,
        c["carl"].pk,
    }
    segment_go_back(segment, user=marketer)
    assert contacts_on(segment) == ids(c["berlin"], c["alice"])
    assert contacts_on(other) == ids(c["berlin"], c["alice"], c["hamburg"], c["carl"])


def test_go_back_of_an_add_whose_lines_were_removed_and_restored_removes_them_all(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Hamburg"}, user=marketer)
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    alice = segment.lines.get(contact=c["alice"])
    segment_line_remove(alice, user=marketer)
    segment_line_add(segment, contact=c["alice"], user=marketer)  # a new line, a new id after the range
    segment_go_back(segment, user=marketer)  # the line added by hand
    segment_go_back(segment, user=marketer)  # the removal: Alice's first line comes back with its id
    assert segment.lines.get(contact=c["alice"]).pk == alice.pk
    segment_go_back(segment, user=marketer)  # the Berlin add, Alice's restored line included
    assert contacts_on(segment) == ids(c["hamburg"], c["carl"])


def test_go_back_of_an_add_runs_a_fixed_number_of_queries(berlin_and_hamburg, marketer, django_assert_num_queries):
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    # Savepoint and release, the lock, the last step, the lines in its range, restoring deleted lines (none),
    # its history (once by hand, once by the step's cascade), the step, the audit row: whatever the number of lines.
    with django_assert_num_queries(10):
        segment_go_back(segment, user=marketer)
    assert contacts_on(segment) == []


def test_a_line_added_and_removed_by_hand_can_be_undone(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    segment = SegmentFactory()
    line = segment_line_add(segment, contact=c["carl"], user=marketer)
    with pytest.raises(ValidationError, match="already on segment"):
        segment_line_add(segment, contact=c["carl"], user=marketer)
    segment_line_update(line, user=marketer, personal_note="See you in Hamburg")
    segment_line_remove(line, user=marketer)
    assert contacts_on(segment) == []
    assert list(segment.criteria_actions.values_list("action", flat=True)) == ["add_line", "remove_line"]
    segment_go_back(segment, user=marketer)
    assert segment.lines.get().personal_note == "See you in Hamburg"
    segment_go_back(segment, user=marketer)
    assert contacts_on(segment) == []


def test_a_privacy_blocked_contact_cannot_be_added_by_hand(marketer):
    blocked = PersonFactory(privacy_blocked=True)
    segment = SegmentFactory()
    with pytest.raises(ValidationError, match="blocked due to privacy"):
        segment_line_add(segment, contact=blocked, user=marketer)
    assert not segment.criteria_actions.exists()


# --- save / reuse criteria ------------------------------------------------------------------------------------------


def test_saving_criteria_without_steps_is_refused(marketer):
    segment = SegmentFactory()
    with pytest.raises(ValidationError, match="has no criteria actions to save"):
        segment_save_criteria(segment, code="EMPTY", description="", user=marketer)


def test_saved_criteria_replayed_on_an_empty_segment_give_the_same_contacts(berlin_and_hamburg, marketer):
    original = SegmentFactory()
    segment_add_contacts(original, criteria={"type": "company"}, user=marketer, expand_companies=True)
    segment_reduce_contacts(original, criteria={"city": "Potsdam"}, user=marketer)
    segment_refine_contacts(original, criteria={"name": "Alice"}, user=marketer, entire_companies=True)
    saved = segment_save_criteria(original, code="berlin", description="Berlin firms", user=marketer)
    assert saved.code == "BERLIN" and saved.steps.count() == 3

    copy = SegmentFactory()
    segment_reuse_criteria(copy, saved=saved, user=marketer)
    assert contacts_on(copy) == contacts_on(original)
    assert list(copy.criteria_actions.values_list("action", "options")) == list(
        original.criteria_actions.values_list("action", "options")
    )
    # Each replayed step is undoable on its own.
    segment_go_back(copy, user=marketer)
    assert len(contacts_on(copy)) == 4


def test_replaying_a_refine_honours_entire_companies(berlin_and_hamburg, marketer):
    c = berlin_and_hamburg
    saved = SavedSegmentCriteriaFactory()
    SavedSegmentCriteriaStepFactory(saved=saved, step=1, action="add", criteria={}, options={})
    SavedSegmentCriteriaStepFactory(
        saved=saved, step=2, action="refine", criteria={"name": "Bob"}, options={"entire_companies": True}
    )
    segment = SegmentFactory()
    segment_reuse_criteria(segment, saved=saved, user=marketer)
    assert contacts_on(segment) == ids(c["berlin"], c["alice"], c["bob"])


def berlin_worksheet(user):
    """A worksheet with one criteria step: the contacts in Berlin."""
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=user)
    return segment


def question(reuse, segment, **arguments) -> list[str]:
    """What reusing without confirming asks (it refuses with the question and changes nothing)."""
    with pytest.raises(ValidationError) as asked:
        reuse(segment, **arguments)
    return asked.value.messages


def test_reusing_criteria_on_a_segment_with_steps_asks_first(berlin_and_hamburg, marketer):
    saved = SavedSegmentCriteriaFactory()
    SavedSegmentCriteriaStepFactory(saved=saved, step=1, action="add", criteria={"city": "Hamburg"})
    segment = berlin_worksheet(marketer)
    assert question(segment_reuse_criteria, segment, saved=saved, user=marketer) == [
        f"Segment {segment.no} already contains 1 criteria action. Are you sure you want to reuse saved criteria?"
    ]
    assert segment.criteria_actions.count() == 1
    segment_reuse_criteria(segment, saved=saved, user=marketer, confirm=True)
    assert segment.lines.count() == 4


def test_saving_under_an_existing_code_is_refused(berlin_and_hamburg, marketer):
    segment = SegmentFactory()
    segment_add_contacts(segment, criteria={"city": "Berlin"}, user=marketer)
    segment_save_criteria(segment, code="DUP", description="", user=marketer)
    with pytest.raises(ValidationError, match="already exists"):
        segment_save_criteria(segment, code="DUP", description="", user=marketer)


# --- reuse logged ---------------------------------------------------------------------------------------------------


def test_reuse_logged_skips_excluded_privacy_blocked_and_duplicate_contacts(marketer):
    logged = LoggedSegmentFactory()
    keep = PersonFactory(name="Keep")
    excluded = PersonFactory(name="Excluded", exclude_from_segment=True)
    blocked = PersonFactory(name="Blocked", privacy_blocked=True)
    twice = PersonFactory(name="Twice")
    already = PersonFactory(name="Already")
    for contact in (keep, excluded, blocked, twice, twice, already):
        InteractionLogEntryFactory(contact=contact, logged_segment=logged)
    InteractionLogEntryFactory(contact=PersonFactory(name="Other segment"))
    segment = SegmentFactory()
    segment_line_add(segment, contact=already, user=marketer)

    added = segment_reuse_logged(segment, logged_segment=logged, user=marketer, confirm=True)
    assert added == 2
    assert contacts_on(segment) == ids(keep, twice, already)
    step = segment.criteria_actions.order_by("step").last()
    assert (step.action, step.criteria, step.affected) == ("reuse_logged", {"logged_segment": str(logged.pk)}, 2)
    segment_go_back(segment, user=marketer)
    assert contacts_on(segment) == ids(already)


def test_scenario_43_given_a_worksheet_with_criteria_when_a_logged_segment_is_reused_then_it_asks_first(
    berlin_and_hamburg, marketer
):
    # Given a worksheet with one criteria step (Berlin) and a logged segment with Carl,
    c = berlin_and_hamburg
    logged = LoggedSegmentFactory()
    InteractionLogEntryFactory(contact=c["carl"], logged_segment=logged)
    segment = berlin_worksheet(marketer)
    # when the logged segment is reused without confirming, then the reference's question is asked and declining
    # changes nothing;
    assert question(segment_reuse_logged, segment, logged_segment=logged, user=marketer) == [
        f"Segment {segment.no} already contains 1 criteria action. Are you sure you want to reuse a logged segment?"
    ]
    assert contacts_on(segment) == ids(c["berlin"], c["alice"])
    assert segment.criteria_actions.count() == 1
    # confirming adds Carl as a new step.
    assert segment_reuse_logged(segment, logged_segment=logged, user=marketer, confirm=True) == 1
    assert contacts_on(segment) == ids(c["berlin"], c["alice"], c["carl"])
    assert segment.criteria_actions.count() == 2


def test_reusing_a_logged_segment_on_a_worksheet_without_criteria_asks_nothing(berlin_and_hamburg, marketer):
    logged = LoggedSegmentFactory()
    InteractionLogEntryFactory(contact=berlin_and_hamburg["carl"], logged_segment=logged)
    assert segment_reuse_logged(SegmentFactory(), logged_segment=logged, user=marketer) == 1


# --- contact rules involving segments (crm/services.py) ---------------------------------------------------------------


def test_a_contact_on_a_worksheet_cannot_be_deleted(marketer):
    person = PersonFactory()
    segment = SegmentFactory()
    segment_line_add(segment, contact=person, user=marketer)
    with pytest.raises(ValidationError, match="assigned one or more unlogged segments"):
        crm_services.contact_delete(person, user=marketer)
    assert type(person).objects.filter(pk=person.pk).exists()


def test_a_person_on_a_worksheet_cannot_change_company(marketer):
    person = PersonFactory()
    segment = SegmentFactory()
    segment_line_add(segment, contact=person, user=marketer)
    with pytest.raises(ValidationError, match="cannot change the company"):
        crm_services.contact_update(person, user=marketer, company=CompanyFactory())


def test_once_off_the_worksheet_the_contact_can_be_deleted(marketer):
    person = PersonFactory()
    segment = SegmentFactory()
    line = segment_line_add(segment, contact=person, user=marketer)
    segment_line_remove(line, user=marketer)
    SegmentCriteriaAction.objects.filter(segment=segment).delete()
    crm_services.contact_delete(person, user=marketer)
    assert not type(person).objects.filter(pk=person.pk).exists()
