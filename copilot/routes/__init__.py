"""HTTP routes. Each handler parses, calls one core service and shapes the response."""
