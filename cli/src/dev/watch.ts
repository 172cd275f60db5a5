// Source watching for `weft dev`: which workloads a changed file concerns, after the burst of events
// an editor's save produces has settled. Only what changed is rebuilt and restarted.
import { type FSWatcher, watch } from "node:fs";
import { join, relative, sep } from "node:path";

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
