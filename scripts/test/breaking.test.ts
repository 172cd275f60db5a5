import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
let repo: string;

function git(...args: string[]) {
  execFileSync("git", args, { cwd: repo, stdio: "pipe" });
}

/** Runs `make breaking`'s script inside the scratch repository. */
function breaking() {
  const result = spawnSync("bash", ["scripts/breaking.sh"], { cwd: repo, encoding: "utf8" });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

function edit(path: string, from: string, to: string) {
  const file = join(repo, path);
  const text = readFileSync(file, "utf8");
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

const orders = "proto/shop/orders/v1/orders.proto";

beforeEach(() => {
  // A scratch repository holding this checkout's contracts as its first commit.
  repo = mkdtempSync(join(tmpdir(), "weft-breaking-"));
  for (const path of ["buf.yaml", "proto", "mesh/proto", "mesh/test/proto", "scripts/breaking.sh"]) {
    cpSync(join(root, path), join(repo, path), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(repo, "node_modules"));
  writeFileSync(join(repo, ".gitignore"), "node_modules\n");
  git("init", "-q", "-b", "main");
  git("-c", "user.email=t@weft.dev", "-c", "user.name=t", "add", ".");
  git("-c", "user.email=t@weft.dev", "-c", "user.name=t", "commit", "-q", "-m", "contracts");
});

afterEach(() => rmSync(repo, { recursive: true, force: true }));

function commit(message: string) {
  git("-c", "user.email=t@weft.dev", "-c", "user.name=t", "commit", "-q", "-am", message);
}

describe("make breaking", () => {
  it("says so when there is no earlier commit", () => {
    const { code, output } = breaking();
    expect(code).toBe(0);
    expect(output).toContain("no parent commit");
  });

  it("passes a compatible change: a new field", () => {
    edit(
      orders,
      "message GetOrderRequest {",
      "message GetOrderRequest {\n  // A new optional field.\n  string view = 99;",
    );
    commit("add a field");
    const { code, output } = breaking();
    expect(output).toContain("no wire-incompatible change");
    expect(code).toBe(0);
  });

  it("fails a committed wire-incompatible change against the previous commit", () => {
    edit(
      orders,
      "message GetOrderRequest {\n  // The order's id.\n  string id = 1",
      "message GetOrderRequest {\n  // The order's id.\n  int64 id = 1",
    );
    commit("change a field's type");
    const { code, output } = breaking();
    expect(code).not.toBe(0);
    expect(output).toMatch(/changed type from "string" to "int64"/);
  });

  it("fails an uncommitted incompatible change against HEAD", () => {
    edit(orders, "rpc GetOrder(GetOrderRequest)", "rpc FetchOrder(GetOrderRequest)");
    const { code, output } = breaking();
    expect(code).not.toBe(0);
    expect(output).toContain("comparing proto/ with HEAD");
    expect(output).toMatch(/GetOrder/);
  });
});
