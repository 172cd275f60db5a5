// Keeps one workload running under `weft dev`: restarts it with backoff when it exits unexpectedly,
// gives up (and shows its last lines) when it keeps crashing, and tells planned stops and restarts
// (Ctrl-C, a source change) apart from crashes.
import { type LineSink, type ProcessSpec, type Supervised, startProcess, stopProcesses } from "./processes.ts";

export type WorkloadState = "starting" | "running" | "restarting" | "crashed" | "stopped";

export interface SupervisorOptions {
  /** Built afresh for every start, so a restart picks up a rebuilt entry point or new settings. */
  spec: () => ProcessSpec;
  sink: LineSink;
  /** Resolves true once the workload serves (e.g. gRPC health SERVING); false after its own timeout. */
  ready: () => Promise<boolean>;
  /** Where the supervisor's own lines go (restarts, crash reports). */
  say: (line: string) => void;
  /** First restart delay; doubles per consecutive crash up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** This many crashes within crashWindowMs and the workload is reported as crashing and left down. */
  crashLimit?: number;
  crashWindowMs?: number;
  /** How long a planned stop waits for SIGTERM before SIGKILL. */
  stopGraceMs?: number;
  onState?: (state: WorkloadState) => void;
}

const tailLength = 15;

export class Supervisor {
  readonly name: string;
  private current: Supervised | undefined;
  private planned = false;
  private crashes: number[] = [];
  private consecutive = 0;
  private readonly tail: string[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private stateValue: WorkloadState = "stopped";
  private readonly options: Required<Omit<SupervisorOptions, "onState">> & Pick<SupervisorOptions, "onState">;

  constructor(name: string, options: SupervisorOptions) {
    this.name = name;
    this.options = {
      initialBackoffMs: 250,
      maxBackoffMs: 10_000,
      crashLimit: 5,
      crashWindowMs: 60_000,
      stopGraceMs: 10_000,
      ...options,
    };
  }

  get state(): WorkloadState {
    return this.stateValue;
  }

  /** The running process, if any (tests kill it to prove the supervisor restarts it). */
  get process(): Supervised | undefined {
    return this.current;
  }

  /** Starts the workload and waits until it is ready; throws with its last lines if it is not. */
  async start(): Promise<void> {
    this.planned = false;
    this.setState("starting");
    const ready = await this.launch();
    if (!ready) {
      await this.stop();
      throw new Error(`${this.name} did not become ready${this.lastLines()}`);
    }
    this.setState("running");
  }

  /** A planned restart (a rebuilt source): stop gracefully, start again, wait until ready. */
  async restart(): Promise<void> {
    await this.stop();
    this.crashes = [];
    this.consecutive = 0;
    await this.start();
  }

  /** A planned kill with the given signal (tests that simulate a crash and restart by hand): no restart follows. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    this.planned = true;
    clearTimeout(this.restartTimer);
    const running = this.current;
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill(signal);
      await running.exited;
    }
    this.current = undefined;
    this.setState("stopped");
  }

  /** A planned stop: no restart follows. */
  async stop(): Promise<void> {
    this.planned = true;
    clearTimeout(this.restartTimer);
    const running = this.current;
    if (running) await stopProcesses([running], this.options.stopGraceMs);
    this.current = undefined;
    this.setState("stopped");
  }

  private async launch(): Promise<boolean> {
    const spec = this.options.spec();
    const started = startProcess(spec, (name, line, stream) => {
      this.tail.push(line);
      if (this.tail.length > tailLength) this.tail.shift();
      this.options.sink(name, line, stream);
    });
    this.current = started;
    const startedAt = Date.now();
    void started.exited.then((outcome) => this.exited(started, outcome, startedAt));
    return Promise.race([this.options.ready(), started.exited.then(() => false)]);
  }

  private exited(process: Supervised, outcome: number | NodeJS.Signals, startedAt: number): void {
    if (this.current !== process || this.planned) return;
    this.current = undefined;
    const now = Date.now();
    // A workload that ran a while before it crashed starts its backoff afresh.
    if (now - startedAt > 30_000) this.consecutive = 0;
    this.crashes = [...this.crashes.filter((t) => now - t < this.options.crashWindowMs), now];
    const how = typeof outcome === "number" ? `exit code ${outcome}` : outcome;
    if (this.crashes.length >= this.options.crashLimit) {
      this.setState("crashed");
      this.options.say(
        `✗ ${this.name} keeps crashing (${this.crashes.length} times in ${Math.round(this.options.crashWindowMs / 1000)} s, last: ${how}); left down until its source changes${this.lastLines()}`,
      );
      return;
    }
    const delay = Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** this.consecutive);
    this.consecutive++;
    this.setState("restarting");
    this.options.say(`↻ ${this.name} exited unexpectedly (${how}); restarting in ${(delay / 1000).toFixed(1)} s`);
    this.restartTimer = setTimeout(() => void this.relaunch(), delay);
  }

  private async relaunch(): Promise<void> {
    if (this.planned) return;
    this.setState("starting");
    const ready = await this.launch();
    if (this.planned) return;
    if (ready) {
      this.setState("running");
      this.options.say(`✓ ${this.name} is back`);
    }
    // Not ready: if it exited, exited() already scheduled the next attempt or gave up.
  }

  private setState(state: WorkloadState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.options.onState?.(state);
  }

  private lastLines(): string {
    return this.tail.length === 0 ? "" : `; its last lines:\n${this.tail.map((l) => `    ${clipped(l)}`).join("\n")}`;
  }
}

/** Longest line quoted from a workload's output. Node prints the source line of an uncaught
 * error, and in a bundle with whitespace minified that line is most of the bundle. */
const quotedLineMax = 400;

function clipped(line: string): string {
  return line.length <= quotedLineMax
    ? line
    : `${line.slice(0, quotedLineMax)}… (${line.length - quotedLineMax} more characters)`;
}
