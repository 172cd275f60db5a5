// Source watching for `weft dev`: which workloads a changed file concerns, after the burst of events
// an editor's save produces has settled. Only what changed is rebuilt and restarted.
import { spawnSync } from "node:child_process";
import { type FSWatcher, watch } from "node:fs";
import { join, relative, sep } from "node:path";
import { gatewayWorkload } from "@weft/mesh/app";
import { selfArgs } from "../self.ts";
import type { Platform } from "./platform.ts";

export interface WatchedTarget {
  /** What to rebuild/restart when a file under one of its folders changes, e.g. "orders" or "proto". */
  name: string;
  folders: readonly string[];
}

export interface SourceWatcher {
  close(): void;
}

/** Never sources: build output, dependencies, local state, tests. */
const ignored = [
  /(^|[/\\])(node_modules|dist|\.data|coverage|\.git)([/\\]|$)/,
  /(^|[/\\])test([/\\]|$)/,
  /\.test\.ts$/,
  /~$/,
];

export function isSourceChange(path: string): boolean {
  return !ignored.some((pattern) => pattern.test(path));
}

/**
 * Calls `onChange` with the names of the targets whose folders saw a change, at most once per
 * `debounceMs` of quiet. A folder that does not exist (yet) is skipped.
 */
export function watchSources(
  targets: readonly WatchedTarget[],
  onChange: (changed: ReadonlySet<string>) => void,
  debounceMs = 150,
): SourceWatcher {
  const watchers: FSWatcher[] = [];
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    const changed = pending;
    pending = new Set();
    if (changed.size > 0) onChange(changed);
  };
  for (const target of targets) {
    for (const folder of target.folders) {
      try {
        const watcher = watch(folder, { recursive: true }, (_event, file) => {
          if (file === null) return;
          const path = relative(folder, join(folder, file.toString()));
          if (path.startsWith(`..${sep}`) || !isSourceChange(path)) return;
          pending.add(target.name);
          clearTimeout(timer);
          timer = setTimeout(flush, debounceMs);
        });
        watcher.on("error", () => watcher.close());
        watchers.push(watcher);
      } catch {
        // ENOENT: nothing to watch there.
      }
    }
  }
  return {
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}

/**
 * Watch mode: a change under one service's folder restarts that service only; a change to proto/
 * regenerates the code and restarts every workload (and, inside the Weft repository, so does a
 * change to the mesh or the gateway). The others keep running.
 */
export function watchPlatform(platform: Platform, say: (line: string) => void): SourceWatcher {
  const app = platform.app;
  const everything = [...app.services.map((s) => s.name), gatewayWorkload];
  const targets: WatchedTarget[] = [
    ...app.services.map((service) => ({ name: service.name, folders: [service.dir] })),
    { name: "proto", folders: [join(app.root, "proto")] },
    // Weft's own sources when the app is the repository itself (the shop).
    { name: "platform", folders: [join(app.root, "mesh", "src"), join(app.root, "gateway", "src")] },
  ];
  let queue = Promise.resolve();
  return watchSources(targets, (changed) => {
    queue = queue.then(async () => {
      const all = changed.has("proto") || changed.has("platform");
      if (changed.has("proto")) {
        say("proto/ changed: weft generate");
        const result = spawnSync(process.execPath, [...selfArgs(), "generate"], { cwd: app.root, stdio: "inherit" });
        if (result.status !== 0) {
          say("weft generate failed: the running workloads keep the previous code");
          return;
        }
      }
      const names = all ? everything : [...changed].filter((name) => everything.includes(name));
      say(`${names.join(", ")}: sources changed, rebuilding and restarting`);
      await platform
        .reloadAll(names)
        .catch((error: unknown) => say(`${names.join(", ")}: ${(error as Error).message}`));
    });
  });
}
