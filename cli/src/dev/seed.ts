// The app's dev.seed module (weft.app.yaml): run once the platform is up, in a process of its
// own like every other piece of app code, with WEFT_GATEWAY_URL pointing at the gateway.

import { seedBundle } from "./build.ts";
import type { Platform } from "./platform.ts";
import { type LineSink, startProcess } from "./processes.ts";
import { bundleProgram } from "./programs.ts";

/** Runs the seed module if the app has one; resolves when it exits 0, rejects otherwise. */
export async function runSeed(platform: Platform, logs: LineSink, env: Record<string, string> = {}): Promise<boolean> {
  const seed = platform.app.manifest.dev.seed;
  if (seed === undefined) return false;
  const seeding = startProcess(
    {
      name: "seed",
      // Bundled with the workloads (build.ts's seedWorkload).
      ...bundleProgram(platform.bundle(seedBundle)),
      cwd: platform.app.root,
      env: { ...env, WEFT_APP_DIR: platform.app.root, WEFT_GATEWAY_URL: platform.gatewayUrl },
    },
    logs,
  );
  const outcome = await seeding.exited;
  if (outcome !== 0) throw new Error(`the seed module ${seed} failed (${outcome}); see its lines above`);
  return true;
}
