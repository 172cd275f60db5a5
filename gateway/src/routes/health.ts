import type { ChannelCredentials } from "@grpc/grpc-js";
import { checkHealth } from "@weft/mesh/launcher";

/**
 * `/readyz`: every upstream answers the standard gRPC health check with SERVING, asked over the
 * mesh with the gateway's own identity (health is not subject to policy).
 */
export class Readiness {
  constructor(
    private readonly targets: ReadonlyMap<string, string>,
    private readonly credentials: ChannelCredentials,
  ) {}

  async check(): Promise<{ ready: boolean; upstreams: Record<string, string> }> {
    const results = await Promise.all(
      [...this.targets].map(async ([name, target]) => [name, await checkHealth(target, this.credentials)] as const),
    );
    return { ready: results.every(([, status]) => status === "SERVING"), upstreams: Object.fromEntries(results) };
  }
}
