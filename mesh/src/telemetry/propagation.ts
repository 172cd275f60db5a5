import type { Metadata } from "@grpc/grpc-js";
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";

/** Reads text headers only: propagators never use binary (`-bin`) metadata. */
const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key);
    // The usual case (one traceparent) without building an array per header per call.
    if (values.length <= 1) return typeof values[0] === "string" ? values[0] : undefined;
    const texts = values.filter((value): value is string => typeof value === "string");
    if (texts.length === 0) return undefined;
    return texts.length === 1 ? texts[0] : texts;
  },
};

/** set() replaces, so re-injecting on a retry never leaves two traceparent values. */
const metadataSetter: TextMapSetter<Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};

/** Writes the trace context of `ctx` (default: the active one) into outgoing call metadata. */
export function injectTraceContext(metadata: Metadata, ctx: Context = context.active()): void {
  propagation.inject(ctx, metadata, metadataSetter);
}

/**
 * The caller's trace context from incoming call metadata. Built on the root context rather than
 * the active one so nothing that happens to be active in the transport leaks into the request.
 */
export function extractTraceContext(metadata: Metadata): Context {
  return propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
}
