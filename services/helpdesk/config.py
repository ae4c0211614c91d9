from pydantic import Field

from lokos.config import ServiceSettings


class HelpdeskSettings(ServiceSettings):
    service_name: str = "helpdesk"
    grpc_port: int = 50056
    # Hours to resolve a ticket, per severity (the SLA clock; past it the ticket is breached).
    sla_hours_critical: float = Field(default=4.0, gt=0)
    sla_hours_high: float = Field(default=24.0, gt=0)
    sla_hours_medium: float = Field(default=72.0, gt=0)
    sla_hours_low: float = Field(default=168.0, gt=0)
    # Spans older than this many days are deleted from the request-search index.
    trace_retention_days: float = Field(default=14.0, gt=0)
    # How often new span lines are read from the trace files into the index, seconds.
    trace_ingest_interval: float = Field(default=1.0, gt=0)
    # Jaeger's query API (http://jaeger:16686): request search reads spans there instead of
    # the local index, for deployments that send spans only to an OTLP backend.
    trace_query_url: str = ""

    def sla_hours(self) -> dict[str, float]:
        return {
            "critical": self.sla_hours_critical,
            "high": self.sla_hours_high,
            "medium": self.sla_hours_medium,
            "low": self.sla_hours_low,
        }
