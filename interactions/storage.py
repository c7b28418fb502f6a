"""Content-addressed storage of immutable documents (printed PDFs, template snapshots, uploaded letters)."""

import hashlib

from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction

from .models import StoredDocument

CHUNK = 1024 * 1024


def store_document(data: bytes, *, filename: str, content_type: str) -> StoredDocument:
    """Get or create the StoredDocument for these bytes. The same bytes are stored once."""
    return _store(
        StoredDocument.digest(data), ContentFile(data), len(data), filename=filename, content_type=content_type
    )


def store_document_file(fileobj, *, filename: str, content_type: str) -> StoredDocument:
    """store_document for a file too big to hold in memory (a seekable binary file, read in chunks): a zip of
    thousands of merged letters is hashed and copied to the storage without ever being read whole."""
    digest, size = hashlib.sha256(), 0
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return _store(digest.hexdigest(), File(fileobj), size, filename=filename, content_type=content_type)


def _store(digest: str, content: File, size: int, *, filename: str, content_type: str) -> StoredDocument:
    existing = StoredDocument.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing
    document = StoredDocument(sha256=digest, filename=filename, content_type=content_type, size=size)
    document.file.save(digest, content, save=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Another request stored the same bytes between our read and write: use theirs.
        return StoredDocument.objects.get(sha256=digest)
    return document
