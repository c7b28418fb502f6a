"""Segment worksheets: header, lines, criteria steps with their undo history, saved criteria.

A logged segment is `interactions.models.LoggedSegment` (re-exported here): log entries point at it, and
interactions must not depend on segments.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from crm.jobs.models import BackgroundJob
from crm.models import Contact, CorrespondenceType, Salesperson
from crm.validators import validate_plausible_date
from crm.wording import count_of
from interactions.letters import NO_CORRESPONDENCE_TYPE
from interactions.models import InformationFlow, InitiatedBy, InteractionTemplate, LoggedSegment, StoredDocument
from interactions.validators import PERSONAL_NOTE_MAX_LENGTH

# A line's own correspondence type: blank follows the rules (docs/BEHAVIOUR.md §3); "none" says no type on purpose,
# whatever the rules would give (a way out for lines that cannot be sent, §7).
LINE_CORRESPONDENCE_CHOICES = [
    ("", "As the rules say"),
    (CorrespondenceType.HARD_COPY.value, CorrespondenceType.HARD_COPY.label),
    (CorrespondenceType.EMAIL.value, CorrespondenceType.EMAIL.label),
    (NO_CORRESPONDENCE_TYPE, "None"),
]

__all__ = [
    "LINE_CORRESPONDENCE_CHOICES",
    "Segment",
    "SegmentLine",
    "SegmentCriteriaAction",
    "SegmentHistory",
    "SavedSegmentCriteria",
    "SavedSegmentCriteriaStep",
    "LoggedSegment",
    "LogJob",
]


class Segment(models.Model):
    no = models.CharField("No.", max_length=20, unique=True, editable=False)
    description = models.CharField(max_length=100, blank=True)
    template = models.ForeignKey(
        InteractionTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="segments"
    )
    correspondence_type = models.CharField(max_length=10, choices=CorrespondenceType.choices, blank=True)
    ignore_contact_correspondence_type = models.BooleanField(default=False)
    subject = models.CharField(max_length=200, blank=True)
    language_code = models.CharField(max_length=10, blank=True)
    salesperson = models.ForeignKey(Salesperson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    date = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    unit_cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    unit_duration_minutes = models.PositiveIntegerField(default=0)
    information_flow = models.CharField(max_length=10, choices=InformationFlow.choices, blank=True)
    initiated_by = models.CharField(max_length=10, choices=InitiatedBy.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every header change; the header form carries it to detect lost updates (crm/versioning.py).
    row_version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["-id"]
        permissions = [("log_segment", "Can log segments")]

    def __str__(self) -> str:
        return f"{self.no} {self.description}".strip()

    def get_absolute_url(self) -> str:
        return reverse("segments:segment_detail", args=[self.pk])


class SegmentLineValues(models.Model):
    """Per-line overrides. Blank/null means "as the segment header says" (resolved when logging).

    The override foreign keys have no index of their own (db_index=False): lines and history rows are written
    and deleted 100,000 at a time (docs/PERFORMANCE.md), every index costs on each of those rows, and these columns
    are only searched when a template, salesperson or stored document is deleted (rare, admin-only).
    No database constraints on them either (db_constraint=False): PostgreSQL queues a foreign-key check per row
    and per key even when the value is NULL, which slowed the commit of a 100,000-contact add
    (docs/PERFORMANCE.md). Django still applies their on_delete (PROTECT, SET_NULL).
    """

    description = models.CharField(max_length=100, blank=True)
    template = models.ForeignKey(
        InteractionTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    correspondence_type = models.CharField(max_length=10, choices=LINE_CORRESPONDENCE_CHOICES, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    language_code = models.CharField(max_length=10, blank=True)
    salesperson = models.ForeignKey(
        Salesperson,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    date = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    unit_duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    # A validator, not max_length: full_clean() (so the services and forms) refuses a longer note, and on SQLite
    # the migration does not rebuild the table, as a changed max_length would.
    personal_note = models.TextField(blank=True, validators=[MaxLengthValidator(PERSONAL_NOTE_MAX_LENGTH)])
    letter = models.ForeignKey(
        StoredDocument,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        help_text="A letter that replaces the template letter for this contact only.",
    )

    class Meta:
        abstract = True


class SegmentLine(SegmentLineValues):
    # No single-column FK indexes: the (segment, id) and (contact) indexes below cover both lookups. (segment, id)
    # rather than (segment, contact): a segment's lines come off it in line order, which logging needs (entries
    # numbered in line order) without sorting 100,000 rows; "is this contact on the segment" goes through
    # (contact), since a contact is on few segments.
    # No database FK constraints either (db_constraint=False), deliberately: on PostgreSQL Django's deferred
    # constraints check, and KEY SHARE-lock, every referenced contact row at commit, which made adding 100,000
    # contacts several times slower (docs/PERFORMANCE.md). The services keep the references sound (lines are
    # inserted from the contact table under the segment's row lock) and Django still enforces on_delete
    # (PROTECT, CASCADE).
    segment = models.ForeignKey(
        Segment, on_delete=models.CASCADE, related_name="lines", db_index=False, db_constraint=False
    )
    # PROTECT: a contact on an unlogged segment cannot be deleted (docs/BEHAVIOUR.md §1); logged segments have no lines.
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="segment_lines", db_index=False, db_constraint=False
    )

    # Bumped by every change of the line's values; the line form carries it (crm/versioning.py).
    row_version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["segment", "id"]
        indexes = [
            models.Index(fields=["segment", "id"], name="segment_line_segment_id"),
            models.Index(fields=["contact"]),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.contact_id}"


class SegmentCriteriaAction(models.Model):
    """One undoable step on a worksheet. Its history rows say exactly which lines it inserted and deleted."""

    class Action(models.TextChoices):
        ADD = "add", "Add contacts"
        REDUCE = "reduce", "Reduce contacts"
        REFINE = "refine", "Refine contacts"
        ADD_LINE = "add_line", "Add line"
        REMOVE_LINE = "remove_line", "Remove line"
        REUSE_LOGGED = "reuse_logged", "Reuse logged segment"

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="criteria_actions")
    step = models.PositiveIntegerField()
    action = models.CharField(max_length=20, choices=Action.choices)
    criteria = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    affected = models.PositiveIntegerField(default=0, help_text="Lines inserted or deleted by this step.")
    # The lines an inserting step added are this segment's lines with ids in this range: the step held the
    # segment's lock and new ids only grow, so no other line of the segment falls inside it. Go back deletes by
    # the range instead of reading one history row per inserted line (docs/PERFORMANCE.md, "Add contacts").
    inserted_ids_from = models.BigIntegerField(null=True, blank=True, help_text="First id of the lines it inserted.")
    inserted_ids_to = models.BigIntegerField(null=True, blank=True, help_text="Last id of the lines it inserted.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["segment", "step"]
        constraints = [models.UniqueConstraint(fields=["segment", "step"], name="segment_step_unique")]

    def __str__(self) -> str:
        return f"{self.segment_id} step {self.step}: {self.get_action_display()}"


class SegmentHistory(SegmentLineValues):
    """Undo log of one step: a row per line the step deleted, with the line's overrides, so Go back restores them.
    (The lines a step inserted are its id range, `SegmentCriteriaAction.inserted_ids_from` … `inserted_ids_to`.)"""

    class Kind(models.TextChoices):
        DELETION = "deletion", "Deletion"

    # (action, kind) below covers lookups by action; the contact is only searched when a contact is deleted.
    # No database FK constraints, for the same reason as SegmentLine (one history row per line of a step).
    action = models.ForeignKey(
        SegmentCriteriaAction, on_delete=models.CASCADE, related_name="history", db_index=False, db_constraint=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    line_id = models.BigIntegerField(help_text="The id of the line deleted.")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )

    class Meta:
        indexes = [models.Index(fields=["action", "kind"])]
        verbose_name_plural = "segment history"


class SavedSegmentCriteria(models.Model):
    code = models.CharField(max_length=20, unique=True)
    description = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "saved segment criteria"

    def __str__(self) -> str:
        return f"{self.code} – {self.description}" if self.description else self.code


class SavedSegmentCriteriaStep(models.Model):
    saved = models.ForeignKey(SavedSegmentCriteria, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveIntegerField()
    action = models.CharField(max_length=20, choices=SegmentCriteriaAction.Action.choices)
    criteria = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["saved", "step"]
        constraints = [models.UniqueConstraint(fields=["saved", "step"], name="saved_step_unique")]


class LogJob(BackgroundJob):
    """The slow part of logging a segment (merging letters, sending e-mail), run as a background task.

    Logging itself commits in one short transaction; this row then tracks the task's progress so the logged
    segment page can show it, and a failed job can be run again (it only does what is still left to do).
    """

    # Said wherever a LogJob is failed: what running it again will (and will not) do.
    RERUN_NOTE = "What was merged and sent so far is kept; running the job again does only what is left."
    TASK_PATH = "segments.tasks.run_log_job"
    # The stage while it sends (the progress text counts e-mails from there on).
    SENDING = "Sending e-mail"

    logged_segment = models.ForeignKey(LoggedSegment, on_delete=models.CASCADE, related_name="log_jobs")
    send = models.BooleanField(default=False, help_text="Deliver the e-mail entries after merging.")
    # What this run does, counted when it starts (segments.log_job.log_job_plan): `total` is their sum, and
    # `done` counts letters and e-mail texts merged, then e-mails sent. The card says each as what it is, and
    # never "letters merged" for a run that merged none (docs/BEHAVIOUR.md §13a).
    letters = models.PositiveIntegerField(default=0, help_text="Word letters this run merges.")
    email_texts = models.PositiveIntegerField(default=0, help_text="E-mail texts (HTML) this run merges.")
    emails = models.PositiveIntegerField(default=0, help_text="E-mails this run sends.")

    class Meta(BackgroundJob.Meta):
        pass

    def __str__(self) -> str:
        return f"Log job {self.pk} ({self.get_status_display()})"

    @property
    def merging(self) -> int:
        return self.letters + self.email_texts

    def _merged_noun(self) -> tuple[str, str]:
        if self.letters and self.email_texts:
            return "letter or e-mail text", "letters and e-mail texts"
        if self.email_texts:
            return "e-mail text", "e-mail texts"
        return "letter", "letters"

    @property
    def progress_text(self) -> str:
        """Where a running job stands, counted in what it handles: "Merging letters: 120 of 1,500 letters",
        "Sending e-mail: 3 of 10 e-mails"; a queued job's stage when it says more than "Queued" (queued again);
        empty once it ended."""
        if self.status == self.Status.QUEUED:
            return "" if self.stage in ("", self.get_status_display()) else self.stage
        if self.status != self.Status.RUNNING:
            return ""
        if self.stage == self.SENDING:
            sent = max(0, min(self.done - self.merging, self.emails))
            return f"{self.SENDING}: {sent:,} of {count_of(self.emails, 'e-mail', 'e-mails')}"
        if self.merging:
            singular, plural = self._merged_noun()
            merged = min(self.done, self.merging)
            return f"Merging {plural}: {merged:,} of {count_of(self.merging, singular, plural)}"
        return self.stage

    @property
    def plan_text(self) -> str:
        """What the run does (queued or running) or did (done, failed): letters and e-mails counted as such.

        A queued job has not counted them yet: the page fills them in first (segments.views.logged)."""
        if self.status == self.Status.FAILED:
            return ""  # its error says what went wrong, and RERUN_NOTE what running it again does
        # One decision (merging? sending? any e-mail line?); each sentence in the past once done, else to come.
        done = self.status == self.Status.DONE
        merging = count_of(self.merging, *self._merged_noun())
        if not self.merging:
            merges = "No letter to merge"
        else:
            merges = f"{merging} merged" if done else f"It merges {merging}"
        if not self.send:
            return f"{merges}; nothing sent by e-mail." if done else f"{merges}; it sends nothing by e-mail."
        if not self.emails:
            return f"{merges}; no line is to be sent by e-mail."
        sends = count_of(self.emails, "e-mail", "e-mails")
        if self.merging:
            return f"{merges}, then {sends} sent." if done else f"{merges}, then sends {sends}."
        return f"{merges}; {sends} sent." if done else f"It sends {sends}; there is no letter to merge."


class LetterDownloadJob(BackgroundJob):
    """The "download all letters" of a worksheet too big to merge in a web request (more lines than the setting
    SEGMENT_LETTERS_DIRECT_MAX_LINES): a background task merges them into one file, a zip of per-contact .docx
    or one combined .docx, stored as a StoredDocument; this row tracks its progress and then offers the file to
    whoever may see the segment. The same for the letters to print of a logged segment with that many letters
    (`logged_segment` instead of `segment`): its stored letters are written into the file. Letters as PDF (a zip
    of per-contact PDFs, or one PDF to print) are always made by a job, whatever the number of letters: the
    conversion never runs in a web request (interactions.letter_pdf).

    When the segment is logged or deleted (or the logged segment deleted) the row stays, without it (SET_NULL),
    until the next job run deletes it with its file: logging and deleting a worksheet then cost nothing extra,
    and no file is lost track of (a CASCADE would drop the row and leave its file behind)."""

    class Kind(models.TextChoices):
        ZIP = "zip", "Letters (.zip)"
        DOCX = "docx", "Letters (one .docx)"
        # A worksheet's cover sheets, one PDF (segments.cover_sheets): printing them logs an entry per line.
        COVER_SHEETS = "covers", "Cover sheets (PDF)"
        PDF_ZIP = "pdfzip", "Letters as PDF (.zip)"
        PDF = "pdf", "Letters (one PDF)"

    RERUN_NOTE = "Ask for the letters again."
    TASK_PATH = "segments.tasks.run_letter_download_job"

    segment = models.ForeignKey(Segment, null=True, on_delete=models.SET_NULL, related_name="letter_download_jobs")
    logged_segment = models.ForeignKey(
        LoggedSegment, null=True, blank=True, on_delete=models.SET_NULL, related_name="letter_download_jobs"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    total = models.PositiveIntegerField(default=0, help_text="Lines to merge.")
    done = models.PositiveIntegerField(default=0, help_text="Letters merged so far.")
    # PROTECT: the entries' clean-up of unreferenced stored documents finds this reference and leaves the file.
    document = models.ForeignKey(
        StoredDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    filename = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True, help_text="The free text of cover sheets.")

    class Meta(BackgroundJob.Meta):
        pass

    def __str__(self) -> str:
        owner = f"logged segment {self.logged_segment_id}" if self.logged_segment_id else f"segment {self.segment_id}"
        return f"{self.get_kind_display()} of {owner} ({self.get_status_display()})"

    def _counted(self, number: int) -> str:
        """A count in what this job goes through: a logged segment's stored letters, a worksheet's cover sheets,
        or a worksheet's lines (a line without a Word letter is gone through but gives none)."""
        if self.logged_segment_id:
            return count_of(number, "letter", "letters")
        if self.kind == self.Kind.COVER_SHEETS:
            return count_of(number, "cover sheet", "cover sheets")
        return count_of(number, "line", "lines")

    @property
    def progress_text(self) -> str:
        """While it runs, "Merging letters · 120 of 1,500 lines" (queued, its stage alone); empty once it ended."""
        if not self.is_active:
            return ""
        stage = "" if self.stage == self.get_status_display() else self.stage
        counted = f"{self.done:,} of {self._counted(self.total)}" if self.total else ""
        return " · ".join(part for part in (stage, counted) if part)

    @property
    def outcome_text(self) -> str:
        """What the finished file holds: "1,500 letters, written", "3 cover sheets, printed and logged", "the
        letters of 1,500 lines, merged" (its lines may include some without a letter)."""
        if self.logged_segment_id:
            return f"{self._counted(self.total)}, written"
        if self.kind == self.Kind.COVER_SHEETS:
            return f"{self._counted(self.total)}, printed and logged"
        return f"The letters of {self._counted(self.total)}, merged"
