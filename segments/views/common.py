"""What the worksheet views share: the permission names and the 404-or-object helpers."""

from django.shortcuts import get_object_or_404

from ..models import Segment, SegmentLine

VIEW, CHANGE, ADD, DELETE = (
    "segments.view_segment",
    "segments.change_segment",
    "segments.add_segment",
    "segments.delete_segment",
)


def get_segment(pk: int) -> Segment:
    return get_object_or_404(Segment.objects.select_related("template", "salesperson", "created_by"), pk=pk)


def get_line(segment: Segment, line_id: int) -> SegmentLine:
    return get_object_or_404(
        SegmentLine.objects.select_related("contact__company", "contact__salesperson", "template", "letter"),
        pk=line_id,
        segment=segment,
    )
