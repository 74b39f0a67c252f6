"""The embedded default provider: nothing leaves the machine.

The message is written to the log; the application's outbound-message table
(``outbound_messages``, provider ``console``) is the outbox a developer reads,
through ``GET /api/v1/messages`` or the database. Stands in for any channel.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from integrations.sms import OutgoingMessage, SendResult, register

log = logging.getLogger("integrations.console")


@register("console")
class ConsoleProvider:
    name = "console"
    channel = "any"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ConsoleProvider:
        return cls()

    def send(self, message: OutgoingMessage) -> SendResult:
        sid = f"console-{uuid.uuid4().hex}"
        log.info("console message %s to %s [%s]: %s", sid, message.to, message.reference, message.body)
        return SendResult(provider_message_id=sid, status="sent")
