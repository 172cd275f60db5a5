import { type ChannelCredentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";

const Health = makeGenericClientConstructor(healthService, "Health");

/** Asks a server's grpc.health.v1 service for its overall status ("" service). */
export function checkHealth(target: string, credentials: ChannelCredentials, timeoutMs = 1_000): Promise<string> {
  // grpc-js types generic clients' methods as an index signature; this one has Check.
  const client = new Health(target, credentials) as unknown as {
    Check(
      request: { service: string },
      options: { deadline: number },
      callback: (error: ServiceError | null, reply?: { status: string }) => void,
    ): void;
    close(): void;
  };
  return new Promise((resolve) =>
    client.Check({ service: "" }, { deadline: Date.now() + timeoutMs }, (error, reply) => {
      client.close();
      resolve(error ? "UNREACHABLE" : (reply?.status ?? "UNKNOWN"));
    }),
  );
}
