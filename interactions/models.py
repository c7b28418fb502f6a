"""Interaction groups and templates, template setup, stored documents, logged segments and log entries."""

import hashlib
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connections, models, router, transaction
from django.db.models import Count, F, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import UpdateQuery
from django.urls import reverse

from crm.models import Contact, CorrespondenceType, SalesDocument, Salesperson
from crm.validators import validate_plausible_date

from .validators import validate_template_attachment


class InformationFlow(models.TextChoices):
    BLANK = "", "—"
    OUTBOUND = "outbound", "Outbound"
    INBOUND = "inbound", "Inbound"


class InitiatedBy(models.TextChoices):
    BLANK = "", "—"
    US = "us", "Us"
    THEM = "them", "Them"


class Evaluation(models.TextChoices):
    BLANK = "", "—"
    VERY_POSITIVE = "very_positive", "Very positive"
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"
    VERY_NEGATIVE = "very_negative", "Very negative"


class DeliveryStatus(models.TextChoices):
    DONE = "", "Done / not applicable"
    IN_PROGRESS = "in_progress", "In progress"
    # Claimed by one sender (interactions.sending) between its claim and the outcome; see there.
    SENDING = "sending", "Sending"
    ERROR = "error", "Error"


class DocumentType(models.TextChoices):
    BLANK = "", "—"
    SALES_QUOTE = "sales_quote", "Sales quote"
    SALES_BLANKET_ORDER = "sales_blanket_order", "Sales blanket order"
    SALES_ORDER_CONFIRMATION = "sales_order_confirmation", "Sales order confirmation"
    SALES_INVOICE = "sales_invoice", "Sales invoice"
    SALES_CREDIT_MEMO = "sales_credit_memo", "Sales credit memo"
    COVER_SHEET = "cover_sheet", "Cover sheet"


# Which document type a printed sales document of each kind is logged as.
DOCUMENT_TYPE_FOR_KIND = {
    SalesDocument.Kind.QUOTE: DocumentType.SALES_QUOTE,
    SalesDocument.Kind.BLANKET_ORDER: DocumentType.SALES_BLANKET_ORDER,
    SalesDocument.Kind.ORDER: DocumentType.SALES_ORDER_CONFIRMATION,
    SalesDocument.Kind.INVOICE: DocumentType.SALES_INVOICE,
    SalesDocument.Kind.CREDIT_MEMO: DocumentType.SALES_CREDIT_MEMO,
}


class InteractionGroup(models.Model):
    code = models.CharField(max_length=20, unique=True)
    description = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.description}" if self.description else self.code


def template_upload_to(instance, filename: str) -> str:
    return f"templates/{filename}"


class InteractionTemplate(models.Model):
    code = models.CharField(max_length=20, unique=True)
    group = models.ForeignKey(InteractionGroup, on_delete=models.PROTECT, related_name="templates")
    description = models.CharField(max_length=100, blank=True)
    information_flow = models.CharField(max_length=10, choices=InformationFlow.choices, blank=True)
    initiated_by = models.CharField(max_length=10, choices=InitiatedBy.choices, blank=True)
    unit_cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    unit_duration_minutes = models.PositiveIntegerField("Unit duration (min.)", default=0)
    correspondence_type = models.CharField(
        "Correspondence type (default)",
        max_length=10,
        choices=CorrespondenceType.choices,
        blank=True,
        default=CorrespondenceType.EMAIL,
    )
    ignore_contact_correspondence_type = models.BooleanField(default=False)
    language_code = models.CharField("Language code (default)", max_length=10, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    attachment = models.FileField(
        upload_to=template_upload_to,
        blank=True,
        validators=[validate_template_attachment],
        help_text="A Word .docx letter or an .html e-mail body, with merge fields such as {{ contact.name }}.",
    )
    # On for new templates; templates that existed before the option keep sending the .docx (the migration).
    attach_as_pdf = models.BooleanField(
        "Attach as PDF",
        default=True,
        help_text="E-mail a Word letter as a PDF attachment (converted by LibreOffice; where it is not installed, "
        "the .docx is attached).",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.description}" if self.description else self.code


class InteractionTemplateLanguage(models.Model):
    template = models.ForeignKey(InteractionTemplate, on_delete=models.CASCADE, related_name="languages")
    language_code = models.CharField(max_length=10)
    description = models.CharField(max_length=100, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    attachment = models.FileField(upload_to=template_upload_to, blank=True, validators=[validate_template_attachment])

    class Meta:
        ordering = ["template", "language_code"]
        constraints = [
            models.UniqueConstraint(fields=["template", "language_code"], name="template_language_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template.code} ({self.language_code})"


class InteractionTemplateSetup(models.Model):
    """Which template logs each automatically recorded event. No row or no template: not logged."""

    class Event(models.TextChoices):
        SALES_QUOTE = "sales_quote", "Sales quotes"
        SALES_BLANKET_ORDER = "sales_blanket_order", "Sales blanket orders"
        SALES_ORDER_CONFIRMATION = "sales_order_confirmation", "Sales order confirmations"
        SALES_INVOICE = "sales_invoice", "Sales invoices"
        SALES_CREDIT_MEMO = "sales_credit_memo", "Sales credit memos"
        EMAIL = "email", "E-mails"
        PHONE_CALL = "phone_call", "Outgoing phone calls"
        COVER_SHEET = "cover_sheet", "Cover sheets"

    event = models.CharField(max_length=30, choices=Event.choices, unique=True)
    template = models.ForeignKey(
        InteractionTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="setup_events"
    )

    class Meta:
        ordering = ["event"]
        verbose_name = "interaction template setup"
        verbose_name_plural = "interaction template setup"

    def __str__(self) -> str:
        return self.get_event_display()

    @classmethod
    def template_for(cls, event: str) -> "InteractionTemplate | None":
        """The template that logs `event`, or None when no row or no template is set."""
        row = cls.objects.select_related("template__group").filter(event=event).first()
        return row.template if row is not None else None

    @classmethod
    def logging_template(cls, event: str) -> "InteractionTemplate | None":
        """template_for(`event`), refused (ValidationError, nothing logged) when that template has language variants
        or an attachment (docs/BEHAVIOUR.md §10)."""
        template = cls.template_for(event)
        if template is not None and (refusals := saved_template_refusals(template)):
            raise ValidationError(refusals)
        return template

    def clean(self) -> None:
        # docs/BEHAVIOUR.md §10: automatically logged events use plain templates (no language rows, no attachment).
        template = self.template
        if template is None or template.pk is None:
            return
        if refusals := saved_template_refusals(template):
            raise ValidationError({"template": refusals})


# docs/BEHAVIOUR.md §10: templates named in the setup, whose events are logged automatically, have no language
# variants and no attachment (the language message is Business Central's, word for word).
AUTOMATIC_LOGGING_LANGUAGE_REFUSED = (
    "Interaction Template {template} has assigned Interaction Template Language {language}. It is not allowed to "
    "have languages assigned to templates used for system document logging."
)
AUTOMATIC_LOGGING_ATTACHMENT_REFUSED = (
    "Interaction Template {template} has an attachment. It is not allowed to have attachments on templates used "
    "for system document logging."
)


def automatic_logging_refusals(template_code: str, *, languages, attachment) -> list[str]:
    """Why a template with these language codes and this attachment cannot log events automatically (or [])."""
    refusals = []
    first_language = min(languages, default=None)
    if first_language is not None:
        refusals.append(AUTOMATIC_LOGGING_LANGUAGE_REFUSED.format(template=template_code, language=first_language))
    if attachment:
        refusals.append(AUTOMATIC_LOGGING_ATTACHMENT_REFUSED.format(template=template_code))
    return refusals


def saved_template_refusals(template: InteractionTemplate) -> list[str]:
    """automatic_logging_refusals for a saved template: its language variants and its attachment."""
    return automatic_logging_refusals(
        template.code,
        languages=template.languages.values_list("language_code", flat=True),
        attachment=template.attachment,
    )


def templates_for_automatic_logging():
    """The templates the setup may name (its lookup): no attachment and no language variants."""
    return InteractionTemplate.objects.filter(attachment="", languages__isnull=True)


def stored_document_path(instance, filename: str) -> str:
    return f"documents/{instance.sha256[:2]}/{instance.sha256}"


class StoredDocument(models.Model):
    """An immutable file, stored once by content (SHA-256) through Django's storage API.

    Log entries point at the exact bytes the contact got (a printed PDF, an uploaded letter), or at the
    template snapshot plus merge values from which the letter is re-rendered byte for byte.
    """

    sha256 = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=stored_document_path)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def read(self) -> bytes:
        with self.file.open("rb") as handle:
            return handle.read()


class LoggedSegment(models.Model):
    """A segment after it was logged: the register of the entries it produced.

    It lives in `interactions` (not `segments`) because log entries point at it and the dependency direction is
    segments -> interactions -> crm.
    """

    segment_no = models.CharField(max_length=20, db_index=True)
    # The id of the worksheet it was logged from (deleted by logging): the worksheet's old URL redirects here
    # instead of answering 404.
    # Empty for segments logged before it was kept.
    worksheet_id = models.PositiveIntegerField(null=True, blank=True, editable=False, db_index=True)
    description = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    canceled = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    canceled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["created_at"]), models.Index(fields=["canceled"])]

    def __str__(self) -> str:
        return f"Logged segment {self.pk} ({self.segment_no})"

    def get_absolute_url(self) -> str:
        return reverse("segments:logged_segment_detail", args=[self.pk])


class InteractionDailyTotalManager(models.Manager):
    def add_entries(self, entries, *, sign: int = 1, one_group_likely: bool = False) -> None:
        """Add (sign 1) or take away (sign -1) these log entries' figures, inside the caller's transaction.

        One INSERT … SELECT … GROUP BY with ON CONFLICT DO UPDATE (PostgreSQL and SQLite ≥ 3.24 both have it):
        the entries are aggregated by the database, never loaded. The caller passes exactly the entries whose
        counted state changes (new and not canceled, or switching canceled).
        """
        if sign not in (1, -1):
            raise ValueError("sign must be 1 or -1")
        if one_group_likely:
            # A logged segment's entries mostly share one day, template and group: one pass without sorting
            # (MIN = MAX) settles it, and the grouped statement below, which sorts every entry, is not needed.
            probe = entries.order_by().aggregate(
                first_day=Min("date"),
                last_day=Max("date"),
                first_template=Min(Coalesce("template_id", Value(0))),
                last_template=Max(Coalesce("template_id", Value(0))),
                first_group=Min(Coalesce("group_id", Value(0))),
                last_group=Max(Coalesce("group_id", Value(0))),
                n=Count("id"),
                amount=Coalesce(Sum("cost"), Value(Decimal("0"))),
                minutes=Coalesce(Sum("duration_minutes"), Value(0)),
            )
            if not probe["n"]:
                return
            if (probe["first_day"], probe["first_template"], probe["first_group"]) == (
                probe["last_day"],
                probe["last_template"],
                probe["last_group"],
            ):
                self.add_figures(
                    date=probe["first_day"],
                    template_id=probe["first_template"],
                    group_id=probe["first_group"],
                    count=sign * probe["n"],
                    cost=sign * Decimal(probe["amount"]),
                    duration_minutes=sign * int(probe["minutes"]),
                )
                return
        grouped = (
            entries.order_by()
            .values(
                day=F("date"), template_key=Coalesce("template_id", Value(0)), group_key=Coalesce("group_id", Value(0))
            )
            .annotate(
                n=Count("id"),
                amount=Coalesce(Sum("cost"), Value(Decimal("0"))),
                minutes=Coalesce(Sum("duration_minutes"), Value(0)),
            )
        )
        select, params = grouped.query.sql_with_params()
        # WHERE 1 = 1: SQLite needs a WHERE clause before an upsert's ON CONFLICT after a SELECT.
        self._upsert(
            "SELECT s.day, s.template_key, s.group_key, %s * s.n, %s * s.amount, %s * s.minutes "
            f"FROM ({select}) s WHERE 1 = 1",
            [sign, sign, sign, *params],
        )

    def add_figures(self, *, date, template_id, group_id, count: int, cost, duration_minutes: int) -> None:
        """Add figures worked out by the caller (entries it just wrote, all alike), inside its transaction."""
        self._upsert(
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [date, template_id or 0, group_id or 0, count, Decimal(cost), duration_minutes],
        )

    def _upsert(self, rows_sql: str, params: list) -> None:
        """INSERT the rows (date, template key, group key, count, cost, minutes), adding to existing rows."""
        connection = connections[router.db_for_write(self.model)]
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        count, cost, minutes = quote("count"), quote("cost"), quote("duration_minutes")
        key = f"{quote('date')}, {quote('template_key')}, {quote('group_key')}"
        sql = (
            f"INSERT INTO {table} ({key}, {count}, {cost}, {minutes}) {rows_sql} "
            f"ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + excluded.{count}, "
            f"{cost} = {table}.{cost} + excluded.{cost}, {minutes} = {table}.{minutes} + excluded.{minutes}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def switch_canceled(self, entries, *, canceled: bool, **values) -> int:
        """UPDATE these entries' canceled flag (and `values`) where it differs, and the totals by what changed.

        Returns how many entries changed. The totals must follow exactly the rows the UPDATE changes. On
        PostgreSQL that is one statement (a data-modifying WITH: the UPDATE's RETURNING rows are grouped into the
        upsert), so an entry committed by someone else between two statements cannot be switched without being
        counted. SQLite takes the write lock at BEGIN (transaction_mode IMMEDIATE, crm/settings.py): nothing else
        writes between the two statements there.
        """
        changing = entries.exclude(canceled=canceled)
        sign = -1 if canceled else 1
        db = router.db_for_write(InteractionLogEntry)
        connection = connections[db]
        if connection.vendor != "postgresql":
            self.add_entries(changing, sign=sign)
            return changing.update(canceled=canceled, **values)
        query = changing.query.chain(UpdateQuery)
        query.add_update_values({"canceled": canceled, **values})
        compiler = query.get_compiler(db)
        compiler.pre_sql_setup()
        update_sql, update_params = compiler.as_sql()
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        count, cost, minutes = quote("count"), quote("cost"), quote("duration_minutes")
        day, template, group = quote("date"), quote("template_id"), quote("group_id")
        sql = (
            f"WITH changed AS ({update_sql} RETURNING {day}, {template}, {group}, {cost}, {minutes}), "
            f"counted AS (INSERT INTO {table} ({day}, {quote('template_key')}, {quote('group_key')}, {count}, "
            f"{cost}, {minutes}) SELECT {day}, COALESCE({template}, 0), COALESCE({group}, 0), %s * COUNT(*), "
            f"%s * COALESCE(SUM({cost}), 0), %s * COALESCE(SUM({minutes}), 0) FROM changed GROUP BY 1, 2, 3 "
            f"ON CONFLICT ({day}, {quote('template_key')}, {quote('group_key')}) DO UPDATE SET "
            f"{count} = {table}.{count} + excluded.{count}, {cost} = {table}.{cost} + excluded.{cost}, "
            f"{minutes} = {table}.{minutes} + excluded.{minutes} RETURNING 1) "
            "SELECT (SELECT COUNT(*) FROM changed), (SELECT COUNT(*) FROM counted)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*update_params, sign, sign, sign])
            return cursor.fetchone()[0]

    def rebuild(self) -> None:
        """Compute every row again from the log entries (after a raw bulk insert that bypassed add_entries)."""
        self.all()._raw_delete(router.db_for_write(self.model))
        self.add_entries(InteractionLogEntry.objects.filter(canceled=False))


class InteractionDailyTotal(models.Model):
    """Per day, interaction template and group: how many log entries are not canceled, their cost and duration.

    The statistics page reads these rows instead of aggregating the log entries (docs/PERFORMANCE.md,
    "Statistics"). Kept in step in the same transaction by whatever adds entries or switches their canceled flag
    (InteractionLogEntry.save for a single new entry, the set-based services through `add_entries`); deleting
    entries changes nothing, since only canceled entries are ever deleted. A key of 0 means no template / group
    (0 rather than NULL so that the unique key, and with it ON CONFLICT, covers those rows too).
    """

    date = models.DateField()
    template_key = models.BigIntegerField()
    group_key = models.BigIntegerField()
    count = models.BigIntegerField(default=0)
    cost = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    duration_minutes = models.BigIntegerField(default=0)

    objects = InteractionDailyTotalManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["date", "template_key", "group_key"], name="idt_date_template_group")
        ]

    def __str__(self) -> str:
        return f"{self.date}: template {self.template_key}, group {self.group_key}: {self.count}"


class InteractionLogEntryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(canceled=False)

    def for_list(self):
        return self.select_related("contact", "contact_company", "template", "group", "salesperson", "user")


class LoggedEntryManager(models.Manager.from_queryset(InteractionLogEntryQuerySet)):
    """The entries that were logged: a postponed entry is not one yet (docs/BEHAVIOUR.md §2, Finish later).

    The one place that rule lives. As the default manager it also serves every reverse relation
    (contact.interaction_entries, logged_segment.entries …), the admin and get_object_or_404, so the entries page,
    the CSV, the statistics, every count and the entry's detail and document pages never see a postponed entry.
    Only a join through a reverse relation in a filter or aggregate (`entries__…`) bypasses a manager; those say
    `postponed=False` themselves.
    """

    def get_queryset(self):
        return super().get_queryset().filter(postponed=False)


class PostponedEntryManager(models.Manager.from_queryset(InteractionLogEntryQuerySet)):
    """Entries saved with "Finish later", waiting to be resumed or deleted."""

    def get_queryset(self):
        return super().get_queryset().filter(postponed=True)


class InteractionLogEntry(models.Model):
    """One interaction with one contact. The id is the entry number (ascending, gaps allowed).

    Never edited after logging, except: canceled (with who and when), evaluation and delivery status.
    """

    # db_index=False on the foreign keys that lead a composite index below (ile_contact_date …): the composite
    # serves their lookups, and every extra index costs each INSERT and DELETE of a million-row table.
    # db_constraint=False on every foreign key, deliberately (as on segment lines): PostgreSQL checks a deferred
    # foreign key once per row at commit, which cost logging 100,000 lines most of its budget in the commit alone
    # (docs/PERFORMANCE.md). Entries are only written by the services, from rows they read in the same
    # transaction, and Django still applies every on_delete (PROTECT, SET_NULL) when a referenced row is deleted.
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interaction_entries",
        db_index=False,
        db_constraint=False,
    )
    contact_company = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="company_interaction_entries",
        db_index=False,
        db_constraint=False,
    )
    date = models.DateField(validators=[validate_plausible_date])
    time = models.TimeField(null=True, blank=True)
    template = models.ForeignKey(
        InteractionTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    group = models.ForeignKey(
        InteractionGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    language_code = models.CharField(max_length=10, blank=True)
    description = models.CharField(max_length=100)
    subject = models.CharField(max_length=200, blank=True)
    information_flow = models.CharField(max_length=10, choices=InformationFlow.choices, blank=True)
    initiated_by = models.CharField(max_length=10, choices=InitiatedBy.choices, blank=True)
    attempt_failed = models.BooleanField(default=False)
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    duration_minutes = models.PositiveIntegerField("Duration (min.)", default=0)
    correspondence_type = models.CharField(max_length=10, choices=CorrespondenceType.choices, blank=True)
    delivery_status = models.CharField(max_length=12, choices=DeliveryStatus.choices, blank=True)
    delivery_error = models.TextField(blank=True)
    evaluation = models.CharField(max_length=15, choices=Evaluation.choices, blank=True)
    salesperson = models.ForeignKey(
        Salesperson,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interaction_entries",
        db_index=False,
        db_constraint=False,
    )
    # No index on user / canceled_by: nothing filters on them, and deleting a user (the only lookup) is rare.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    segment_no = models.CharField(max_length=20, blank=True)
    logged_segment = models.ForeignKey(
        LoggedSegment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    document_type = models.CharField(max_length=30, choices=DocumentType.choices, blank=True)
    document_no = models.CharField(max_length=20, blank=True)
    version_no = models.PositiveIntegerField(default=0)
    # The stored document: either the exact bytes (document), or the template snapshot and the values it was
    # merged with (merge_template + merge_values), which the deterministic engine renders to the same bytes.
    document = models.ForeignKey(
        StoredDocument,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    merge_template = models.ForeignKey(
        StoredDocument,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_entries",
        db_index=False,
        db_constraint=False,
    )
    merge_values = models.JSONField(null=True, blank=True)
    canceled = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    canceled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Saved with "Finish later" (docs/BEHAVIOUR.md §2). db_default keeps a DEFAULT on the column, so the raw
    # INSERT … SELECT of segment logging (segments.services.entry_insert_sql) need not name it, and adding the
    # column to a million-row table is a catalogue change, not a rewrite (migration 0010).
    postponed = models.BooleanField(default=False, db_default=False)

    objects = LoggedEntryManager()
    postponed_objects = PostponedEntryManager()
    # Every row, postponed or not: for the services that resume or delete a postponed entry and for integrity
    # paths (moving a deleted person's entries to its company).
    all_objects = models.Manager.from_queryset(InteractionLogEntryQuerySet)()

    class Meta:
        ordering = ["-id"]
        verbose_name = "interaction log entry"
        verbose_name_plural = "interaction log entries"
        permissions = [("cancel_interactionlogentry", "Can cancel, un-cancel and evaluate interaction log entries")]
        # Every index here is paid for by each INSERT of a logged segment and each DELETE of canceled entries on a
        # million-row table, so there is one per offered sort or filter and no more. The nullable references are
        # partial indexes (only rows that have a value): a segment logged without letters never touches the
        # document indexes, and "not canceled" rows never enter the canceled one.
        indexes = [
            models.Index(fields=["date", "id"], name="ile_date_id"),
            models.Index(fields=["description", "id"], name="ile_description_id"),
            models.Index(fields=["contact", "date"], name="ile_contact_date"),
            models.Index(
                fields=["contact_company", "date"], name="ile_company_date", condition=Q(contact_company__isnull=False)
            ),
            models.Index(fields=["template", "date"], name="ile_template_date", condition=Q(template__isnull=False)),
            models.Index(fields=["group", "date"], name="ile_group_date", condition=Q(group__isnull=False)),
            models.Index(
                fields=["salesperson", "date"], name="ile_salesperson_date", condition=Q(salesperson__isnull=False)
            ),
            models.Index(
                fields=["logged_segment"], name="ile_logged_segment", condition=Q(logged_segment__isnull=False)
            ),
            # Canceled and logged: exactly the rows "delete canceled entries" may delete, so it counts them from
            # this index alone, without reading the table for `postponed` (docs/PERFORMANCE.md).
            models.Index(fields=["date"], name="ile_canceled_date", condition=Q(canceled=True, postponed=False)),
            models.Index(fields=["document_type", "document_no"], name="ile_document", condition=~Q(document_type="")),
            models.Index(fields=["document"], name="ile_stored_document", condition=Q(document__isnull=False)),
            models.Index(
                fields=["merge_template"], name="ile_merge_template", condition=Q(merge_template__isnull=False)
            ),
            models.Index(fields=["delivery_status"], name="ile_delivery_pending", condition=~Q(delivery_status="")),
            # The navigation's count of the user's postponed entries and the Postponed Interactions page; a
            # logged entry never enters it.
            models.Index(fields=["user", "id"], name="ile_postponed_user", condition=Q(postponed=True)),
        ]

    def __str__(self) -> str:
        return f"Entry {self.pk}: {self.description}"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        # The statistics' daily totals (InteractionDailyTotal) count a new entry in the same transaction.
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)
            if adding and not self.canceled:
                InteractionDailyTotal.objects.add_entries(InteractionLogEntry.objects.filter(pk=self.pk))

    def get_absolute_url(self) -> str:
        return reverse("interactions:interaction_detail", args=[self.pk])

    @property
    def has_document(self) -> bool:
        return bool(self.document_id or self.merge_template_id)
