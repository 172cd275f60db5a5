import type { ChannelCredentials } from "@grpc/grpc-js";
import type { Logger } from "@weft/mesh";
import { checkHealth } from "@weft/mesh/launcher";

/** Asks one upstream for its grpc.health.v1 status: `SERVING`, or why not. */
export type HealthProbe = (target: string, credentials: ChannelCredentials) => Promise<string>;

/**
 * `/readyz`: every upstream answers the standard gRPC health check with SERVING, asked over the
 * mesh with the gateway's own identity (health is not subject to policy). The answer is only the
 * verdict; which upstream failed, and its address, goes to the log. Callers share one check: while
 * one runs, and for `reuseMs` after it ends, every caller gets its result, so a flood of /readyz
 * costs the upstreams at most one health check each per `reuseMs`.
 */
export class Readiness {
  private last: { at: number; ready: boolean } | undefined;
  private running: Promise<boolean> | undefined;

  constructor(
    private readonly targets: ReadonlyMap<string, string>,
    private readonly credentials: ChannelCredentials,
    private readonly logger: Logger,
    private readonly reuseMs = 1_000,
    private readonly probe: HealthProbe = checkHealth,
  ) {}

  ready(): Promise<boolean> {
    if (this.running !== undefined) return this.running;
    if (this.last !== undefined && Date.now() - this.last.at < this.reuseMs) return Promise.resolve(this.last.ready);
    const running = this.check().then((ready) => {
      this.last = { at: Date.now(), ready };
      return ready;
    });
    this.running = running;
    void running.finally(() => {
      this.running = undefined;
    });
    return running;
  }

  private async check(): Promise<boolean> {
    const results = await Promise.all(
      [...this.targets].map(async ([name, target]) => {
        const status = await this.probe(target, this.credentials).catch((error: unknown) => `UNREACHABLE: ${error}`);
        return { name, target, status };
      }),
    );
    const failing = results.filter((r) => r.status !== "SERVING");
    if (failing.length > 0) this.logger.warn({ upstreams: failing }, "not ready: upstreams not serving");
    return failing.length === 0;
  }
}
