"""Research and tuning tools: scripts that fit the real matcher on benchmark sets and print what
a setting would do (``python -m tools.<name>``). Not part of the product (not in the wheel).

* ``tune_matcher``: fit on a benchmark KB with cached embeddings, print metrics or a grid;
* ``threshold_density``: out-of-scope recall and accuracy by answer threshold and KB richness;
* ``robustness``: every few-shot set-up under every perturbation, one table;
* ``offtopic_vectors``: rebuild the shipped vectors of the bundled off-topic messages.

They may import ``core``, ``knowledge`` and ``benchmarks.datasets`` (the datasets and their
embedding cache); ``benchmarks`` never imports ``tools``.
"""
