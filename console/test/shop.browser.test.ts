// The console in a real browser over the real shop, started the way `make up` starts it: the
// launcher's platform (every service its own process, the gateway, mTLS, the istio/ policies, a
// NATS it starts with a user per workload, the seed) with the console wired in as `weft dev` wires
// it. Databases are fresh ones on the test PostgreSQL (dropped after). A person signs up, signs in
// and orders from the API explorer, then looks at each view; a screenshot of each is written to
// .data/screenshots/shop/ (WEFT_SCREENSHOTS_DIR elsewhere: `npm run screenshots -w @weft/console`
// writes the README's images to docs/console/).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { connect, headers } from "@nats-io/transport-node";
import {
  type DevConsole,
  dropServiceDatabases,
  freePort,
  type Platform,
  runSeed,
  startDevConsole,
  startPlatform,
} from "@weft/cli/dev";
import { gatewayWorkload, loadApp } from "@weft/mesh/app";
import { testServerUrl } from "@weft/mesh/data";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsolePage, launchBrowser, screenshotDir } from "./support/browser.ts";
import { repositoryRoot } from "./support/mini-mesh.ts";

const run = randomBytes(3).toString("hex");
const databasePrefix = `weft_console_${run}`;
const dataDir = mkdtempSync(join(tmpdir(), "weft-console-shop-"));
const shots = process.env.WEFT_SCREENSHOTS_DIR
  ? resolve(repositoryRoot, process.env.WEFT_SCREENSHOTS_DIR)
  : join(screenshotDir, "shop");
const app = loadApp(repositoryRoot);
const logs: string[] = [];
let devConsole: DevConsole;
let platform: Platform;
let browser: Browser;
let ui: ConsolePage;

beforeAll(async () => {
  const started = await startDevConsole({ app, dataDir, port: 0 });
  if (!started.console) throw new Error(started.note ?? "the console did not start");
  devConsole = started.console;
  const sink = devConsole.tee((name, line) => logs.push(`${name} │ ${line}`));
  platform = await startPlatform(app, {
    dataDir,
    natsPort: await freePort(), // a NATS the launcher starts (a user per workload, and the console's)
    gatewayPort: 0,
    freeServicePorts: true,
    pgUrl: testServerUrl,
    databasePrefix,
    env: { ...devConsole.telemetryEnv, PAYMENTS_FLAKY_FAILURE_RATE: "0" },
    logs: sink,
    progress: (line) => logs.push(`launcher │ ${line}`),
    onState: (name, state) => devConsole.workloadState(name, state),
  });
  devConsole.platformUp(platform);
  await runSeed(platform, sink);
  browser = await launchBrowser();
  ui = await ConsolePage.open(browser, devConsole.url, shots);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await devConsole?.close();
  await dropServiceDatabases(testServerUrl, databasePrefix, app.services);
  rmSync(dataDir, { recursive: true, force: true });
  if (process.env.WEFT_E2E_LOGS) process.stdout.write(`${logs.join("\n")}\n`);
}, 60_000);

const identity = "/shop.identity.v1.IdentityService";
const buyer = { email: `buyer-${run}@example.com`, password: "buyer-password-1" };

/** The explorer's last response, parsed. */
async function resultJson<T>(): Promise<T> {
  return JSON.parse((await ui.page.textContent(".result .json")) ?? "null") as T;
}

describe("the console over the shop", () => {
  let orderId = "";
  let orderTrace = "";

  it("shows every service and the gateway healthy on the topology", async () => {
    await ui.go("/topology");
    for (const name of [...app.services.map((s) => s.name), gatewayWorkload]) {
      await ui.page.waitForSelector(`g.node[data-node="${name}"].health-serving`);
    }
    expect(await ui.page.$('g.node[data-node="nats"]')).not.toBeNull();
  });

  it("signs up, signs in and places an order from the API explorer, through the gateway", async () => {
    await ui.go("/explorer");
    expect(await ui.callRpc(`${identity}/SignUp`, { json: buyer }, { edge: true })).toBe("OK");
    const token = await ui.signIn(`${identity}/Login`, buyer);
    expect(token.split(".")).toHaveLength(3); // a JWT
    expect(await ui.callRpc("/shop.catalog.v1.CatalogService/ListProducts", { json: {} }, { edge: true })).toBe("OK");
    const { products } = await resultJson<{ products: Array<{ id: string; name: string }> }>();
    const mug = products.find((p) => p.name === "Weft Mug");
    expect(mug).toBeDefined();
    const code = await ui.callRpc(
      "/shop.orders.v1.OrderService/PlaceOrder",
      { json: { items: [{ productId: mug!.id, quantity: 1 }], paymentMethod: "tok_visa", idempotencyKey: `k-${run}` } },
      { edge: true },
    );
    expect(code).toBe("OK");
    orderId = (await resultJson<{ order: { id: string } }>()).order.id;
    expect(orderId).not.toBe("");
    await ui.screenshot("explorer");
  });

  it("shows the order's trace across at least four services, with a JetStream publish and a consumer", async () => {
    orderTrace = await ui.openResultTrace();
    expect(orderTrace).toMatch(/^[0-9a-f]{32}$/);
    // Spans arrive over seconds (each process exports in batches): look again until they are in.
    await expect
      .poll(
        async () => {
          await ui.page.reload();
          await ui.page.waitForSelector("[data-trace-id]");
          const rows = await ui.page.$$eval(".wf-row", (all) =>
            all.map((r) => ({ service: r.getAttribute("data-service"), kind: r.getAttribute("data-kind") })),
          );
          return {
            services: new Set(rows.map((r) => r.service).filter((s) => s !== "weft-console")).size >= 4,
            publish: rows.some((r) => r.kind === "producer"),
            consume: rows.some((r) => r.kind === "consumer"),
          };
        },
        { timeout: 30_000, interval: 500 },
      )
      .toEqual({ services: true, publish: true, consume: true });
    await ui.screenshot("trace");
    await ui.view("traces");
    await ui.page.waitForSelector(`tr[data-trace="${orderTrace}"]`);
    await ui.screenshot("traces");
  }, 60_000);

  it("shows the order's saga as a timeline that ends CONFIRMED", async () => {
    await ui.view("sagas");
    await expect
      .poll(
        async () => {
          await ui.page.fill('input[name="sagaId"]', orderId);
          await ui.page.press('input[name="sagaId"]', "Enter");
          const status = await ui.page.waitForSelector("[data-saga-status]", { timeout: 2_000 }).catch(() => null);
          return status?.getAttribute("data-saga-status");
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe("CONFIRMED");
    expect(await ui.page.$$(".step")).not.toHaveLength(0);
    await ui.screenshot("sagas");
  }, 60_000);

  it("shows a call the policy does not allow in the live feed, with the grant it lacks", async () => {
    // catalog may not charge a card: only orders may call PaymentService/Charge.
    const code = await ui.callRpc(
      "/shop.payments.v1.PaymentService/Charge",
      { json: { orderId, paymentMethod: "tok_visa", idempotencyKey: orderId } },
      { identity: "catalog" },
    );
    expect(code).toBe("PERMISSION_DENIED");
    await ui.view("policy");
    const deny = await ui.page.waitForSelector('.decision[data-decision="deny"] >> text=PaymentService/Charge', {
      timeout: 30_000,
    });
    const text = (await deny.evaluate((e) => e.closest(".decision")?.textContent)) ?? "";
    expect(text).toContain("catalog");
    expect(text).toContain("services/catalog/weft.yaml");
    await ui.screenshot("policy");
  }, 60_000);

  it("draws the order's calls on the topology with their rate, its methods' traffic, and the logs", async () => {
    await ui.view("topology");
    // The saga's charge, on the declared call, labelled with its rate.
    const edge = 'g.edge[data-edge="orders->payments"]';
    await expect
      .poll(async () => (await ui.page.textContent(edge)) ?? "", { timeout: 10_000 })
      .toMatch(/\d+(\.\d)?\/(s|min)/);
    await ui.screenshot("topology");
    await ui.view("traffic");
    await ui.page.waitForSelector('tr[data-method="shop.orders.v1.OrderService/PlaceOrder"]');
    await ui.screenshot("traffic");
    await ui.view("logs");
    await ui.page.waitForSelector('.log-line[data-process="orders"]');
    await ui.screenshot("logs");
  });

  it("re-drives an event the platform parked in DEAD_LETTERS", async () => {
    // A poison OrderPlaced (its payload is not the message its type names) on the bus: notifications
    // fails to read it, retries with backoff and, after its last delivery, parks it, as the platform
    // parks any event a consumer cannot take.
    const credentials = platform.consoleNatsCredentials;
    const nc = await connect({
      servers: platform.natsUrl,
      ...(credentials ? { user: credentials.user, pass: credentials.password } : {}),
    });
    try {
      const envelope = headers();
      envelope.set("ce-id", `poison-${run}`);
      envelope.set("ce-type", "shop.orders.v1.OrderPlaced");
      envelope.set("ce-source", "console-test");
      envelope.set("ce-time", new Date().toISOString());
      envelope.set("content-type", "application/protobuf");
      // Field 1, length-delimited, 255 bytes long, then nothing: no decoder takes it.
      await jetstream(nc).publish("shop.orders.v1.OrderPlaced", new Uint8Array([0x0a, 0xff]), { headers: envelope });
    } finally {
      await nc.close();
    }
    await ui.view("events");
    const parked = `[data-dead-letter]:has-text("poison-${run}")`;
    const letter = await ui.page.waitForSelector(`tr${parked}`, { timeout: 45_000 });
    expect(await letter.textContent()).toContain("notifications-orders");
    expect(await ui.page.$('[data-stream="SHOP_ORDERS_V1"] tr[data-consumer="notifications-orders"]')).not.toBeNull();
    await ui.screenshot("events");
    const seq = Number(await letter.getAttribute("data-dead-letter"));
    await (await letter.$("button"))!.click();
    await ui.page.waitForSelector(`.note >> text=Re-drove dead letter ${seq}`);
    // Back on its subject, consumed again and (still poison) parked again under a new sequence.
    await ui.page.waitForSelector(`tr${parked}:not([data-dead-letter="${seq}"])`, { timeout: 45_000 });
  }, 120_000);
});
