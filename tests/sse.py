"""Reading Server-Sent Events (GET /api/v1/events) in tests: from the Flask test client or a socket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Message:
    event: str | None
    data: Any
    id: str | None
    retry: int | None
    comment: str | None


def parse(block: str) -> Message:
    """One message (the lines between blank lines), as the EventSource spec reads it."""
    event = data = event_id = retry = comment = None
    for line in block.split("\n"):
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "":
            comment = value
        elif name == "event":
            event = value
        elif name == "data":
            data = json.loads(value)
        elif name == "id":
            event_id = value
        elif name == "retry":
            retry = int(value)
    return Message(event, data, event_id, retry, comment)


def messages(chunks: Iterable[bytes | str]) -> Iterator[Message]:
    buffer = ""
    for chunk in chunks:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            yield parse(block)


def read_events(resp: Any, count: int, timeout: float = 10.0) -> list[Message]:
    """The first ``count`` events (not comments) of a streamed test-client response, or fewer if the
    stream ends or ``timeout`` passes first; the response is closed (the stream's slot freed)."""
    out: list[Message] = []
    deadline = time.monotonic() + timeout
    try:
        for msg in messages(resp.response):
            if msg.event is not None:
                out.append(msg)
            if len(out) >= count or time.monotonic() > deadline:
                break
    finally:
        resp.close()
    return out
