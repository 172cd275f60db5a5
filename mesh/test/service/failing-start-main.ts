// A service whose start fails (FAIL_AT=setup: its setup throws; FAIL_AT=serve: its port is
// taken) after the runtime has opened its mesh, metrics port, database, event bus, relay — and,
// for serve, the service's consumer and background loop. It prints why it failed and then does
// nothing: the process ends by itself only if the failed start closed everything it opened.
import { CounterServiceBinding, type CounterServiceHandlers } from "@weft/gen/weft/echo/v1/counter_weft.js";
import { ThingNamedSchema } from "@weft/gen/weft/echo/v1/events_pb.js";
import { startConsumer } from "../../src/events/index.ts";
import { every, provide, startService } from "../../src/index.ts";

const handlers: CounterServiceHandlers = {
  getCounter: async () => ({}),
  addToCounter: async () => ({}),
};

await startService({
  name: "counter",
  schema: {},
  migrationsFolder: new URL("../data/fixtures/service-only", import.meta.url).pathname,
  async setup({ mesh, bus, db }) {
    if (process.env.FAIL_AT === "setup") throw new Error("setup failed on purpose");
    const consumer = await startConsumer({
      bus,
      db,
      name: process.env.CONSUMER_NAME ?? "failing-start",
      events: [ThingNamedSchema],
      handle: async () => {},
      logger: mesh.logger,
    });
    return {
      services: [provide(CounterServiceBinding, handlers)],
      consumers: [consumer],
      background: [(signal) => every(50, async () => {}, signal)],
    };
  },
}).then(
  () => {
    process.stdout.write("started\n");
    process.exit(3);
  },
  (error: unknown) => process.stdout.write(`failed: ${error instanceof Error ? error.message : String(error)}\n`),
);
