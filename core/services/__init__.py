"""Use-case services: async functions, the session first and everything else keyword-only."""
