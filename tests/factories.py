"""factory_boy factories for the whole schema. Contacts get their numbers from the real number series."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from crm.models import (
    Contact,
    IndustryGroup,
    JobResponsibility,
    MailingGroup,
    SalesDocument,
    SalesDocumentLine,
    Salesperson,
)
from crm.numbering import next_number


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))


class SalespersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Salesperson
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SP{n:02d}")
    name = factory.Faker("name")
    email = factory.LazyAttribute(lambda s: f"{s.code.lower()}@northwind.example")
    phone = "+44 20 7946 0000"


class MailingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MailingGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"MG{n}")
    description = factory.LazyAttribute(lambda g: f"Mailing group {g.code}")


class IndustryGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndustryGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"IG{n}")
    description = factory.LazyAttribute(lambda g: f"Industry {g.code}")


class JobResponsibilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobResponsibility
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"JR{n}")
    description = factory.LazyAttribute(lambda g: f"Responsibility {g.code}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    no = factory.LazyFunction(lambda: next_number("contact"))
    type = Contact.Type.COMPANY
    name = factory.Faker("company")
    address = factory.Faker("street_address")
    city = "Berlin"
    post_code = "10115"
    country_code = "DE"
    email = factory.Sequence(lambda n: f"info{n}@company.example")
    phone = "+49 30 1234567"


class PersonFactory(CompanyFactory):
    type = Contact.Type.PERSON
    name = factory.Faker("name")
    company = factory.SubFactory(CompanyFactory)
    email = factory.Sequence(lambda n: f"person{n}@company.example")
    salutation = factory.LazyAttribute(lambda p: f"Dear {p.name}")
    job_title = "Purchasing manager"


class SalesDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesDocument

    kind = SalesDocument.Kind.INVOICE
    no = factory.LazyAttribute(lambda d: next_number(d.kind))
    contact = factory.SubFactory(CompanyFactory)
    date = factory.LazyFunction(datetime.date.today)


class SalesDocumentLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesDocumentLine

    document = factory.SubFactory(SalesDocumentFactory)
    line_no = factory.Sequence(lambda n: (n + 1) * 10000)
    description = factory.Faker("catch_phrase")
    quantity = Decimal("2")
    unit_price = Decimal("125.50")


# --- interactions -----------------------------------------------------------------------------------------------
from interactions.models import (  # noqa: E402
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
    LoggedSegment,
)


class InteractionGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"GRP{n}")
    description = factory.LazyAttribute(lambda g: f"Group {g.code}")


class InteractionTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionTemplate
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TPL{n}")
    group = factory.SubFactory(InteractionGroupFactory)
    description = factory.LazyAttribute(lambda t: f"Template {t.code}")
    information_flow = "outbound"
    initiated_by = "us"
    unit_cost = Decimal("2.50")
    unit_duration_minutes = 5
    correspondence_type = "hard_copy"
    # The model's default is on (new templates e-mail letters as PDF); tests opt in, since converting needs
    # LibreOffice and takes a while per letter (tests/interactions/test_letter_pdf_pages.py).
    attach_as_pdf = False


class InteractionTemplateLanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionTemplateLanguage

    template = factory.SubFactory(InteractionTemplateFactory)
    language_code = "de"
    description = "Deutsch"


class InteractionTemplateSetupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionTemplateSetup
        django_get_or_create = ("event",)

    event = InteractionTemplateSetup.Event.SALES_INVOICE
    template = factory.SubFactory(InteractionTemplateFactory)


class LoggedSegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoggedSegment

    segment_no = factory.Sequence(lambda n: f"SEG{n + 90000:05d}")
    description = "Spring mailing"


class InteractionLogEntryFactory(factory.django.DjangoModelFactory):
    """An entry as interaction_create would write it (company, group and values from the template)."""

    class Meta:
        model = InteractionLogEntry

    contact = factory.SubFactory(PersonFactory)
    contact_company = factory.LazyAttribute(lambda e: e.contact.company_or_self if e.contact else None)
    date = factory.LazyFunction(datetime.date.today)
    time = datetime.time(10, 0)
    template = factory.SubFactory(InteractionTemplateFactory)
    group = factory.LazyAttribute(lambda e: e.template.group if e.template else None)
    description = factory.LazyAttribute(lambda e: e.template.description if e.template else "Call")
    information_flow = "outbound"
    initiated_by = "us"
    cost = Decimal("2.50")
    duration_minutes = 5
    correspondence_type = "hard_copy"


# --- segments ---------------------------------------------------------------------------------------------------
from segments.models import Segment, SegmentLine  # noqa: E402


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    no = factory.LazyFunction(lambda: next_number("segment"))
    description = "Autumn newsletter"
    template = factory.SubFactory(InteractionTemplateFactory)
    salesperson = factory.SubFactory(SalespersonFactory)
    date = factory.LazyFunction(datetime.date.today)


class SegmentLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SegmentLine

    segment = factory.SubFactory(SegmentFactory)
    contact = factory.SubFactory(PersonFactory)
