"""Contacts, salespeople, contact groups and sales documents.

Business rules that span several rows live in `crm/services.py`; the models hold data and simple invariants.
"""

from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from .validators import AT_MOST_100, NOT_NEGATIVE, validate_plausible_date, validate_salutation_formula


class CorrespondenceType(models.TextChoices):
    BLANK = "", "—"
    HARD_COPY = "hard_copy", "Hard copy"
    EMAIL = "email", "E-mail"


language_code_validator = RegexValidator(r"^[a-z]{2}(-[A-Za-z]{2,4})?$", "Use a language code such as en, de or pt-BR.")
phone_validator = RegexValidator(
    r"^\+?[0-9 ()./-]{3,30}$", "Enter a phone number with digits, spaces and + ( ) . / - only (no letters)."
)


class NumberSeries(models.Model):
    """Counters for the human-readable numbers (CT000001, SEG00001, INV-000001 …).

    Incremented under a row lock (see `crm.numbering`) so concurrent creators never get the same number, and a
    bulk insert can reserve a whole range at once.
    """

    code = models.CharField(max_length=20, unique=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.code}: {self.last_value}"


class CodeDescription(models.Model):
    code = models.CharField(max_length=20, unique=True)
    description = models.CharField(max_length=100, blank=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.description}" if self.description else self.code


class MailingGroup(CodeDescription):
    class Meta(CodeDescription.Meta):
        pass


class IndustryGroup(CodeDescription):
    class Meta(CodeDescription.Meta):
        pass


class JobResponsibility(CodeDescription):
    class Meta(CodeDescription.Meta):
        verbose_name_plural = "job responsibilities"


class Salutation(CodeDescription):
    """A salutation code with one formula per language and type (docs/BEHAVIOUR.md §1, "Salutations")."""

    class Meta(CodeDescription.Meta):
        pass


class SalutationFormula(models.Model):
    class Type(models.TextChoices):
        FORMAL = "formal", "Formal"
        INFORMAL = "informal", "Informal"

    salutation = models.ForeignKey(Salutation, on_delete=models.CASCADE, related_name="formulas")
    language_code = models.CharField(
        max_length=10,
        blank=True,
        validators=[language_code_validator],
        help_text="The letter's language; blank for letters without a language.",
    )
    salutation_type = models.CharField("Type", max_length=10, choices=Type.choices, default=Type.FORMAL)
    formula = models.CharField(
        max_length=100,
        validators=[validate_salutation_formula],
        help_text="For example “Sehr geehrter Herr {surname}”. Placeholders: {job_title}, {first_name}, "
        "{middle_name}, {surname}, {initials}, {company_name}, {name}.",
    )

    class Meta:
        ordering = ["salutation", "language_code", "salutation_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["salutation", "language_code", "salutation_type"], name="salutation_formula_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.salutation.code} ({self.language_code or 'no language'}, {self.salutation_type})"


class Salesperson(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="salesperson"
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "salespeople"

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class ContactQuerySet(models.QuerySet):
    def companies(self):
        return self.filter(type=Contact.Type.COMPANY)

    def persons(self):
        return self.filter(type=Contact.Type.PERSON)

    def for_list(self):
        return self.select_related("company", "salesperson")


class Contact(models.Model):
    class Type(models.TextChoices):
        COMPANY = "company", "Company"
        PERSON = "person", "Person"

    no = models.CharField("No.", max_length=20, unique=True, editable=False)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.COMPANY)
    name = models.CharField(max_length=100)
    company = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="persons",
        limit_choices_to={"type": "company"},
        help_text="The company a person works for. Companies have none.",
    )
    job_title = models.CharField(max_length=60, blank=True)
    salutation = models.CharField(max_length=100, blank=True, help_text='For example "Dear Ms Smith".')
    # Letters take the salutation from this code's formula in the letter's language, else the text above
    # (docs/BEHAVIOUR.md §1, "Salutations"). Indexed only where set (below): only deleting a code looks it up.
    salutation_code = models.ForeignKey(
        Salutation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        db_index=False,
        help_text="Letters use this code's salutation in their language, else the salutation above.",
    )
    email = models.EmailField("E-mail", blank=True)
    phone = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    mobile = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    address = models.CharField(max_length=100, blank=True)
    address_2 = models.CharField("Address 2", max_length=100, blank=True)
    city = models.CharField(max_length=50, blank=True)
    post_code = models.CharField(max_length=20, blank=True)
    country_code = models.CharField(
        max_length=2, blank=True, validators=[RegexValidator(r"^[A-Z]{2}$", "Use a two-letter country code, e.g. DE.")]
    )
    language_code = models.CharField(max_length=10, blank=True, validators=[language_code_validator])
    salesperson = models.ForeignKey(
        Salesperson, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    correspondence_type = models.CharField(
        max_length=10, choices=CorrespondenceType.choices, blank=True, default=CorrespondenceType.BLANK
    )
    exclude_from_segment = models.BooleanField(default=False)
    privacy_blocked = models.BooleanField(default=False)
    mailing_groups = models.ManyToManyField(MailingGroup, blank=True, related_name="contacts")
    industry_groups = models.ManyToManyField(
        IndustryGroup, blank=True, related_name="contacts", help_text="Set on companies; persons inherit them."
    )
    job_responsibilities = models.ManyToManyField(JobResponsibility, blank=True, related_name="contacts")
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every change through the services; edit forms carry it to detect lost updates (crm/versioning.py).
    row_version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["no"]
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["type", "name"]),
            # (city, no): a city filter reads its matches already in the list's default order (no sort).
            models.Index(fields=["city", "no"], name="contact_city_no"),
            models.Index(fields=["post_code"]),
            models.Index(fields=["country_code"]),
            models.Index(fields=["language_code"]),
            models.Index(fields=["correspondence_type"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["email"]),
            # The few privacy-blocked contacts, so "is anyone on this segment blocked?" starts from them instead
            # of joining every line of a large segment with its contact.
            models.Index(fields=["id"], name="contact_privacy_blocked", condition=Q(privacy_blocked=True)),
            models.Index(
                fields=["salutation_code"], name="contact_salutation_code", condition=Q(salutation_code__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(type="person") | Q(company__isnull=True), name="contact_company_only_for_persons"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.no} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("crm:contact_detail", args=[self.pk])

    @property
    def is_company(self) -> bool:
        return self.type == self.Type.COMPANY

    @property
    def company_or_self(self) -> "Contact":
        return self if self.is_company or self.company_id is None else self.company

    @property
    def company_name(self) -> str:
        if self.is_company:
            return self.name
        return self.company.name if self.company_id else ""

    @property
    def address_lines(self) -> list[str]:
        """The postal address, one line per row, as printed on letters and documents."""
        lines = []
        if not self.is_company and self.company_id:
            lines.append(self.company.name)
        lines.append(self.name)
        lines += [self.address, self.address_2, " ".join(p for p in (self.post_code, self.city) if p)]
        if self.country_code:
            lines.append(self.country_code)
        return [line for line in lines if line]


class SalesDocument(models.Model):
    class Kind(models.TextChoices):
        QUOTE = "quote", "Quote"
        BLANKET_ORDER = "blanket_order", "Blanket order"
        ORDER = "order", "Order confirmation"
        INVOICE = "invoice", "Invoice"
        CREDIT_MEMO = "credit_memo", "Credit memo"

    # Kinds whose every real print is a new archived version (docs/BEHAVIOUR.md §10).
    VERSIONED_KINDS = {Kind.QUOTE, Kind.BLANKET_ORDER, Kind.ORDER}
    NUMBER_PREFIX = {
        Kind.QUOTE: "SQ",
        Kind.BLANKET_ORDER: "SB",
        Kind.ORDER: "SO",
        Kind.INVOICE: "SI",
        Kind.CREDIT_MEMO: "SC",
    }

    kind = models.CharField(max_length=20, choices=Kind.choices)
    no = models.CharField("No.", max_length=20, unique=True, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="sales_documents")
    salesperson = models.ForeignKey(Salesperson, null=True, blank=True, on_delete=models.SET_NULL)
    date = models.DateField(validators=[validate_plausible_date])
    due_date = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    your_reference = models.CharField(max_length=60, blank=True)
    vat_percent = models.DecimalField(
        "VAT %", max_digits=5, decimal_places=2, default=Decimal("20.00"), validators=[NOT_NEGATIVE, AT_MOST_100]
    )
    printed_versions = models.PositiveIntegerField(
        default=0, editable=False, help_text="Versions printed so far (quotes, blanket orders and orders)."
    )
    no_printed = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every change through the services; edit forms carry it to detect lost updates (crm/versioning.py).
    row_version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["kind", "date"]), models.Index(fields=["date"])]
        permissions = [("print_salesdocument", "Can print and e-mail sales documents")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.no}"

    def get_absolute_url(self) -> str:
        return reverse("crm:document_detail", args=[self.pk])

    def pdf_filename(self, *, version_no: int = 0) -> str:
        """The printed PDF's name, as downloaded, e-mailed and stored with the log entry: SQ-000001-v2.pdf."""
        suffix = f"-v{version_no}" if version_no else ""
        return f"{self.no}{suffix}.pdf"

    def totals(self, lines=None) -> "DocumentTotals":
        """Subtotal of the line amounts, VAT on it rounded to the cent, and the total: the page and the PDF.

        `lines`: the lines already loaded, else they are read (or taken from a prefetch).
        """
        subtotal = sum((line.amount for line in (self.lines.all() if lines is None else lines)), Decimal("0.00"))
        vat_amount = (subtotal * self.vat_percent / 100).quantize(Decimal("0.01"))
        return DocumentTotals(subtotal=subtotal, vat_amount=vat_amount, total=subtotal + vat_amount)


class DocumentTotals(NamedTuple):
    subtotal: Decimal
    vat_amount: Decimal
    total: Decimal


class SalesDocumentLine(models.Model):
    document = models.ForeignKey(SalesDocument, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=200)
    # Credit memos carry positive amounts too (the kind says which way the money goes): negatives are slips.
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("1"), validators=[NOT_NEGATIVE])
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE])

    class Meta:
        ordering = ["document", "line_no", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class AuditEvent(models.Model):
    """Who did what to which records, and when: logging, canceling, un-canceling and deleting (docs/BEHAVIOUR.md §13).

    Written by the services in the same transaction as the change they describe, so an event exists exactly when
    its change was committed.
    """

    class Action(models.TextChoices):
        SEGMENT_LOGGED = "segment_logged", "Segment logged"
        LOGGED_SEGMENT_CANCELED = "logged_segment_canceled", "Logged segment canceled"
        LOGGED_SEGMENT_UNCANCELED = "logged_segment_uncanceled", "Logged segment un-canceled"
        LOGGED_SEGMENTS_DELETED = "logged_segments_deleted", "Canceled logged segments deleted"
        ENTRIES_CANCELED = "entries_canceled", "Interactions canceled"
        ENTRIES_UNCANCELED = "entries_uncanceled", "Interactions un-canceled"
        ENTRIES_DELETED = "entries_deleted", "Canceled interactions deleted"
        INTERACTION_CREATED = "interaction_created", "Interaction created"
        ENTRIES_RESENT = "entries_resent", "E-mails resent"
        ENTRIES_EVALUATED = "entries_evaluated", "Interactions evaluated"
        CONTACT_CREATED = "contact_created", "Contact created"
        CONTACT_CHANGED = "contact_changed", "Contact changed"
        CONTACT_DELETED = "contact_deleted", "Contact deleted"
        DOCUMENT_CREATED = "document_created", "Sales document created"
        DOCUMENT_CHANGED = "document_changed", "Sales document changed"
        SEGMENT_CHANGED = "segment_changed", "Segment changed"
        SEGMENT_STEP_UNDONE = "segment_step_undone", "Segment step undone"
        SEGMENT_STEPS_RESET = "segment_steps_reset", "Segment steps reset"
        SEGMENT_DELETED = "segment_deleted", "Segment deleted"
        SAVED_CRITERIA_DELETED = "saved_criteria_deleted", "Saved criteria deleted"

    action = models.CharField(max_length=40, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_repr = models.CharField("Object", max_length=200, blank=True)
    object_url = models.CharField(max_length=200, blank=True)
    count = models.PositiveIntegerField(default=0, help_text="Records affected.")
    # What happened in readable words, with the numbers of the entries or segments touched and their count
    # ("Canceled 3 entries: 101, 102, 105"), written by the service that did it; the audit page shows it.
    summary = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["action", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.object_repr}"


class DataVersion(models.Model):
    """One row: a number raised after every committed write to the product's tables (crm.page_cache). A page kept
    for a user is served again only while this number is the one it was rendered under."""

    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Data version {self.number}"
