// The console in a real browser against a real mini mesh: two workload processes exporting spans
// over OTLP to the console's receiver, their log lines and health fed as the launcher feeds them,
// a private JetStream with a dead-lettered event. Each view is visited as a person would, with a
// screenshot of each in .data/screenshots/.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConsole, type WeftConsole } from "../src/console.ts";
import { ConsolePage, launchBrowser } from "./support/browser.ts";
import {
  buildDescriptors,
  type MiniMesh,
  miniApp,
  miniGrants,
  prepareMiniMesh,
  startMiniMesh,
} from "./support/mini-mesh.ts";
import { type PrivateNats, startPrivateNats } from "./support/nats.ts";

let nats: PrivateNats;
let console: WeftConsole;
let mesh: MiniMesh;
let browser: Browser;
let ui: ConsolePage;
const historyDir = mkdtempSync(join(tmpdir(), "console-history-"));
const prepared = prepareMiniMesh();
let descriptors: Uint8Array;

async function openConsole(): Promise<WeftConsole> {
  return startConsole({
    dataDir: historyDir,
    port: 0,
    otlp: { httpPort: 0, grpcPort: 0 },
    app: miniApp(prepared.dir),
    grants: miniGrants,
    descriptors,
    identity: { caDir: prepared.caDir, policyDir: prepared.policyDir },
  });
}

beforeAll(async () => {
  descriptors = buildDescriptors(prepared.dir);
  nats = await startPrivateNats();
  console = await openConsole();
  console.update({ natsUrl: nats.url });
  mesh = await startMiniMesh(prepared, console, nats.url);
  console.update({ addresses: mesh.addresses });
  browser = await launchBrowser();
  ui = await ConsolePage.open(browser, console.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await mesh?.stop();
  await console?.close();
  await nats?.stop();
  rmSync(historyDir, { recursive: true, force: true });
});

describe("the console in a browser", () => {
  let orderTrace = "";

  it("calls an RPC from the explorer over mTLS and shows its trace across both services, the publish and the consume", async () => {
    await ui.go("/explorer");
    const code = await ui.callRpc(
      "/weft.echo.v1.EchoService/Echo",
      { fields: { text: "order-42" } },
      { identity: "gateway" },
    );
    expect(code).toBe("OK");
    expect(await ui.page.textContent(".result .json")).toContain("order-42 #1");
    await ui.screenshot("explorer");
    orderTrace = await ui.openResultTrace();
    expect(orderTrace).toMatch(/^[0-9a-f]{32}$/);
    await ui.waitForSpans([
      '[data-service="weft-console"][data-kind="client"]',
      '[data-service="front"][data-kind="server"]',
      '[data-service="back"][data-kind="server"]',
      '[data-service="front"][data-kind="producer"]',
      '[data-service="back"][data-kind="consumer"]',
    ]);
    await ui.page.click('.wf-row[data-service="back"][data-kind="server"]');
    expect(await ui.page.textContent(".span-panel")).toContain("AddToCounter");
    await ui.screenshot("trace");
  });

  it("lists the trace and finds it by an attribute value", async () => {
    await ui.view("traces");
    await ui.page.waitForSelector(`tr[data-trace="${orderTrace}"]`);
    await ui.screenshot("traces");
    await ui.page.fill('input[name="text"]', "order-42");
    await ui.page.waitForSelector(`tr[data-trace="${orderTrace}"]`);
  });

  it("shows a denied call in the live policy feed with the manifest entry that would grant it", async () => {
    await ui.go("/explorer");
    const code = await ui.callRpc(
      "/weft.echo.v1.CounterService/GetCounter",
      { json: { name: "order-42" } },
      { identity: "front" },
    );
    expect(code).toBe("PERMISSION_DENIED");
    await ui.view("policy");
    // The deny arrives as a span event, exported in a batch (slower on a loaded machine).
    const deny = await ui.page.waitForSelector('.decision[data-decision="deny"]', { timeout: 30_000 });
    const text = await deny.textContent();
    expect(text).toContain("front");
    expect(text).toContain("CounterService/GetCounter");
    expect(text).toContain("services/front/weft.yaml");
    expect(text).toContain("back: [CounterService/AddToCounter, CounterService/GetCounter]");
    expect(await ui.page.textContent('td[data-cell="front->back"]')).toContain("1 RPC");
    await ui.screenshot("policy");
  }, 60_000);

  it("draws the topology with both services healthy and live traffic on the declared call", async () => {
    await ui.view("topology");
    await ui.page.waitForSelector('g.node[data-node="front"].health-serving');
    await ui.page.waitForSelector('g.node[data-node="back"].health-serving');
    // The declared call carries the explorer's traffic and, drawn red, the deny made above.
    const edge = await ui.page.waitForSelector('g.edge.denied[data-edge="front->back"]', { timeout: 10_000 });
    expect(await edge.textContent()).toMatch(/\d+(\.\d)?\/(s|min) · 1 denied/);
    expect(await ui.page.$('g.node[data-node="nats"]')).not.toBeNull();
    expect(await ui.page.$('g.node[data-node="db:front"]')).not.toBeNull();
    await ui.screenshot("topology");
  });

  it("shows RED per method", async () => {
    await ui.view("traffic");
    const row = await ui.page.waitForSelector('tr[data-method="weft.echo.v1.CounterService/AddToCounter"]');
    expect(await row.textContent()).toMatch(/\d/);
    await ui.screenshot("traffic");
  });

  it("shows the saga's timeline by its id, ending CONFIRMED", async () => {
    await ui.view("sagas");
    await ui.page.fill('input[name="sagaId"]', "order-42");
    await ui.page.press('input[name="sagaId"]', "Enter");
    await ui.page.waitForSelector('[data-saga-status="CONFIRMED"]', { timeout: 10_000 });
    expect(await ui.page.$$eval(".step", (steps) => steps.map((s) => s.getAttribute("data-step")))).toEqual([
      "reserve",
      "confirm",
    ]);
    await ui.screenshot("sagas");
  });

  it("parks a poison event in DEAD_LETTERS, shows the consumers, and re-drives it", async () => {
    await ui.go("/explorer");
    expect(
      await ui.callRpc("/weft.echo.v1.EchoService/Echo", { fields: { text: "poison-1" } }, { identity: "gateway" }),
    ).toBe("OK");
    await ui.view("events");
    const letter = await ui.page.waitForSelector("tr[data-dead-letter]", { timeout: 20_000 });
    expect(await letter.textContent()).toContain("cannot count poison-1");
    expect(await letter.textContent()).toContain("back-things");
    expect(await ui.page.$('[data-stream="WEFT_ECHO_V1"] tr[data-consumer="back-things"]')).not.toBeNull();
    await ui.screenshot("events");
    const seq = Number(await letter.getAttribute("data-dead-letter"));
    await (await letter.$("button"))!.click();
    await ui.page.waitForSelector(`.note >> text=Re-drove dead letter ${seq}`);
    // The re-driven event is consumed again (and, still poison, parked again under a new sequence).
    await ui.page.waitForSelector(`tr[data-dead-letter]:not([data-dead-letter="${seq}"])`, { timeout: 20_000 });
  });

  it("tails the logs live, filters them by trace id, and links a line to its trace", async () => {
    await ui.view("logs");
    await ui.page.waitForSelector('.log-line[data-process="front"]');
    await ui.page.selectOption('select[name="level"]', "debug");
    await ui.page.fill('input[name="traceId"]', orderTrace);
    await ui.page.waitForSelector(".log-line a.trace-link");
    const processes = await ui.page.$$eval(".log-line", (lines) => lines.map((l) => l.getAttribute("data-process")));
    expect(processes.length).toBeGreaterThan(0);
    await ui.screenshot("logs");
    await ui.page.click(".log-line a.trace-link");
    await ui.page.waitForSelector(`[data-trace-id="${orderTrace}"]`);
  });

  it("keeps traces, decisions and logs across a console restart", async () => {
    await console.close();
    console = await openConsole();
    const base = console.url;
    const trace = (await (await fetch(`${base}/api/traces/${orderTrace}`)).json()) as {
      summary: { services: string[] };
    };
    expect(trace.summary.services).toEqual(expect.arrayContaining(["front", "back"]));
    const denies = (await (await fetch(`${base}/api/decisions?decision=deny`)).json()) as unknown[];
    expect(denies.length).toBeGreaterThan(0);
    const logs = (await (await fetch(`${base}/api/logs?process=front`)).json()) as unknown[];
    expect(logs.length).toBeGreaterThan(0);
  });
});
