"""Print cover sheets of a worksheet (docs/BEHAVIOUR.md §10, "Cover sheets"): a page per line as one PDF, an entry
per line; a big worksheet's sheets are drawn by a background job shown on the worksheet's Letters card."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from crm.access import add_service_error, download_response, require_perm
from crm.pdf import PdfUnavailableError
from interactions.forms import CoverSheetForm
from interactions.models import InteractionTemplateSetup

from .. import services
from .common import VIEW
from .common import get_segment as _segment
from .letters import report_prepared

ADD_ENTRY = "interactions.add_interactionlogentry"


def segment_cover_sheets(request, pk: int):
    require_perm(request, VIEW)
    require_perm(request, ADD_ENTRY)
    segment = _segment(pk)
    form = CoverSheetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.segment_cover_sheets_print(segment, text=form.cleaned_data["text"], user=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        except PdfUnavailableError as error:
            form.add_error(None, str(error))
        else:
            if result.job is None:
                return download_response(result.pdf, f"Segment {segment.no} cover sheets.pdf", "application/pdf")
            report_prepared(request, result.job, owner=f"segment {segment.no}", doing="printing the cover sheets")
            return redirect(f"{segment.get_absolute_url()}#letter-jobs")
    logged = InteractionTemplateSetup.template_for(InteractionTemplateSetup.Event.COVER_SHEET) is not None
    return render(
        request,
        "segments/cover_sheets.html",
        {
            "segment": segment,
            "form": form,
            "line_count": segment.lines.count(),
            "in_background": services.cover_sheets_in_background(segment),
            "logged": logged,
            "max_lines": settings.SEGMENT_COVER_SHEETS_DIRECT_MAX_LINES,
        },
    )
