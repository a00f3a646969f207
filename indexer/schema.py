"""The index schema. It is pickled into the index, so everything it names lives at
a stable import path; ``SCHEMA_VERSION`` changes whenever the schema or the
analysis changes what is indexed, and an index of another version must be rebuilt."""

from __future__ import annotations

from whoosh.fields import ID, STORED, TEXT, Schema

from .analysis import exact_analyzer, lemma_analyzer, stem_analyzer
from .documents import Document

SCHEMA_VERSION = 6

# Text fields and their two other views, stems and lemmas: search ranks exact-form
# matches above stem-only ones, and those above lemma-only ones.
TEXT_FIELDS = ("title", "text")
STEM_SUFFIX = "_stem"
LEMMA_SUFFIX = "_lemma"


def build_schema(stemmer: str) -> Schema:
    exact = exact_analyzer()
    stem = stem_analyzer(stemmer)
    lemma = lemma_analyzer()
    return Schema(
        # sortable: ties in score are ordered by id, read from this column.
        id=ID(stored=True, unique=True, sortable=True),
        title=TEXT(analyzer=exact, stored=True, phrase=True),
        # A word may have several stems at one position (وقال: وقال، قال): any may match.
        title_stem=TEXT(analyzer=stem, phrase=True, multitoken_query="or"),
        text=TEXT(analyzer=exact, stored=True, phrase=True),
        text_stem=TEXT(analyzer=stem, phrase=True, multitoken_query="or"),
        # No positions: the lemma view is matched word by word, never in phrases.
        title_lemma=TEXT(analyzer=lemma, phrase=False),
        text_lemma=TEXT(analyzer=lemma, phrase=False),
        collection=ID(stored=True, sortable=True),
        date=ID(stored=True, sortable=True),
        url=STORED(),
        metadata=STORED(),
        source=ID(stored=True),
        content_hash=STORED(),
    )


def document_fields(doc: Document) -> dict[str, object]:
    """The values to index for one document; empty optional fields are left out."""
    values: dict[str, object] = {
        "id": doc.id,
        "title": doc.title,
        "title_stem": doc.title,
        "title_lemma": doc.title,
        "text": doc.text,
        "text_stem": doc.text,
        "text_lemma": doc.text,
        "content_hash": doc.content_hash(),
    }
    optional = {"collection": doc.collection, "date": doc.date, "url": doc.url, "source": doc.source}
    values.update({name: value for name, value in optional.items() if value})
    if doc.metadata:
        values["metadata"] = doc.metadata
    return values
