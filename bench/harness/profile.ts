// Summarizes V8 CPU profiles (`node --cpu-prof`): self time by package/area and the hottest functions.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** Busy (non-idle) ms sampled. */
  busyMs: number;
  areas: Array<{ area: string; share: number }>;
  functions: Array<{ name: string; share: number }>;
}

/** Which package or part of the platform a script belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (url === "") {
    if (functionName === "(garbage collector)") return "V8 garbage collector";
    if (functionName === "(program)") return "V8/native (program)";
    if (functionName === "(idle)") return "idle";
    return `native ${functionName}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const local = /\/(mesh|gateway|services\/[^/]+|bench|gen)\/(?:src\/)?([^/]+)/.exec(url);
  if (local) return `weft ${local[1]}/${local[2]!.replace(/\.ts$/, "")}`;
  const internal = /^node:(?:internal\/)?([^/]+(?:\/[^/]+)?)/.exec(url);
  if (internal) return `node ${internal[1]}`;
  return url;
}

export function summarizeProfile(file: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i]!;
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i + 1] ?? 0));
    }
  } else {
    const total = profile.endTime - profile.startTime;
    const hits = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
    for (const node of profile.nodes) selfUs.set(node.id, ((node.hitCount ?? 0) * total) / Math.max(1, hits));
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    // Start-up (loading and compiling TypeScript through tsx) is not what the load measured.
    if (area === "idle" || area === "tsx" || area.startsWith("node modules/")) continue;
    busy += us;
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = node.callFrame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/main\//, "");
    const name = `${node.callFrame.functionName || "(anonymous)"} ${where}:${node.callFrame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const ranked = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: us / Math.max(1, busy) }));
  return {
    file,
    busyMs: busy / 1000,
    areas: ranked(areas).map(({ name, share }) => ({ area: name, share })),
    functions: ranked(functions),
  };
}

/** The profiles a child wrote into `dir` (one per process). */
export function profilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(dir, f));
}

export function profileMarkdown(title: string, summary: ProfileSummary): string[] {
  return [
    `*${title}* — ${Math.round(summary.busyMs)} ms of busy CPU sampled (module loading at start-up excluded). Self time by area:`,
    "",
    summary.areas.map((a) => `${a.area} ${(a.share * 100).toFixed(1)}%`).join(" · "),
    "",
    "Hottest functions (self time):",
    "",
    ...summary.functions.slice(0, 8).map((f) => `- ${(f.share * 100).toFixed(1)}% \`${f.name}\``),
    "",
  ];
}

/**
 * A copy of a V8 CPU profile with only the samples of its last `ms` before the process began to
 * exit (the profile ends at exit; closing takes well under the margin left out).
 */
export function lastSamples(file: string, ms: number): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as {
    startTime: number;
    endTime: number;
    samples: number[];
    timeDeltas: number[];
  };
  const closingUs = 300_000;
  const from = profile.endTime - closingUs - ms * 1000;
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let at = profile.startTime;
  profile.samples.forEach((sample, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= from && at <= profile.endTime - closingUs) {
      samples.push(sample);
      timeDeltas.push(profile.timeDeltas[i] ?? 0);
    }
  });
  const trimmed = file.replace(/\.cpuprofile$/, ".load.cpuprofile");
  writeFileSync(trimmed, JSON.stringify({ ...profile, samples, timeDeltas }));
  return trimmed;
}
