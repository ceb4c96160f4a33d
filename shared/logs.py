"""JSON log lines that carry the message id being handled, across every service."""

import contextvars
import logging
import sys
from datetime import UTC, datetime

import msgspec

message_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("relaydesk_message_id", default=None)
_encoder = msgspec.json.Encoder()


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, message_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (message_id := message_id_var.get()) is not None:
            line["message_id"] = message_id
        for key in ("service", "conversation_id", "agent_id", "event"):
            if (value := getattr(record, key, None)) is not None:
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _encoder.encode(line).decode()


def setup_logging(level: str) -> None:
    """Route every logger, FastStream's and aiohttp's included, to JSON on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log would print every request line: keep it for warnings only.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
