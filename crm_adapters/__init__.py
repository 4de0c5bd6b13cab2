"""CRM connectors: one module per CRM, each implementing ``core.ports.CrmConnector`` and mapping
the CRM's "ticket"/"deal"/"order" vocabulary to core types (only here do those words appear).

May import: core, httpx and the CRM's own client library. Never knowledge, copilot or bot.
No connector ships yet; the copilot works without one (orders come from customer attributes).
"""
