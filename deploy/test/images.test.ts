// One Dockerfile builds every workload (ARG SERVICE); nothing in it or around it lists the
// workloads by hand, and what it copies is not hidden from the build by .dockerignore.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { workloadNames } from "../../cli/src/derive/workloads.ts";
import { app } from "./contracts.ts";

const dockerfile = readFileSync(join(app.root, "Dockerfile"), "utf8");
const dockerignore = readFileSync(join(app.root, ".dockerignore"), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "" && !line.startsWith("#"));

describe("the Dockerfile", () => {
  it("is the only one, and takes the workload as a build argument", () => {
    // Tracked or not, except what .gitignore ignores (node_modules).
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "--deduplicate"], {
      cwd: app.root,
      encoding: "utf8",
    }).split("\n");
    const dockerfiles = files.filter((path) => /(^|\/)Dockerfile[^/]*$/.test(path) && existsSync(join(app.root, path)));
    expect(dockerfiles).toEqual(["Dockerfile"]);
    expect(dockerfile).toMatch(/^ARG SERVICE$/m);
    expect(dockerfile).toMatch(/--build-arg SERVICE=/);
  });

  it("names no workload and copies no package.json by hand", () => {
    for (const workload of workloadNames(app).filter((name) => name !== "gateway")) {
      expect(dockerfile, workload).not.toMatch(new RegExp(`\\b${workload}\\b`));
    }
    expect(dockerfile).not.toMatch(/COPY \S*package\.json/);
  });

  it("ships the app's manifests and policies at WEFT_APP_DIR", () => {
    expect(dockerfile).toMatch(/WORKDIR \/app\n/);
    expect(dockerfile).toMatch(/WEFT_APP_DIR=\/app/);
    for (const path of ["weft.app.yaml", "services/*/weft.yaml", "istio", "gen", "mesh"]) {
      expect(dockerfile, path).toContain(` ${path} `);
    }
  });

  it("runs the workload's bundle on node itself: no TypeScript compiled at run time", () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(runtime).toContain('CMD ["node", "--enable-source-maps", "main.mjs"]');
    expect(runtime).not.toMatch(/tsx/i);
    expect(dockerfile).toMatch(/cli\/src\/bin\.ts build "\$\{SERVICE\}"/);
  });

  it("does not hide what it needs behind .dockerignore", () => {
    for (const needed of ["weft.app.yaml", "services", "istio", "proto", "mesh", "buf.yaml", "buf.gen.yaml"]) {
      expect(dockerignore, needed).not.toContain(needed);
    }
    // buf.yaml's workspace includes the mesh's fixture protos, under an ignored test/ folder.
    expect(dockerignore).toContain("**/test");
    expect(dockerignore).toContain("!mesh/test/proto");
  });
});

describe("make images", () => {
  it("builds exactly the manifests' workloads", () => {
    const dryRun = execFileSync("make", ["-s", "-n", "images", "VERSION=test"], { cwd: app.root, encoding: "utf8" });
    expect(dryRun).toContain(`for name in ${workloadNames(app).join(" ")}; do`);
    expect(dryRun).toContain("docker build --build-arg SERVICE=$name");
  });
});
