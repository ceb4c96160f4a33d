"""Prometheus metrics shared by every service; labelled by service so one process can host all."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("relaydesk_http_requests_total", "HTTP requests answered", ["service", "route", "status"])
CONSUMED = Counter("relaydesk_messages_consumed_total", "Bus messages handled", ["service", "queue", "outcome"])
HANDLE_SECONDS = Histogram(
    "relaydesk_message_handle_seconds",
    "Time spent handling one bus message",
    ["service", "queue"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
PUBLISHED = Counter("relaydesk_messages_published_total", "Bus messages published", ["service", "kind"])
CONNECTIONS = Gauge("relaydesk_websocket_connections", "Open WebSocket connections", ["service"])
JOBS_RUN = Counter("relaydesk_scheduled_jobs_total", "Scheduled jobs run by the notifier", ["kind", "outcome"])
