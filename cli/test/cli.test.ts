// The weft command's refusals (one line, exit code 2) and the pieces the scaffolds are built from.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../src/errors.ts";
import { camelCase, checkName, pascalCase, snakeCase } from "../src/names.ts";
import { renderTemplates, templateDir, writeNewFiles } from "../src/scaffold/render.ts";
import { repositoryRoot, weft } from "./support/repo.ts";

const scratch = mkdtempSync(join(tmpdir(), "weft-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("names", () => {
  it("accepts lowercase identifiers and refuses everything else", () => {
    for (const name of ["notes", "price-list", "a1"]) expect(() => checkName("service", name)).not.toThrow();
    for (const name of ["Notes", "price_list", "1st", "-x", "x-", "a--b", "", "notes!"]) {
      expect(() => checkName("service", name)).toThrow(UsageError);
    }
  });

  it("derives the forms the templates use", () => {
    expect([pascalCase("price-list"), camelCase("price-list"), snakeCase("price-list")]).toEqual([
      "PriceList",
      "priceList",
      "price_list",
    ]);
  });
});

describe("templates", () => {
  it("substitutes keys in paths and text, drops .tmpl and turns dot- into a dotfile", () => {
    const dir = join(scratch, "template");
    mkdirSync(join(dir, "__name__"), { recursive: true });
    writeFileSync(join(dir, "__name__", "file.txt.tmpl"), "hello {{name}}\n");
    writeFileSync(join(dir, "dot-gitignore.tmpl"), "gen/\n");
    expect(renderTemplates(dir, { name: "notes" })).toEqual([
      { path: ".gitignore", content: "gen/\n" },
      { path: "notes/file.txt", content: "hello notes\n" },
    ]);
    expect(() => renderTemplates(dir, {})).toThrow(/unknown template key name/);
  });

  it("writes nothing when one file would be overwritten", () => {
    const target = join(scratch, "target");
    mkdirSync(join(target, "b"), { recursive: true });
    writeFileSync(join(target, "b/existing.txt"), "mine");
    const files = [
      { path: "a/new.txt", content: "new" },
      { path: "b/existing.txt", content: "theirs" },
    ];
    expect(() => writeNewFiles(target, files)).toThrow("b/existing.txt already exists; nothing was written");
    expect(readFileSync(join(target, "b/existing.txt"), "utf8")).toBe("mine");
    expect(() => readFileSync(join(target, "a/new.txt"))).toThrow();
  });

  it("every template renders with the keys the scaffolds give (no unknown key, no stray file)", () => {
    const service = renderTemplates(templateDir("service"), {
      app: "demo",
      name: "price-list",
      Name: "PriceList",
      nameCamel: "priceList",
      nameSnake: "price_list",
      protoPackage: "demo.price_list.v1",
      protoDir: "demo/price_list/v1",
    });
    expect(service.map((f) => f.path)).toContain("proto/demo/price_list/v1/price_list.proto");
    expect(service.every((f) => !f.content.includes("{{"))).toBe(true);
    const app = renderTemplates(templateDir("app"), {
      app: "demo",
      appPackage: "demo",
      meshDependency: "^0.1.0",
      gatewayDependency: "^0.1.0",
      cliDependency: "^0.1.0",
    });
    expect(app.map((f) => f.path)).toContain(".gitignore");
    expect(app.every((f) => !f.content.includes("{{"))).toBe(true);
  });

  it("pins the same versions as this repository, so a new app builds with what Weft is tested with", () => {
    const pins = (file: string) => {
      const manifest = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string> | undefined>;
      return { ...manifest.dependencies, ...manifest.devDependencies };
    };
    const repository = {
      ...pins(join(repositoryRoot, "package.json")),
      ...pins(join(repositoryRoot, "mesh/package.json")),
    };
    const rendered = renderTemplates(templateDir("app"), {
      app: "demo",
      appPackage: "demo",
      meshDependency: "x",
      gatewayDependency: "x",
      cliDependency: "x",
    }).find((f) => f.path === "package.json")!;
    const app = JSON.parse(rendered.content) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const [name, version] of Object.entries({ ...app.dependencies, ...app.devDependencies })) {
      if (name.startsWith("@weft/")) continue;
      expect({ name, version }).toEqual({ name, version: repository[name] });
    }
  });
});

// Each case runs the CLI as a process (tsx compiles it first): slow on a busy machine.
describe("refusals: one line, exit code 2", { timeout: 120_000 }, () => {
  it("outside an app", async () => {
    const outcome = await weft(["policy"], scratch, { WEFT_APP_DIR: "" });
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe(`weft: not inside a Weft app: no weft.app.yaml in ${scratch} or above\n`);
  });

  it("a service name that is not a lowercase identifier, or one that exists", async () => {
    const bad = await weft(["new", "service", "Notes"], repositoryRoot);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^weft: "Notes" is not a valid service name: .*\n$/);
    const taken = await weft(["new", "service", "catalog"], repositoryRoot);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toBe("weft: service catalog already exists (services/catalog/)\n");
  });

  it("an app inside another app, or an unknown command", async () => {
    const nested = await weft(["new", "app", "inner"], join(repositoryRoot, "services"));
    expect(nested.code).toBe(2);
    expect(nested.stderr).toBe(
      `weft: inner is inside the Weft app at ${repositoryRoot.replace(/\/$/, "")}; create an app outside it\n`,
    );
    const unknown = await weft(["frobnicate"], scratch);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^weft: unknown command "frobnicate" \(commands: dev, .*\)\n$/);
  });
});
