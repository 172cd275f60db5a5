import type { Logger } from "@weft/mesh";

/** What the edge cut off or refused, one name per limit (the `event` field of the log line). */
export type EdgeEvent =
  | "first_byte_timeout"
  | "headers_timeout"
  | "request_timeout"
  | "write_timeout"
  | "connection_limit"
  | "client_limit"
  | "bad_request"
  | "keepalive_timeout"
  | "http2_idle_timeout";

/** Events that are part of normal traffic (a browser leaves a keep-alive socket idle): debug only. */
const routine: ReadonlySet<EdgeEvent> = new Set(["keepalive_timeout", "http2_idle_timeout"]);

/**
 * One log line per limit the edge enforces, at warn (a client misbehaved or an attack is under
 * way; the edge itself is fine, so never error). A flood must not turn into a flood of log lines:
 * each event logs at most once per `intervalMs`, and the next line carries how many were
 * suppressed in between.
 */
export class EdgeLog {
  private readonly windows = new Map<EdgeEvent, { until: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  report(event: EdgeEvent, fields: Record<string, unknown>, message: string): void {
    if (routine.has(event)) {
      this.logger.debug({ event, ...fields }, message);
      return;
    }
    const now = this.now();
    const window = this.windows.get(event);
    if (window !== undefined && now < window.until) {
      window.suppressed++;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    this.windows.set(event, { until: now + this.intervalMs, suppressed: 0 });
    this.logger.warn({ event, ...fields, ...(suppressed > 0 ? { suppressed } : {}) }, message);
  }
}
