import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

/** Writes a Weft app (weft.app.yaml and services/<name>/weft.yaml) into `dir`, for tests of the runtime. */
export function writeApp(
  dir: string,
  app: Record<string, unknown>,
  services: Record<string, Record<string, unknown>>,
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "weft.app.yaml"), stringify(app));
  for (const [name, manifest] of Object.entries(services)) {
    mkdirSync(join(dir, "services", name), { recursive: true });
    writeFileSync(join(dir, "services", name, "weft.yaml"), stringify({ name, ...manifest }));
  }
  return dir;
}

/** A small app over the echo fixtures: `echo` at the edge, `counter` internal, `caller` calling echo's Echo only. */
export function writeEchoApp(dir: string, app: Record<string, unknown> = {}): string {
  return writeApp(
    dir,
    { name: "demo", namespace: "demo-ns", ...app },
    {
      echo: { implements: ["weft.echo.v1.EchoService"], edge: true },
      counter: { implements: ["weft.echo.v1.CounterService"], publishes: ["weft.echo.v1.ThingNamed"] },
      caller: { implements: ["weft.echo.v1.ChatService"], calls: { echo: ["EchoService/Echo"] } },
      lonely: { implements: ["weft.echo.v1.LonelyService"] },
    },
  );
}
