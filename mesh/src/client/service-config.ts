import type { ChannelOptions } from "@grpc/grpc-js";
import { retryableCodeNames } from "../rpc/status-classes.ts";

export interface ChannelSettings {
  /** The fully qualified gRPC service the channel calls (the retry policy's scope). */
  service: string;
  /** 1 turns retries off for this channel. */
  retryMaxAttempts: number;
  maxMessageBytes: number;
}

/**
 * grpc-js channel options for one upstream: round_robin over every address the name resolves to
 * (a Kubernetes headless Service gives one per pod), keepalive so dead peers are noticed, message
 * size limits, and — on the retrying channel — gRPC's own retry policy for the retryable codes of
 * the status table (UNAVAILABLE), which
 * retries only what is safe because the caller chooses that channel only for such calls.
 */
export function channelOptions(settings: ChannelSettings): Partial<ChannelOptions> {
  const retrying = settings.retryMaxAttempts > 1;
  const serviceConfig = {
    loadBalancingConfig: [{ round_robin: {} }],
    methodConfig: retrying
      ? [
          {
            name: [{ service: settings.service }],
            retryPolicy: {
              maxAttempts: settings.retryMaxAttempts,
              initialBackoff: "0.05s",
              maxBackoff: "1s",
              backoffMultiplier: 2,
              retryableStatusCodes: [...retryableCodeNames],
            },
          },
        ]
      : [],
  };
  return {
    "grpc.service_config": JSON.stringify(serviceConfig),
    "grpc.service_config_disable_resolution": 1,
    "grpc.enable_retries": retrying ? 1 : 0,
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 10_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.max_receive_message_length": settings.maxMessageBytes,
    "grpc.max_send_message_length": settings.maxMessageBytes,
  };
}
