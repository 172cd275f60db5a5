export type { EveryOptions } from "./periodic.ts";
export { Alarm, every, sleep, Wakeup } from "./periodic.ts";
export { runMain, stopOnSignals } from "./run.ts";
