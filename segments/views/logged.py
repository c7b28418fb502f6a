"""Logging a segment (the worksheet's Log dialog) and the Logged Segments pages (docs/BEHAVIOUR.md §7, §8)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST, require_safe

from crm.access import add_validation_error, object_action, require_perm, safe_next
from crm.views.lists import ListPageView
from crm.wording import count_of
from interactions.forms import BulkActionForm
from interactions.models import DeliveryStatus, LoggedSegment

from .. import services
from ..filters import LoggedSegmentFilter
from ..log_job import log_job_plan
from ..models import LogJob, Segment
from ..tables import LoggedSegmentTable
from .logged_letters import letters_context

ENTRY_ROWS = 50
CANCELED_VALUES = {"true": True, "false": False}


@require_POST
def segment_log(request, pk: int):
    """POST from the Log dialog: log the segment, then show the logged segment (or back with the reason)."""
    require_perm(request, "segments.log_segment")
    segment = Segment.objects.filter(pk=pk).first()
    if segment is None:
        messages.error(request, "This segment has already been logged or was deleted.")
        return redirect("segments:logged_segment_list")
    send = request.POST.get("send") == "on"
    follow_up = request.POST.get("follow_up") == "on"
    if follow_up:
        require_perm(request, "segments.add_segment")
    try:
        logged = services.segment_log(segment, user=request.user, send=send, follow_up=follow_up)
    except ValidationError as error:
        add_validation_error(request, error)
        still_there = Segment.objects.filter(pk=pk).exists()
        return redirect("segments:segment_detail", pk) if still_there else redirect("segments:logged_segment_list")
    messages.success(
        request,
        format_html(
            'Segment {} has been logged. <a href="{}">Open logged segment {}</a>',
            segment.no,
            logged.get_absolute_url(),
            logged.pk,
        ),
    )
    created = getattr(logged, "follow_up_segment", None)
    if created is not None:
        messages.success(
            request,
            format_html('Follow-up segment <a href="{}">{}</a> was created.', created.get_absolute_url(), created.no),
        )
    return redirect(logged)


class LoggedSegmentListView(ListPageView):
    permission = "interactions.view_loggedsegment"
    table_class = LoggedSegmentTable
    filterset_class = LoggedSegmentFilter
    template_name = "segments/logged_segment_list.html"

    def get_queryset(self):
        return LoggedSegment.objects.select_related("user")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["has_canceled"] = LoggedSegment.objects.filter(canceled=True).exists()
        return context


@require_safe
def logged_segment_detail(request, pk: int):
    require_perm(request, "interactions.view_loggedsegment")
    logged = get_object_or_404(LoggedSegment.objects.select_related("user", "canceled_by"), pk=pk)
    entries = list(logged.entries.select_related("contact", "template", "salesperson").order_by("id")[: ENTRY_ROWS + 1])
    has_more = len(entries) > ENTRY_ROWS
    return render(
        request,
        "segments/logged_segment_detail.html",
        {
            "logged": logged,
            "entries": entries[:ENTRY_ROWS],
            "has_more": has_more,
            "entry_rows": ENTRY_ROWS,
            **_job_context(logged),
            **letters_context(logged),
            "failed_deliveries": logged.entries.filter(delivery_status=DeliveryStatus.ERROR).exists(),
        },
    )


@require_safe
def logged_segment_progress(request, pk: int):
    """The job-progress card alone (htmx polls it every 2 s while the job runs)."""
    require_perm(request, "interactions.view_loggedsegment")
    logged = get_object_or_404(LoggedSegment, pk=pk)
    return render(request, "segments/_log_job.html", {"logged": logged, **_job_context(logged)})


def _counted(job: LogJob, logged: LoggedSegment) -> None:
    """A queued job has not counted its letters and e-mails yet: they are counted here (not stored), so what it
    says of itself uses the same words as a running one."""
    if job.status == LogJob.Status.QUEUED:
        job.letters, job.email_texts, job.emails = log_job_plan(logged, send=job.send)


def _job_said(job: LogJob) -> str:
    """The job's state and what it does or did, counted as its card counts them ("queued): It merges 3 letters,
    then sends 3 e-mails."); the message after asking for it (docs/BEHAVIOUR.md §13a)."""
    job.refresh_from_db()  # as it stands now: usually queued, its task runs after the request's commit
    _counted(job, job.logged_segment)
    said = job.plan_text or job.error
    return f"{job.get_status_display().lower()}): {said}" if said else f"{job.get_status_display().lower()})."


def _job_context(logged: LoggedSegment) -> dict:
    """The logged segment's latest job, a queued one counted (_counted)."""
    job = logged.log_jobs.order_by("-id").first()
    if job is not None:
        _counted(job, logged)
    # A finished sending run "sent" its e-mails to the mail server; the card also says how many of the logged
    # segment's e-mails failed (delivery status "error", docs/BEHAVIOUR.md §12, this run's and any earlier one's)
    # instead of leaving "73 e-mails sent" to stand alone.
    failed_sends = 0
    if job is not None and job.status == LogJob.Status.DONE and job.send and job.emails:
        failed_sends = logged.entries.filter(delivery_status=DeliveryStatus.ERROR).count()
    return {"job": job, "failed_sends": failed_sends}


@require_POST
def logged_segment_cancel(request, pk: int):
    """Cancel or un-cancel (docs/BEHAVIOUR.md §8): the form posts the state wanted, `canceled=true|false`, never a
    toggle, so a stale tab or a second click cannot undo the first (SPEC §7, docs/SECURITY.md)."""
    require_perm(request, "interactions.change_loggedsegment")
    logged = get_object_or_404(LoggedSegment, pk=pk)
    wanted = request.POST.get("canceled", "")
    if wanted not in CANCELED_VALUES:
        return HttpResponseBadRequest(
            "Say which state you want: canceled=true or canceled=false. Nothing was changed.",
            content_type="text/plain; charset=utf-8",
        )
    canceled = CANCELED_VALUES[wanted]
    try:
        services.logged_segment_set_canceled(logged, canceled=canceled, user=request.user)
    except ValidationError as error:
        add_validation_error(request, error)
    else:
        what = "canceled, with all its interactions" if canceled else "un-canceled, with all its interactions"
        messages.success(request, f"Logged segment {logged.pk} was {what}.")
    return redirect(safe_next(request, logged.get_absolute_url()))


@require_POST
@object_action(LoggedSegment, perm="segments.add_segment")
def logged_segment_follow_up(request, logged: LoggedSegment):
    segment = services.logged_segment_create_follow_up(logged, user=request.user)
    lines = count_of(segment.lines.count(), "contact", "contacts")
    messages.success(request, f"Follow-up segment {segment.no} was created with {lines}.")
    return redirect(segment)


@require_POST
def logged_segments_delete_canceled(request):
    require_perm(request, "interactions.delete_loggedsegment")
    deleted = services.logged_segments_delete_canceled(user=request.user)
    if deleted:
        messages.success(
            request,
            f"{deleted} logged segment{'s have' if deleted != 1 else ' has'} been deleted. "
            "Their interactions are kept.",
        )
    else:
        messages.info(request, "There are no canceled logged segments to delete.")
    return redirect("segments:logged_segment_list")


@require_POST
@object_action(LoggedSegment, perm="interactions.change_loggedsegment")
def logged_segment_retry(request, logged: LoggedSegment):
    job = services.logged_segment_retry_delivery(logged, user=request.user)
    if job is None:
        messages.info(request, "Nothing to send again: no delivery failed.")
    else:
        messages.success(request, f"Sending again ({_job_said(job)}")
    return redirect(logged)


@require_POST
@object_action(LoggedSegment, perm="interactions.change_loggedsegment")
def logged_segment_resend_updated(request, logged: LoggedSegment):
    """Resend with updated merge fields (reference 2.13): new entries merged again with today's data and sent."""
    job = services.log_entries_resend_updated(logged, user=request.user)
    messages.success(request, f"Resending with updated merge fields ({_job_said(job)}")
    return redirect(logged)


@require_POST
def entries_resend_updated(request):
    """Resend with updated merge fields from entries selected on the Interaction Log Entries page (reference 2.13).

    The entries page posts its selection here (its button's formaction): the service lives in segments, which
    interactions must not import. Same service and rules as the logged segment's button; the new entries' job is
    watched on their logged segment's page.
    """
    require_perm(request, "interactions.change_loggedsegment")
    back = safe_next(request, reverse("interactions:interaction_list"))
    form = BulkActionForm(request.POST)
    form.is_valid()
    if "ids" in form.errors:
        for error in form.errors["ids"]:
            messages.error(request, str(error))
        return redirect(back)
    ids = form.cleaned_data["ids"]
    try:
        job = services.log_entries_resend_updated(ids, user=request.user)
    except ValidationError as error:
        add_validation_error(request, error)
        return redirect(back)
    messages.success(request, f"Resending with updated merge fields ({_job_said(job)} The old entries are unchanged.")
    return redirect(job.logged_segment)
