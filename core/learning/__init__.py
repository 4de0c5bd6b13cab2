"""The knowledge record and how it learns: ``knowledge_item`` rows, the system of record
of the FAQ (``items``), phrasings proposed from operators' resolutions (``candidates``) and the
supervisor's review that indexes approved ones (``review``).

May import: ``core.conversation``, ``core.cases``, ``core.platform`` and the base.
"""
