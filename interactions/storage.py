"""Content-addressed storage of immutable documents (printed PDFs, template snapshots, uploaded letters)."""

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from .models import StoredDocument


def store_document(data: bytes, *, filename: str, content_type: str) -> StoredDocument:
    """Get or create the StoredDocument for these bytes. The same bytes are stored once."""
    digest = StoredDocument.digest(data)
    existing = StoredDocument.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing
    document = StoredDocument(sha256=digest, filename=filename, content_type=content_type, size=len(data))
    document.file.save(digest, ContentFile(data), save=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Another request stored the same bytes between our read and write: use theirs.
        return StoredDocument.objects.get(sha256=digest)
    return document
