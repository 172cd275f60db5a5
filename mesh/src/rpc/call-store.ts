import { AsyncLocalStorage } from "node:async_hooks";
import type { CallContext } from "./binding.ts";

/**
 * The incoming call a piece of code is serving, if any. Outgoing calls read it to propagate the
 * deadline, cancellation and headers without every handler passing its context along by hand.
 */
const store = new AsyncLocalStorage<CallContext>();

export function currentCall(): CallContext | undefined {
  return store.getStore();
}

export function runInCall<A extends unknown[], R>(context: CallContext, run: (...args: A) => R, ...args: A): R {
  return store.run(context, run, ...args);
}
