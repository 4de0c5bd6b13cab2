"""Answers rewritten by an optional language model from the retrieved FAQ entries only, and the
guard that refuses a rewrite that is not grounded in them (``compose``, ``guard``)."""
