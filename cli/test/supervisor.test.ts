// The dev supervisor with real child processes: a crash is restarted, a crash loop is reported with
// the workload's last lines, and a planned stop stays stopped.
import { afterEach, describe, expect, it } from "vitest";
import { freePort, isListening, waitFor } from "../src/dev/network.ts";
import { Supervisor, type WorkloadState } from "../src/dev/supervisor.ts";

const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
});

/** A workload that listens on `port` and prints a line, like a service that became SERVING. */
function listener(port: number) {
  return {
    name: "echo",
    command: process.execPath,
    args: [
      "-e",
      `require("node:net").createServer().listen(${port}, "127.0.0.1", () => console.log("serving on ${port}"))`,
    ],
    env: {},
  };
}

type Spec = ReturnType<typeof listener>;

function supervise(spec: () => Spec, port: number, said: string[], states: WorkloadState[] = []) {
  const supervisor = new Supervisor("echo", {
    spec,
    sink: () => {},
    ready: () => waitFor(() => isListening("127.0.0.1", port), 5_000, 25),
    say: (line) => said.push(line),
    initialBackoffMs: 50,
    crashLimit: 3,
    crashWindowMs: 10_000,
    onState: (state) => states.push(state),
  });
  supervisors.push(supervisor);
  return supervisor;
}

describe("the dev supervisor", () => {
  it("restarts a SIGKILLed workload and says so; it serves again", async () => {
    const port = await freePort();
    const said: string[] = [];
    const supervisor = supervise(() => listener(port), port, said);
    await supervisor.start();
    const first = supervisor.process!.child.pid;
    supervisor.process!.child.kill("SIGKILL");
    expect(
      await waitFor(async () => supervisor.state === "running" && supervisor.process?.child.pid !== first, 5_000, 25),
    ).toBe(true);
    expect(await isListening("127.0.0.1", port)).toBe(true);
    expect(said.join("\n")).toMatch(/echo exited unexpectedly \(SIGKILL\); restarting in 0\.1 s/);
    expect(said.join("\n")).toMatch(/echo is back/);
  });

  it("reports a workload that keeps crashing, with its last lines, and leaves it down", async () => {
    const port = await freePort();
    const said: string[] = [];
    const states: WorkloadState[] = [];
    const crashing = (message: string): Spec => ({
      name: "echo",
      command: process.execPath,
      args: ["-e", `console.error(${JSON.stringify(message)}); process.exit(3)`],
      env: {},
    });
    const supervisor = supervise(() => crashing("cannot open the database: role missing"), port, said, states);
    await expect(supervisor.start()).rejects.toThrow(/echo did not become ready; its last lines:\n.*role missing/);
    // A failed first start is the launcher's to report, not a crash loop to retry.
    expect(supervisor.state).toBe("stopped");

    // Crashes after a good start are retried until the limit, then reported once.
    let healthy = true;
    let runs = 0;
    const flaky = supervise(() => (healthy ? listener(port) : crashing(`boom ${++runs}`)), port, said, states);
    await flaky.start();
    healthy = false;
    flaky.process!.child.kill("SIGKILL");
    expect(await waitFor(async () => flaky.state === "crashed", 10_000, 25)).toBe(true);
    const report = said.find((line) => line.includes("keeps crashing"));
    expect(report).toMatch(/echo keeps crashing \(3 times in 10 s, last: exit code 3\)/);
    expect(report).toMatch(/boom/);
  });

  it("does not restart after a planned stop", async () => {
    const port = await freePort();
    const said: string[] = [];
    const supervisor = supervise(() => listener(port), port, said);
    await supervisor.start();
    await supervisor.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(supervisor.state).toBe("stopped");
    expect(await isListening("127.0.0.1", port)).toBe(false);
    expect(said).toEqual([]);
  });
});
