"""Late orders and late promises: the customer is told first, once (``orders``, ``promises``).
Each finds what is late, composes the notice in the customer's language and stores it as a
``proactive_notice`` (unique per subject and customer); ``core.incidents.release`` queues it into
the delivery log like an incident's."""
