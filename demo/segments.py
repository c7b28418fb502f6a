"""Demo worksheets for `manage.py seed_demo`: two segments built from criteria steps, through the services.

Idempotent: a demo worksheet that exists already (by description) is left alone. Each step is capped by its
criteria, not by a Python loop, so this stays quick on big demo data sets.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from crm.models import Contact, MailingGroup
from interactions.models import InteractionTemplate
from segments.models import SavedSegmentCriteria, Segment
from segments.services import (
    segment_add_contacts,
    segment_create,
    segment_line_update,
    segment_reduce_contacts,
    segment_refine_contacts,
    segment_save_criteria,
)

CHRISTMAS = "Demo: Christmas gift letters"
BERLIN = "Demo: trade fair invitation"


def _busiest_city() -> str | None:
    from django.db.models import Count

    row = Contact.objects.exclude(city="").values("city").annotate(n=Count("id")).order_by("-n").first()
    return row["city"] if row else None


def seed(stdout, **options) -> None:
    if not Contact.objects.exists():
        stdout.write("  segments: no contacts, no demo worksheets")
        return
    user = get_user_model().objects.filter(is_superuser=True).first()
    template = InteractionTemplate.objects.filter(code="WELCOME").first()
    made = []
    if not Segment.objects.filter(description=CHRISTMAS).exists() and MailingGroup.objects.filter(code="GIFT").exists():
        segment = segment_create(user=user, description=CHRISTMAS, template=template)
        segment_add_contacts(segment, criteria={"mailing_group": "GIFT"}, user=user, allow_related_companies=True)
        segment_reduce_contacts(segment, criteria={"has_email": "false"}, user=user)
        first = segment.lines.select_related("contact").order_by("id").first()
        if first is not None:
            segment_line_update(first, user=user, personal_note="Thank you for a wonderful year of working together!")
        if not SavedSegmentCriteria.objects.filter(code="XMAS").exists():
            segment_save_criteria(segment, code="XMAS", description="Christmas gift list", user=user)
        made.append(segment)
    city = _busiest_city()
    if city and not Segment.objects.filter(description=BERLIN).exists():
        segment = segment_create(user=user, description=BERLIN, template=template)
        try:
            segment_add_contacts(segment, criteria={"city": city, "type": "company"}, user=user, expand_companies=True)
            segment_refine_contacts(segment, criteria={"mailing_group": "EVENT"}, user=user, entire_companies=True)
        except ValidationError as error:  # e.g. no EVENT group in a trimmed data set
            stdout.write(f"  segments: {error.messages[0]}")
        made.append(segment)
    for segment in made:
        stdout.write(f"  segment {segment.no} “{segment.description}”: {segment.lines.count():,} lines")
    if not made:
        stdout.write("  segments: demo worksheets already there")
