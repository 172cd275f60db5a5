import { randomUUID } from "node:crypto";
import { create, type Message } from "@bufbuild/protobuf";
import { Metadata } from "@grpc/grpc-js";
import { type CallContext, methodsOf } from "../rpc/binding.ts";
import { Code, RpcError } from "../rpc/errors.ts";
import type { ServiceImplementation } from "./serve.ts";

/**
 * Calls a unary method of this workload's own handlers without the network: how a service that
 * issues the app's tokens serves its own JWKS to its own verifier (a call to itself over the mesh
 * would need a policy letting it call itself). No interceptors run: it is not a call from a peer.
 */
export async function callInProcess(
  implementation: ServiceImplementation,
  methodName: string,
  request: Message,
  timeoutMs: number,
): Promise<Message> {
  const entry = methodsOf(implementation.binding).find(([, method]) => method.name === methodName);
  const desc = entry && implementation.binding.desc.method[entry[0]];
  if (entry === undefined || desc === undefined || desc.methodKind !== "unary") {
    throw new RpcError(
      Code.UNIMPLEMENTED,
      `${implementation.binding.desc.typeName}/${methodName} is not a unary method`,
    );
  }
  const [key, method] = entry;
  const handler = (implementation.handlers as Record<string, (request: unknown, context: CallContext) => unknown>)[key];
  if (typeof handler !== "function") throw new RpcError(Code.UNIMPLEMENTED, `no handler for ${method.path}`);
  const signal = AbortSignal.timeout(timeoutMs);
  const context: CallContext = {
    method,
    signal,
    deadline: new Date(Date.now() + timeoutMs),
    metadata: new Metadata(),
    requestId: randomUUID(),
    peerAddress: "in-process",
    principal: undefined,
    responseTrailers: new Metadata(),
    user: async () => undefined,
  };
  const response = await handler.call(implementation.handlers, request, context);
  return create(desc.output, response as Parameters<typeof create<typeof desc.output>>[1]);
}
