// The JavaScript `weft dev` runs: each workload (every service of the manifests, and the gateway)
// bundled by esbuild into one ESM file with a source map, under <dataDir>/build/<workload>/.
//
// Why one bundle per workload rather than tsx, tsc output or Node's type stripping (BENCHMARKS.md
// P5 has the figures): all three leave Node to resolve and load every module of node_modules one
// by one, and Node 24 parses a package's package.json again for each module it resolves inside it
// (drizzle-orm's is 180 KB and has hundreds of modules), so a service spends seconds and well
// over 100 MB before it serves. One file needs one read and no resolution at all.
//
// A bundle moves every module to one file, which breaks code that finds its own files next to
// itself (`new URL("../drizzle", import.meta.url)`, `__dirname + "/../proto"`): the
// `prepareModules` plugin below replaces those with each module's own location at build
// time, so app code and dependencies find their migrations, schemas and .proto files as they do
// unbundled. The bundle therefore runs where it was built, which is what `weft dev` and the
// image (built and run at /app) do.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type App, gatewayWorkload } from "@weft/mesh/app";
import * as esbuild from "esbuild";
import { resolveDependency, runningFromSource, sourceCondition } from "../self.ts";
import { thinSourceMapFile } from "./source-map.ts";

export interface Workload {
  name: string;
  /** Its TypeScript (or, installed, JavaScript) entry point. */
  entry: string;
}

/** Every workload of the app, from the manifests: each service's src/main.ts, then the gateway. */
export function workloadsOf(app: App): Workload[] {
  return [
    ...app.services.map((service) => ({ name: service.name, entry: join(service.dir, "src", "main.ts") })),
    { name: gatewayWorkload, entry: gatewayEntry() },
  ];
}

/** The seed bundle's name: not a valid service name (those are [a-z][a-z0-9-]*), so it never collides with one. */
export const seedBundle = "_seed";

/** The app's dev.seed module (weft.app.yaml), bundled like a workload and run once by `weft dev`. */
export function seedWorkload(app: App): Workload | undefined {
  const seed = app.manifest.dev.seed;
  return seed === undefined ? undefined : { name: seedBundle, entry: join(app.root, seed) };
}

/** The gateway's entry: the `./main` export of @weft/gateway, its sources inside the repository. */
function gatewayEntry(): string {
  const manifestFile = resolveDependency("@weft/gateway/package.json");
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as {
    exports: Record<string, Record<string, string>>;
  };
  const entry = manifest.exports["./main"]?.[runningFromSource ? sourceCondition : "default"];
  if (entry === undefined) throw new Error(`${manifestFile}: exports["./main"] is missing`);
  return join(dirname(manifestFile), entry);
}

/**
 * What stays outside the bundle, loaded from node_modules only if the code asks for it:
 * the OpenTelemetry SDK and its exporters (imported lazily when OTEL_* turns tracing on, so the
 * default never holds them) and pino-pretty (required on demand for pretty logs). The
 * OpenTelemetry API is outside too, so that the app and the SDK share one copy: a second copy
 * inside the bundle would keep its own proxy tracer provider, which the SDK never delegates, and
 * every tracer taken before tracing started (at module load) would stay a no-op.
 */
export const bundleExternals = ["@opentelemetry/api", "@opentelemetry/sdk-node", "pino-pretty"];

/** Node's arguments for running a bundle: stack traces name the .ts files and lines. */
export const bundleNodeArgs = ["--enable-source-maps"];

export interface BuildOptions {
  /** Bundles go to <outDir>/<workload>/main.mjs. */
  outDir: string;
}

export interface BuildOutcome {
  name: string;
  file: string;
  /** False when the bundle on disk was up to date and nothing was built. */
  built: boolean;
  ms: number;
}

/** Where a workload's bundle is written. */
export function bundleFile(outDir: string, name: string): string {
  return join(outDir, name, "main.mjs");
}

/** The inputs a bundle was made from, with their sizes and modification times, to tell when it is stale. */
interface BuildRecord {
  key: string;
  inputs: Record<string, string>;
}

function fingerprint(file: string): string | undefined {
  try {
    const stat = statSync(file);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * Builds workloads' bundles, each only when stale (a missing bundle, a different esbuild or
 * entry, or any input file changed since). `build` makes every stale bundle in one esbuild run,
 * which parses the modules they share once; `rebuild` keeps an esbuild context per workload, so
 * the watch mode's next rebuild of the same workload reuses what did not change.
 */
export class WorkloadBuilder {
  readonly #outDir: string;
  readonly #contexts = new Map<string, Promise<esbuild.BuildContext<{ metafile: true }>>>();

  constructor(options: BuildOptions) {
    this.#outDir = options.outDir;
  }

  /** Builds what is stale of `workloads`. */
  async build(workloads: readonly Workload[]): Promise<BuildOutcome[]> {
    const started = performance.now();
    const stale = workloads.filter((workload) => !this.#upToDate(workload));
    if (stale.length > 0) {
      const options = bundleOptions(
        this.#outDir,
        stale.map((workload) => this.#entryOf(workload)),
      );
      this.#record(stale, (await esbuild.build({ ...options, metafile: true })).metafile);
    }
    const ms = performance.now() - started;
    return workloads.map((workload) => ({
      name: workload.name,
      file: bundleFile(this.#outDir, workload.name),
      built: stale.includes(workload),
      ms,
    }));
  }

  /** Builds one workload again (its sources changed). */
  async rebuild(workload: Workload): Promise<BuildOutcome> {
    const started = performance.now();
    let context = this.#contexts.get(workload.name);
    if (context === undefined) {
      context = esbuild.context({ ...bundleOptions(this.#outDir, [this.#entryOf(workload)]), metafile: true });
      this.#contexts.set(workload.name, context);
    }
    this.#record([workload], (await (await context).rebuild()).metafile);
    return {
      name: workload.name,
      file: bundleFile(this.#outDir, workload.name),
      built: true,
      ms: performance.now() - started,
    };
  }

  async close(): Promise<void> {
    const contexts = [...this.#contexts.values()];
    this.#contexts.clear();
    await Promise.all(contexts.map(async (context) => (await context).dispose()));
  }

  #entryOf(workload: Workload): BundleEntry {
    return { in: workload.entry, out: `${workload.name}/main` };
  }

  #recordFile(name: string): string {
    return join(this.#outDir, name, "inputs.json");
  }

  #upToDate(workload: Workload): boolean {
    if (!existsSync(bundleFile(this.#outDir, workload.name))) return false;
    let record: BuildRecord;
    try {
      record = JSON.parse(readFileSync(this.#recordFile(workload.name), "utf8")) as BuildRecord;
    } catch {
      return false;
    }
    return (
      record.key === keyOf(workload) &&
      Object.entries(record.inputs).every(([path, print]) => fingerprint(path) === print)
    );
  }

  /** Thins each built workload's source map, and writes its inputs (from esbuild's metafile) beside its bundle. */
  #record(workloads: readonly Workload[], metafile: esbuild.Metafile): void {
    for (const workload of workloads) {
      thinSourceMapFile(`${bundleFile(this.#outDir, workload.name)}.map`);
      const output = metafile.outputs[relative(workingDir, bundleFile(this.#outDir, workload.name))];
      if (output === undefined) throw new Error(`esbuild wrote no bundle for ${workload.name}`);
      const inputs: Record<string, string> = {};
      for (const input of Object.keys(output.inputs)) {
        const path = resolve(workingDir, input);
        const print = fingerprint(path);
        if (print !== undefined) inputs[path] = print;
      }
      writeFileSync(
        this.#recordFile(workload.name),
        JSON.stringify({ key: keyOf(workload), inputs } satisfies BuildRecord),
      );
    }
  }
}

/** esbuild's paths in a metafile are relative to its working directory. */
const workingDir = process.cwd();

interface BundleEntry {
  in: string;
  /** Relative to the output folder, without the extension (outExtension adds it). */
  out: string;
}

/** The builder's own code: a change to how bundles are made makes every bundle stale. */
const builderSources = [import.meta.url, new URL(`./source-map${extname(import.meta.url)}`, import.meta.url)].map(
  (url) => readFileSync(fileURLToPath(url), "utf8"),
);

function keyOf(workload: Workload): string {
  return createHash("sha256")
    .update(JSON.stringify([esbuild.version, workload.entry, runningFromSource, builderSources]))
    .digest("hex");
}

/** esbuild's options for workloads' bundles (each entry its own, complete bundle: no shared chunks). */
function bundleOptions(outDir: string, entries: readonly BundleEntry[]): esbuild.BuildOptions {
  return {
    entryPoints: [...entries],
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    absWorkingDir: workingDir,
    bundle: true,
    minifyWhitespace: true,
    platform: "node",
    format: "esm",
    target: "node24",
    conditions: runningFromSource ? [sourceCondition] : [],
    external: bundleExternals,
    // The map names the .ts files and lines; their text stays in the files (smaller map to load).
    sourcemap: "linked",
    sourcesContent: false,
    // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
    banner: {
      js: 'import { createRequire as __weftCreateRequire } from "node:module"; const require = __weftCreateRequire(import.meta.url);',
    },
    logLevel: "silent",
    plugins: [externalsWhereBuilt, prepareModules],
  };
}

const locationToken = /import\.meta\.(url|dirname|filename)\b|\b__dirname\b|\b__filename\b/;
const declaresLocation = /\b(const|let|var|function)\s+(__dirname|__filename)\b/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, on purpose
const nonAscii = /[^\x00-\x7f]/g;
const loaders: Record<string, esbuild.Loader> = { ts: "ts", mts: "ts", cts: "ts", js: "js", mjs: "js", cjs: "js" };

/** `import.meta.url` (and .dirname, .filename) and a CommonJS module's `__dirname`, `__filename` made the module's own. */
function withOwnLocation(text: string, path: string): string {
  if (!locationToken.test(text)) return text;
  const contents = text
    .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(path).href))
    .replaceAll("import.meta.dirname", JSON.stringify(dirname(path)))
    .replaceAll("import.meta.filename", JSON.stringify(path));
  if (!/\b__(dirname|filename)\b/.test(contents) || declaresLocation.test(contents)) return contents;
  // On the first line, so every other line keeps its number.
  return `var __dirname = ${JSON.stringify(dirname(path))}, __filename = ${JSON.stringify(path)}; ${contents}`;
}

/**
 * Non-ASCII characters as \u escapes, which mean the same in strings, regular expressions,
 * identifiers and comments. esbuild escapes them in strings only, and one left in a comment or a
 * regular expression makes V8 hold the whole bundle as a two-byte string: twice its size, in
 * every process.
 */
function asciiOnly(text: string): string {
  return text.replace(nonAscii, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const externalFilter = new RegExp(`^(${bundleExternals.map((name) => name.replace(/[/.]/g, "\\$&")).join("|")})$`);

/**
 * The externals by their absolute path as resolved where the bundle is built: a bundle may live
 * outside the app's tree (a scratch .data in /tmp), where Node would not find node_modules. An
 * external that is not installed stays a bare name (its import fails only if the code asks).
 */
const externalsWhereBuilt: esbuild.Plugin = {
  name: "weft-externals-where-built",
  setup(build) {
    build.onResolve({ filter: externalFilter }, (args) => {
      try {
        return { path: createRequire(join(args.resolveDir, "_")).resolve(args.path), external: true };
      } catch {
        return { path: args.path, external: true };
      }
    });
  },
};

/**
 * What `prepareModules` made of each file, by its fingerprint: a rebuild (the watch mode's) asks
 * again for every module, and all but the edited one are as they were.
 */
const prepared = new Map<string, { print: string; result: esbuild.OnLoadResult | undefined }>();

/** Every module as `withOwnLocation` and `asciiOnly` make it (unchanged lines, so the source map still fits). */
const prepareModules: esbuild.Plugin = {
  name: "weft-prepare-modules",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      const print = fingerprint(args.path);
      const known = prepared.get(args.path);
      if (known !== undefined && known.print === print) return known.result;
      const text = readFileSync(args.path, "utf8");
      const contents = asciiOnly(withOwnLocation(text, args.path));
      const result =
        contents === text
          ? undefined
          : { contents, loader: loaders[args.path.slice(args.path.lastIndexOf(".") + 1)] ?? "js" };
      if (print !== undefined) prepared.set(args.path, { print, result });
      return result;
    });
  },
};
