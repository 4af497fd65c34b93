"""OpenTelemetry set-up and W3C trace-context propagation through message headers."""

from opendso_telemetry.tracing import (
    extract_context,
    inject_headers,
    setup_tracing,
    trace_id_hex,
    tracer,
)

__all__ = ["extract_context", "inject_headers", "setup_tracing", "trace_id_hex", "tracer"]
