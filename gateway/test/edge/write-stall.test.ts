import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { WriteStallWatch } from "../../src/edge/write-stall.ts";

class FakeWritable extends EventEmitter {
  writableNeedDrain = false;
  destroyed = false;
}

let watch: WriteStallWatch | undefined;
afterEach(() => watch?.stop());

describe("the write timeout", () => {
  it("cuts a writable that has not drained for the timeout, and only that one", () => {
    let now = 0;
    watch = new WriteStallWatch(1_000, () => now);
    const stalled = new FakeWritable();
    const reading = new FakeWritable();
    const cut: string[] = [];
    watch.watch(stalled, () => cut.push("stalled"));
    watch.watch(reading, () => cut.push("reading"));
    stalled.writableNeedDrain = true;
    reading.writableNeedDrain = true;
    for (now = 0; now <= 3_000; now += 250) {
      watch.sweep();
      // The reading client keeps draining its buffer, however often it fills again.
      reading.emit("drain");
    }
    expect(cut).toEqual(["stalled"]);
    expect(watch.size).toBe(1);
  });

  it("forgets writables that closed or were destroyed", () => {
    watch = new WriteStallWatch(1_000, () => 0);
    const closed = new FakeWritable();
    const destroyed = new FakeWritable();
    watch.watch(closed, () => {});
    watch.watch(destroyed, () => {});
    closed.emit("close");
    destroyed.destroyed = true;
    watch.sweep();
    expect(watch.size).toBe(0);
  });

  it("does not cut a writable whose buffer is below the high-water mark", () => {
    let now = 0;
    watch = new WriteStallWatch(100, () => now);
    const idle = new FakeWritable();
    let cut = false;
    watch.watch(idle, () => {
      cut = true;
    });
    for (now = 0; now < 10_000; now += 50) watch.sweep();
    expect(cut).toBe(false);
  });
});
