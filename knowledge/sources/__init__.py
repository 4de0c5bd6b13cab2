"""FAQ source readers: CSV/TSV, JSON, YAML and Markdown files -> validated ``FaqEntry`` objects.

``load_sources(paths)`` reads every file (a folder means the supported files in it, sorted),
validates all of them and merges entries that share an id, so nothing is indexed unless every
file is good. Any problem raises ``core.errors.SourceError`` naming the file and the line.

Formats a support lead can write by hand:

CSV / TSV (UTF-8, header row; ``,`` ``;`` or tab, sniffed). Columns, found by these names
(case-insensitive) unless ``CsvColumns`` names them: id (``id``, ``entry_id``, ``intent``...),
question (``question``, ``q``, ``text``, ``вопрос``...), answer (``answer``, ``response``,
``ответ``...), optional ``language`` and ``tags`` (split on ``,`` ``;`` ``|``). Rows sharing an id
are phrasings of one entry; the answer may be given on one row only. Rows of one id that carry
another ``language`` and another answer are that answer's translation. Without an id column
every row is its own entry with an id derived from its question.

JSON / YAML: a list of entries or ``{"language": "ru", "entries": [...]}``. An entry::

    - id: delivery-time
      questions: [How long does delivery take?, When will my order arrive?]   # or question:
      answer: Usually 1-2 days.          # or {en: "...", ru: "..."}: first is the primary
      language: en                       # optional; the file's ``language`` by default
      tags: [delivery]
      translations: {ru: "Обычно 1-2 дня."}

Markdown: one entry per ``##`` heading (per ``#`` heading when the file has no ``##``); the
heading is the question, the text under it the answer. Lines at the top of the body set extras::

    ---
    language: en                         # front matter: defaults for the whole file
    tags: [delivery]
    ---
    ## How long does delivery take? {#delivery-time}
    Also: When will my order arrive? | How many days is shipping?
    Q: Where is my parcel?
    Tags: delivery, shipping
    Usually 1-2 days.

``{#id}`` (or an ``ID:`` line) fixes the id, else it is the heading's slug. ``Also:`` may also be
followed by ``- phrasing`` list lines. The same id in several files (``faq.en.md``,
``faq.ru.md``) with different languages makes translations: across all formats, entries with one
id are merged, and two different answers in one language are an error.

Modules: ``load`` (``load_sources``, CSV/TSV, JSON and YAML) over ``markdown`` over ``drafts``
(the entries being built, their merge and checks). It may import ``core`` and yaml, nothing
else of ours: the readers know nothing of matching or storage.
"""

from knowledge.sources.load import (
    SUFFIXES,
    CsvColumns,
    csv_header,
    csv_rows,
    find_column,
    load_sources,
    read_text,
    validate_entries,
)

__all__ = [
    "SUFFIXES",
    "CsvColumns",
    "csv_header",
    "csv_rows",
    "find_column",
    "load_sources",
    "read_text",
    "validate_entries",
]
