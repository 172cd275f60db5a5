// Which traffic window a span counts in. One place decides, so the traffic view, the topology and
// the history rebuild after a restart agree.
import { type ConsoleApp, ownerOf } from "../app.ts";
import type { SpanRecord } from "../otlp/model.ts";

export const trafficKey = {
  /** A method as its server saw it: the RED rows of the traffic view. */
  method: (service: string, method: string) => `method|${service}|${method}`,
  /** All server spans of a service: a topology node. */
  node: (service: string) => `node|${service}`,
  /** Client calls from one workload to another: a topology edge. */
  call: (caller: string, callee: string) => `call|${caller}|${callee}`,
  publish: (service: string) => `publish|${service}`,
  consume: (service: string) => `consume|${service}`,
};

/** The windows a span counts in (none for internal spans). */
export function trafficKeysOf(span: SpanRecord, app: ConsoleApp | undefined): string[] {
  const rpcService = span.attributes["rpc.service"];
  const rpcMethod = span.attributes["rpc.method"];
  switch (span.kind) {
    case "server":
      if (typeof rpcService === "string" && typeof rpcMethod === "string") {
        return [trafficKey.method(span.service, `${rpcService}/${rpcMethod}`), trafficKey.node(span.service)];
      }
      return [trafficKey.node(span.service)];
    case "client":
      if (typeof rpcService !== "string") return [];
      return [trafficKey.call(span.service, ownerOf(app, rpcService) ?? rpcService)];
    case "producer":
      return [trafficKey.publish(span.service)];
    case "consumer":
      return [trafficKey.consume(span.service)];
    default:
      return [];
  }
}
