"""CRM connectors: one module per CRM, each implementing ``core.ports.CrmConnector`` and mapping
the CRM's vocabulary (tickets, deals, leads) to core types: only here do those words appear.

``files`` reads export files, ``hubspot`` the HubSpot CRM v3 API, ``amocrm`` the amoCRM v4 API,
``bitrix24`` Bitrix24's REST API through an inbound webhook;
``http`` is their one retrying HTTP client and ``connect.open_connector`` opens the one a
setting or a command names. The sync itself is the core's (``core.customers.crm_sync``).

May import: core and httpx. Never knowledge, copilot or bot.
"""
