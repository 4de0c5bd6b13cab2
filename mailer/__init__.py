"""The e-mail channel: ``EmailOutbound`` sends customer messages over SMTP (``aiosmtplib``)
through the same delivery log and retry policy as Telegram (``core.platform.deliveries``).

May import: ``core`` only.
"""

from mailer.outbound import EmailOutbound

__all__ = ["EmailOutbound"]
