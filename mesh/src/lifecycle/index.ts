export type { EveryOptions } from "./periodic.ts";
export { every, sleep, Wakeup } from "./periodic.ts";
export { runMain, stopOnSignals } from "./run.ts";
