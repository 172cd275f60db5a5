import { afterEach, describe, expect, it, vi } from "vitest";
import { Alarm, every, sleep, Wakeup } from "../../src/lifecycle/index.ts";

const elapsed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
};

describe("sleep", () => {
  it("waits, and says it was not aborted", async () => {
    const { ms, result } = await elapsed(() => sleep(60));
    expect(result).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(55);
  });

  it("ends as soon as the signal aborts, and says so", async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 20);
    const { ms, result } = await elapsed(() => sleep(10_000, stop.signal));
    expect(result).toBe(true);
    expect(ms).toBeLessThan(1_000);
    expect(await sleep(10_000, stop.signal)).toBe(true); // already aborted: at once
  });
});

describe("Wakeup", () => {
  it("cuts a sleep short, without counting as a stop", async () => {
    const wakeup = new Wakeup();
    setTimeout(() => wakeup.wake(), 20);
    const { ms, result } = await elapsed(() => wakeup.sleep(10_000, new AbortController().signal));
    expect(result).toBe(false);
    expect(ms).toBeLessThan(1_000);
  });

  it("keeps a wake-up that comes while nobody sleeps for the next sleep, once", async () => {
    const wakeup = new Wakeup();
    wakeup.wake();
    wakeup.wake();
    expect((await elapsed(() => wakeup.sleep(10_000))).ms).toBeLessThan(100);
    expect((await elapsed(() => wakeup.sleep(60))).ms).toBeGreaterThanOrEqual(55);
  });
});

describe("every", () => {
  it("runs rounds until the signal aborts, then settles at once", async () => {
    const stop = new AbortController();
    let rounds = 0;
    const loop = every(
      10,
      async () => {
        rounds++;
        if (rounds === 3) stop.abort();
      },
      stop.signal,
    );
    await loop;
    expect(rounds).toBe(3);
  });

  it("reports a failing round and goes on with the next one", async () => {
    const stop = new AbortController();
    const errors: unknown[] = [];
    let rounds = 0;
    await every(
      5,
      async () => {
        rounds++;
        if (rounds === 1) throw new Error("flaky");
        stop.abort();
      },
      stop.signal,
      { onError: (error) => errors.push(error) },
    );
    expect(rounds).toBe(2);
    expect(errors).toEqual([new Error("flaky")]);
  });

  it("without onError, a failing round ends the loop with its error", async () => {
    await expect(
      every(
        5,
        async () => {
          throw new Error("broken");
        },
        new AbortController().signal,
      ),
    ).rejects.toThrow("broken");
  });

  it("waits one interval first when asked, and stops during that wait", async () => {
    const stop = new AbortController();
    let rounds = 0;
    setTimeout(() => stop.abort(), 30);
    const { ms } = await elapsed(() =>
      every(
        10_000,
        async () => {
          rounds++;
        },
        stop.signal,
        { delayFirst: true },
      ),
    );
    expect(rounds).toBe(0);
    expect(ms).toBeLessThan(1_000);
  });

  it("starts the next round early when woken", async () => {
    const stop = new AbortController();
    const wakeup = new Wakeup();
    let rounds = 0;
    const loop = every(
      10_000,
      async () => {
        rounds++;
        if (rounds === 2) stop.abort();
      },
      stop.signal,
      { wakeup },
    );
    setTimeout(() => wakeup.wake(), 20);
    const { ms } = await elapsed(() => loop);
    expect(rounds).toBe(2);
    expect(ms).toBeLessThan(1_000);
  });
});

describe("Alarm", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Whether the wait has ended after the fake clock moves by `ms`. */
  async function endedAfter(wait: Promise<boolean>, ms: number): Promise<boolean> {
    let ended = false;
    void wait.then(() => {
      ended = true;
    });
    await vi.advanceTimersByTimeAsync(ms);
    return ended;
  }

  it("sleeps until the due time, or the safety interval when that comes first or nothing is due", async () => {
    vi.useFakeTimers();
    const alarm = new Alarm();
    const wait = alarm.sleepUntil(Date.now() + 500, 10_000);
    expect(await endedAfter(wait, 499)).toBe(false);
    expect(await endedAfter(wait, 1)).toBe(true);
    expect(await endedAfter(alarm.sleepUntil(Date.now() + 60_000, 1_000), 1_000)).toBe(true);
    expect(await endedAfter(alarm.sleepUntil(undefined, 1_000), 999)).toBe(false);
    expect(await endedAfter(alarm.sleepUntil(new Date(Date.now() - 5), 1_000), 0)).toBe(true);
  });

  it("ends at the time of work due before the wait would end, not for work due after it", async () => {
    vi.useFakeTimers();
    const alarm = new Alarm();
    const wait = alarm.sleepUntil(Date.now() + 5_000, 10_000);
    alarm.dueAt(Date.now() + 8_000);
    expect(await endedAfter(wait, 100)).toBe(false);
    alarm.dueAt(new Date(Date.now() + 1_000));
    expect(await endedAfter(wait, 999)).toBe(false);
    expect(await endedAfter(wait, 1)).toBe(true);
  });

  it("ends at once when woken, also by a wake-up between waits", async () => {
    vi.useFakeTimers();
    const alarm = new Alarm();
    const wait = alarm.sleepUntil(undefined, 10_000);
    alarm.wake();
    expect(await endedAfter(wait, 0)).toBe(true);
    alarm.wake();
    expect(await endedAfter(alarm.sleepUntil(undefined, 10_000), 0)).toBe(true);
    expect(await endedAfter(alarm.sleepUntil(undefined, 10_000), 0)).toBe(false);
  });

  it("keeps what falls due between waits for the next wait, and stops on the signal", async () => {
    vi.useFakeTimers();
    const alarm = new Alarm();
    alarm.dueAt(Date.now() + 500);
    const next = alarm.sleepUntil(undefined, 10_000);
    expect(await endedAfter(next, 499)).toBe(false);
    expect(await endedAfter(next, 1)).toBe(true);
    const stop = new AbortController();
    const wait = alarm.sleepUntil(undefined, 10_000, stop.signal);
    stop.abort();
    expect(await wait).toBe(true);
  });
});
