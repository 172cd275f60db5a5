// A program entry point as services write one: reads the mesh config, which is wrong here.
import { meshConfigFromEnv, runMain } from "../../src/index.ts";

await runMain("bad-config", async () => {
  meshConfigFromEnv();
});
