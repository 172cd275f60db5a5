// How a service's code could be run, compared on what every service imports (@weft/mesh and its
// dependencies): tsx compiling the sources, Node's own type stripping, tsc's output, and the esbuild
// bundle `weft dev` runs. Each variant loads the same module graph in a fresh process; the figures
// are the time the import takes and the process's RSS after it.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bundleNodeArgs, WorkloadBuilder } from "@weft/cli/dev";
import { median } from "../harness/stats.ts";

export interface LoaderFigures {
  name: string;
  importMs: number;
  rssMb: number;
}

/** Prints {ms, rss} after importing argv[2], then exits (no service is started: the import alone). */
const probe = `const t = performance.now();
await import(process.argv[2]);
console.log(JSON.stringify({ ms: performance.now() - t, rss: process.memoryUsage().rss / 1048576 }));
process.exit(0);
`;

/**
 * Node's type stripping cannot load these sources as they are: generated code imports "./x_pb.js"
 * for x_pb.ts (what tsc and bundlers expect) and the mesh uses parameter properties, which only
 * --experimental-transform-types accepts. This hook maps the .js specifiers, so the figure is what
 * type stripping would cost if the sources were written for it.
 */
const tsExtensionHook = `import { registerHooks } from "node:module";
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (error) {
      if (error.code === "ERR_MODULE_NOT_FOUND" && specifier.endsWith(".js")) return next(specifier.slice(0, -3) + ".ts", context);
      throw error;
    }
  },
});
`;

/** Runs the comparison in `dir` (inside the repository, so node_modules resolve), `rounds` times alternating. */
export async function compareLoaders(root: string, dir: string, rounds: number): Promise<LoaderFigures[]> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const probeFile = join(dir, "probe.mjs");
  writeFileSync(probeFile, probe);
  writeFileSync(join(dir, "ts-extension-hook.mjs"), tsExtensionHook);
  writeFileSync(join(dir, "entry.ts"), 'export * from "@weft/mesh";\n');
  const bin = (name: string) => join(root, "node_modules", ".bin", name);
  // tsc's output of the mesh, as `npm run build` makes it, into the scratch folder.
  execFileSync(bin("tsc"), ["-p", join(root, "mesh/tsconfig.build.json"), "--outDir", join(dir, "tsc")], { cwd: root });
  const builder = new WorkloadBuilder({ outDir: join(dir, "bundle") });
  const [bundle] = await builder.build([{ name: "mesh", entry: join(dir, "entry.ts") }]);
  await builder.close();
  const variants: Array<{ name: string; args: string[]; target: string }> = [
    {
      name: "tsx (sources compiled on load)",
      args: ["--conditions=weft-source", "--import", "tsx"],
      target: "@weft/mesh",
    },
    {
      name: "Node type stripping (--experimental-transform-types)",
      args: [
        "--experimental-transform-types",
        "--no-warnings",
        "--conditions=weft-source",
        "--import",
        pathToFileURL(join(dir, "ts-extension-hook.mjs")).href,
      ],
      target: "@weft/mesh",
    },
    { name: "tsc output (module by module)", args: [], target: pathToFileURL(join(dir, "tsc", "index.js")).href },
    { name: "esbuild bundle (weft dev)", args: [...bundleNodeArgs], target: pathToFileURL(bundle!.file).href },
  ];
  const samples = new Map(variants.map((v) => [v.name, [] as Array<{ ms: number; rss: number }>]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      const result = spawnSync(process.execPath, [...variant.args, probeFile, variant.target], {
        cwd: root,
        encoding: "utf8",
      });
      if (result.status !== 0)
        throw new Error(`${variant.name}: ${result.stderr.trim().split("\n").slice(-3).join(" / ")}`);
      samples
        .get(variant.name)!
        .push(JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { ms: number; rss: number });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return variants.map((v) => ({
    name: v.name,
    importMs: median(samples.get(v.name)!.map((s) => s.ms)),
    rssMb: median(samples.get(v.name)!.map((s) => s.rss)),
  }));
}
