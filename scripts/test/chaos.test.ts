import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type Platform, startPlatform } from "@weft/cli/dev";
import { loadApp } from "@weft/mesh/app";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { devAdmin } from "../demo-catalog.ts";

/**
 * Chaos: hundreds of concurrent orders for a few scarce products while orders, inventory and
 * payments are each killed with SIGKILL and restarted, and NATS is restarted once. Afterwards the
 * business invariants must hold, read straight from each service's database. It runs on the
 * default `weft dev` gives: one embedded PostgreSQL with a database and a role per service.
 */
const run = randomBytes(3).toString("hex");
const databasePrefix = `weft_chaos_${run}`;
const dataDir = mkdtempSync(join(tmpdir(), "weft-chaos-"));
// The embedded PostgreSQL runs as an unprivileged user when tests run as root: it must reach dataDir.
chmodSync(dataDir, 0o755);
const orderCount = 240;
const productStock = [30, 30, 20];
const logs: string[] = [];
let failed = false;
let platform: Platform;
const app = loadApp();
const databases = new Map<string, postgres.Sql>();

function db(service: string): postgres.Sql {
  let sql = databases.get(service);
  if (!sql) {
    const url = platform.databaseUrls.get(service);
    if (url === undefined) throw new Error(`${service} has no database`);
    sql = postgres(url, { max: 2, onnotice: () => {} });
    databases.set(service, sql);
  }
  return sql;
}

beforeAll(async () => {
  platform = await startPlatform(app, {
    dataDir,
    gatewayPort: 0,
    freeServicePorts: true,
    databasePrefix,
    natsPort: await freePort(), // private: this test restarts it
    env: {
      LOG_LEVEL: "warn",
      PAYMENTS_FLAKY_FAILURE_RATE: "0.3",
      // Recover quickly after a kill -9: short leases and call budgets.
      SAGA_LEASE_MS: "3000",
      SAGA_CALL_TIMEOUT_MS: "2000",
      SAGA_STEP_TIMEOUT_SECONDS: "20",
      GATEWAY_IP_BURST: "100000",
      GATEWAY_IP_RATE: "100000",
      GATEWAY_USER_BURST: "100000",
      GATEWAY_USER_RATE: "100000",
    },
    logs: (name, line) => logs.push(`${name} │ ${line}`),
  });
}, 240_000);

afterAll(async () => {
  for (const sql of databases.values()) await sql.end();
  await platform?.stop();
  // The embedded server and its databases live in dataDir.
  rmSync(dataDir, { recursive: true, force: true });
  // The platform's logs are what explains a failure: printed then, or when asked for.
  if (failed || process.env.WEFT_CHAOS_LOGS) process.stdout.write(`${logs.join("\n")}\n`);
}, 120_000);

/** A REST call that, like a careful client, retries transient failures (5xx, refused connections). */
async function rest(
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const until = Date.now() + 90_000;
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(`${platform.gatewayUrl}${path}`, {
        method,
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (response.status < 500 && response.status !== 429) {
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
        return json;
      }
    } catch (error) {
      if (error instanceof Error && /: \d{3} /.test(error.message)) throw error;
    }
    if (Date.now() > until) throw new Error(`${method} ${path}: still failing after 90 s`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** Math.min(attempt, 5))));
  }
}

describe("chaos: kill -9 and restarts under load", () => {
  it("keeps every business invariant", async () => {
    onTestFailed(() => {
      failed = true;
    });
    // A scarce catalog and a few customers.
    const admin = (await rest("POST", "/v1/auth/login", undefined, devAdmin(app))).accessToken as string;
    const products: string[] = [];
    for (const [i, stock] of productStock.entries()) {
      const created = (await rest("POST", `/v1/products?idempotencyKey=chaos-${run}-${i}`, admin, {
        name: `Chaos ${i}`,
        price: { amountMinor: String(1000 + i * 250), currency: "USD" },
      })) as { product: { id: string } };
      products.push(created.product.id);
      await rest("POST", `/v1/inventory/${created.product.id}:adjust`, admin, {
        delta: String(stock),
        idempotencyKey: `chaos-${run}-${i}`,
      });
    }
    const tokens: string[] = [];
    for (let u = 0; u < 8; u++) {
      const user = { email: `chaos-${run}-${u}@example.com`, password: "chaos-password-1" };
      await rest("POST", "/v1/auth/signup", undefined, user);
      tokens.push((await rest("POST", "/v1/auth/login", undefined, user)).accessToken as string);
    }

    // The load: every order placed (retrying with its idempotency key) while the chaos runs.
    const cards = [
      "tok_visa",
      "tok_visa",
      "tok_visa",
      "tok_visa",
      "tok_visa",
      "tok_visa",
      "tok_flaky",
      "tok_flaky",
      "tok_decline",
    ];
    const placed = new Map<string, string>();
    let next = 0;
    // Orders arrive at a steady 20 per second, so the kills below land in the middle of the load.
    const arrivalMs = 50;
    const started = Date.now();
    const worker = async () => {
      while (next < orderCount) {
        const i = next++;
        const due = started + i * arrivalMs - Date.now();
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
        const order = (await rest("POST", "/v1/orders", tokens[i % tokens.length], {
          items: [{ productId: products[i % products.length], quantity: 1 + (i % 2) }],
          paymentMethod: cards[i % cards.length],
          idempotencyKey: `chaos-${run}-order-${i}`,
        })) as { order: { id: string } };
        placed.set(`chaos-${run}-order-${i}`, order.order.id);
      }
    };
    let chaosEndedAt = 0;
    const chaos = async () => {
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      await pause(2_000);
      await platform.restart("orders");
      await pause(1_000);
      await platform.restart("inventory");
      await pause(1_000);
      await platform.restart("payments");
      await pause(500);
      await platform.restartNats();
      chaosEndedAt = (Date.now() - started) / 1000;
    };
    await Promise.all([...Array.from({ length: 24 }, worker), chaos()]);
    const loadSeconds = (Date.now() - started) / 1000;
    expect(placed.size).toBe(orderCount);
    const ids = [...placed.values()];

    // Recovery: every order terminal within 60 s.
    const orders = db("orders");
    const recoveryStarted = Date.now();
    await expect
      .poll(async () => (await orders`select count(*)::int as n from orders where status = 'PENDING'`)[0]?.n, {
        timeout: 60_000,
        interval: 500,
      })
      .toBe(0);
    const recoverySeconds = (Date.now() - recoveryStarted) / 1000;
    const byStatus = await orders`
      select status || coalesce(nullif(':' || status_reason, ':'), '') as status, count(*)::int as n
      from orders group by 1 order by 1`;
    const [{ confirmedTotal }] = (await orders`
      select coalesce(sum(total_minor), 0)::bigint as "confirmedTotal" from orders where status = 'CONFIRMED'`) as unknown as [
      { confirmedTotal: bigint },
    ];
    expect((await orders`select count(*)::int as n from orders`)[0]?.n).toBe(orderCount);

    // Units sold never exceed stock; what left the shelf is exactly what confirmed orders bought.
    const sold = await orders`
      select l.product_id, sum(l.quantity)::int as units from order_lines l join orders o on o.id = l.order_id
      where o.status = 'CONFIRMED' group by l.product_id`;
    const stock = await db("inventory")`select product_id, on_hand::int, reserved::int from stock`;
    for (const [i, productId] of products.entries()) {
      const units = sold.find((r) => r.product_id === productId)?.units ?? 0;
      const row = stock.find((r) => r.product_id === productId);
      expect(units).toBeLessThanOrEqual(productStock[i]!);
      expect(row?.on_hand).toBe(productStock[i]! - units);
      expect(row?.on_hand).toBeGreaterThanOrEqual(0);
    }

    // Money: charges minus refunds equals what confirmed orders cost; no order charged twice.
    const payments = db("payments");
    const [{ charged, refunded }] = (await payments`
      select coalesce(sum(amount_minor) filter (where kind = 'charge'), 0)::bigint as charged,
             coalesce(sum(amount_minor) filter (where kind = 'refund'), 0)::bigint as refunded
      from ledger_entries`) as unknown as [{ charged: bigint; refunded: bigint }];
    expect(BigInt(charged) - BigInt(refunded)).toBe(BigInt(confirmedTotal));
    const twice = await payments`
      select p.order_id, count(*)::int as n from ledger_entries e join payments p on p.id = e.payment_id
      where e.kind = 'charge' group by p.order_id having count(*) > 1`;
    expect(twice).toEqual([]);

    // Exactly one notification per terminal order (events travel through the restarted NATS).
    const notifications = db("notifications");
    await expect
      .poll(
        async () =>
          (
            await notifications`
            select count(distinct order_id)::int as n from notifications
            where kind in ('ORDER_CONFIRMED', 'ORDER_REJECTED', 'ORDER_CANCELLED') and order_id = any(${ids})`
          )[0]?.n,
        { timeout: 60_000, interval: 500 },
      )
      .toBe(orderCount);
    const duplicates = await notifications`
      select order_id, count(*)::int as n from notifications
      where kind in ('ORDER_CONFIRMED', 'ORDER_REJECTED', 'ORDER_CANCELLED') group by order_id having count(*) > 1`;
    expect(duplicates).toEqual([]);

    const figures = {
      orders: orderCount,
      load_seconds: loadSeconds,
      chaos_ended_at_seconds: chaosEndedAt,
      recovery_seconds: recoverySeconds,
      by_status: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
      units_sold: sold.reduce((sum, r) => sum + r.units, 0),
      stock: productStock.reduce((a, b) => a + b, 0),
      charged_minus_refunded: String(BigInt(charged) - BigInt(refunded)),
      confirmed_total: String(confirmedTotal),
      orders_charged_twice: twice.length,
      duplicate_notifications: duplicates.length,
    };
    process.stdout.write(`chaos figures: ${JSON.stringify(figures)}\n`);
  }, 300_000);
});
