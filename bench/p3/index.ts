// P3 saga: orders driven to CONFIRMED per second through the public REST API, with the whole shop
// on the machine's PostgreSQL (fresh databases) and a private NATS; p50/p99 place → confirmed at
// 70% of that rate; pgbench tps on the same server and the commits one order costs, side by side.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { databaseName, freePort, type Platform, startPlatform } from "@weft/cli/dev";
import { loadApp } from "@weft/mesh/app";
import { testServerUrl } from "@weft/mesh/data";
import postgres from "postgres";
import { devAdmin } from "../../scripts/demo-catalog.ts";
import { type BenchContext, scratch } from "../harness/context.ts";
import { cpuPerRequest, type Processes } from "../harness/cpu.ts";
import { lastLines } from "../harness/platform.ts";
import type { Goal, Row, Section } from "../harness/report.ts";
import { median, percentiles } from "../harness/stats.ts";

const pgbench = ["/usr/lib/postgresql/15/bin/pgbench", "/usr/bin/pgbench"];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Placed {
  id: string;
  /** Epoch ms the request was (scheduled to be) sent. */
  at: number;
}

export async function runP3(context: BenchContext): Promise<Section> {
  const started = performance.now();
  const dir = scratch(context, "p3");
  const prefix = `weft_bench_${randomBytes(3).toString("hex")}`;
  const logs = lastLines();
  const rows: Row[] = [];
  const goals: Goal[] = [];
  const notRun: string[] = [];
  const limits: string[] = [];
  const admin = postgres(testServerUrl, { max: 1, onnotice: () => {} });
  const pgbenchDb = `${prefix}_pgbench`;
  let platform: Platform | undefined;
  const app = loadApp();
  let orders: postgres.Sql | undefined;
  const t0 = performance.now();
  try {
    platform = await startPlatform(app, {
      dataDir: join(dir, "data"),
      gatewayPort: 0,
      freeServicePorts: true,
      pgUrl: testServerUrl,
      databasePrefix: prefix,
      natsPort: await freePort(),
      env: {
        LOG_LEVEL: "warn",
        GATEWAY_IP_RATE: "1000000",
        GATEWAY_IP_BURST: "1000000",
        GATEWAY_USER_RATE: "1000000",
        GATEWAY_USER_BURST: "1000000",
      },
      logs: logs.sink,
    });
    rows.push({
      subject: "platform start → all healthy",
      load: "PostgreSQL databases",
      value: (performance.now() - t0) / 1000,
      unit: "s",
    });
    const gateway = platform.gatewayUrl;
    const rest = async (method: string, path: string, token?: string, body?: unknown) => {
      const response = await fetch(`${gateway}${path}`, {
        method,
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    const adminToken = (await rest("POST", "/v1/auth/login", undefined, devAdmin(app))).accessToken as string;
    const product = (
      (await rest("POST", `/v1/products?idempotencyKey=${prefix}`, adminToken, {
        name: "Bench Mug",
        price: { amountMinor: "1200", currency: "USD" },
      })) as { product: { id: string } }
    ).product.id;
    await rest("POST", `/v1/inventory/${product}:adjust`, adminToken, { delta: "10000000", idempotencyKey: prefix });
    const tokens: string[] = [];
    for (let u = 0; u < 8; u++) {
      const user = { email: `${prefix}-${u}@example.com`, password: "bench-password-1" };
      await rest("POST", "/v1/auth/signup", undefined, user);
      tokens.push((await rest("POST", "/v1/auth/login", undefined, user)).accessToken as string);
    }
    let serial = 0;
    const place = async (at = Date.now()): Promise<Placed> => {
      const i = serial++;
      const body = (await rest("POST", "/v1/orders", tokens[i % tokens.length], {
        items: [{ productId: product, quantity: 1 }],
        paymentMethod: "tok_visa",
        idempotencyKey: `${prefix}-${i}`,
      })) as { order: { id: string } };
      return { id: body.order.id, at };
    };
    const ordersUrl = new URL(testServerUrl);
    ordersUrl.pathname = `/${prefix}_orders`;
    orders = postgres(ordersUrl.toString(), { max: 1, onnotice: () => {} });
    const db = orders;
    /**
     * The driver's own polls of the orders database: each is a transaction there too, counted in
     * its xact_commit, so the commits per order leave them out.
     */
    let polls = 0;
    /** Waits until none of `placed` is PENDING; returns status and last-update time per order. */
    const settle = async (placed: Placed[], timeoutMs: number) => {
      const ids = placed.map((p) => p.id);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        polls++;
        const found = await db<Array<{ id: string; status: string; t: number }>>`
          select id, status, (extract(epoch from updated_at) * 1000)::float8 as t from orders where id = any(${ids})`;
        if (found.length === ids.length && found.every((r) => r.status !== "PENDING")) return found;
        if (Date.now() > deadline)
          throw new Error(
            `${found.filter((r) => r.status === "PENDING").length} orders still PENDING after ${timeoutMs} ms`,
          );
        await sleep(100);
      }
    };
    const closedLoop = async (count: number, concurrency: number, maxMs: number) => {
      const placed: Placed[] = [];
      const until = Date.now() + maxMs;
      let issued = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (issued < count && Date.now() < until) {
            issued++;
            placed.push(await place());
          }
        }),
      );
      return placed;
    };
    /** Commits so far in each service database (by service name). */
    const commitsByService = async () => {
      const rows = await admin<Array<{ name: string; n: string }>>`
        select datname as name, xact_commit::text as n from pg_stat_database
        where datname like ${`${prefix}_%`} and datname <> ${pgbenchDb}`;
      return new Map(rows.map((row) => [row.name.slice(prefix.length + 1), Number(row.n)]));
    };
    const allOf = (counts: Map<string, number>) => [...counts.values()].reduce((sum, n) => sum + n, 0);

    // Warm-up.
    await settle(await closedLoop(20, 4, 20_000), 60_000);

    // Commits per order: an idle window for the background rate, then a known number of orders.
    const orderCount = 100;
    await sleep(11_000); // backends flush their stats at most every second, idle ones after 10 s
    const c0 = await commitsByService();
    const idleStart = Date.now();
    await sleep(5_000);
    const c1 = await commitsByService();
    const idlePerSecond = (allOf(c1) - allOf(c0)) / ((Date.now() - idleStart) / 1000);
    const countedStart = Date.now();
    const pollsBefore = polls;
    await settle(await closedLoop(orderCount, 8, 60_000), 60_000);
    await sleep(11_000);
    const c2 = await commitsByService();
    const driverPolls = polls - pollsBefore;
    c2.set("orders", (c2.get("orders") ?? 0) - driverPolls);
    const windowSeconds = (Date.now() - countedStart) / 1000;
    const gross = (allOf(c2) - allOf(c1)) / orderCount;
    const commitsPerOrder = (allOf(c2) - allOf(c1) - idlePerSecond * windowSeconds) / orderCount;
    const perService = [...c2.keys()]
      .sort()
      .map((name) => `${name} ${(((c2.get(name) ?? 0) - (c1.get(name) ?? 0)) / orderCount).toFixed(1)}`)
      .join(", ");
    rows.push({
      subject: "commits per order (all service databases)",
      load: `${orderCount} orders`,
      value: commitsPerOrder,
      unit: "commits",
      note: `gross ${gross.toFixed(1)} (${perService}; the driver's own ${driverPolls} polls of orders left out) minus ${idlePerSecond.toFixed(1)}/s background (relay safety polls, saga and expiry timers) over ${windowSeconds.toFixed(0)} s`,
    });
    context.log(
      `  commits per order: ${commitsPerOrder.toFixed(1)} (gross ${gross.toFixed(1)}: ${perService}; driver polls ${driverPolls}; background ${idlePerSecond.toFixed(1)}/s)`,
    );

    // pgbench on the same server, before and after the saga runs.
    const bench = pgbench.find((p) => {
      try {
        execFileSync(p, ["--version"], { stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    });
    const tpsRuns: number[] = [];
    const runPgbench = () => {
      if (!bench) return;
      const out = execFileSync(
        bench,
        ["-h", "127.0.0.1", "-U", "postgres", "-n", "-c", "8", "-j", "2", "-T", "6", pgbenchDb],
        { encoding: "utf8" },
      );
      const tps = /tps = ([\d.]+)/.exec(out);
      if (tps) tpsRuns.push(Number(tps[1]));
      context.log(`  pgbench: ${tps?.[1] ?? "?"} tps`);
    };
    if (bench) {
      await admin.unsafe(`create database "${pgbenchDb}"`);
      execFileSync(bench, ["-h", "127.0.0.1", "-U", "postgres", "-i", "-q", "-s", "5", pgbenchDb], { stdio: "ignore" });
      runPgbench();
    } else {
      notRun.push("pgbench is not installed (Debian: postgresql-contrib), so the P3 ratio could not be formed");
    }

    // Saturation: as many orders as 32 concurrent customers place, until every one is decided —
    // and what every process of the platform spent on them meanwhile.
    const backends = await admin<Array<{ pid: number }>>`
      select pid from pg_stat_activity where datname like ${`${prefix}_%`} and datname <> ${pgbenchDb}`;
    const processes: Processes = [
      ...[...platform.processIds()].map(([role, pid]) => ({ role, pids: [pid] })),
      { role: "PostgreSQL backends", pids: backends.map((b) => b.pid) },
      { role: "load driver", pids: [process.pid] },
    ];
    let burst: Placed[] = [];
    let decided: ReadonlyArray<{ id: string; status: string; t: number }> = [];
    const cpuPerOrder = await cpuPerRequest(processes, async () => {
      burst = await closedLoop(400, 32, 15_000);
      decided = await settle(burst, 120_000);
      return decided.filter((r) => r.status === "CONFIRMED").length;
    });
    const confirmed = decided.filter((r) => r.status === "CONFIRMED");
    const first = Math.min(...burst.map((p) => p.at));
    const last = Math.max(...confirmed.map((r) => r.t));
    const maxRate = (confirmed.length * 1000) / (last - first);
    rows.push({
      subject: "orders placed → CONFIRMED",
      load: `closed loop c=32, ${burst.length} orders`,
      value: maxRate,
      unit: "orders/s",
      note: `${confirmed.length} confirmed, ${decided.length - confirmed.length} not`,
    });
    context.log(`  max: ${maxRate.toFixed(1)} orders/s confirmed`);
    const cpuMs = [...cpuPerOrder].map(([role, micros]) => [role, micros / 1000] as const).sort((a, b) => b[1] - a[1]);
    const cpuTotalMs = cpuMs.reduce((sum, [, ms]) => sum + ms, 0);
    for (const [role, ms] of cpuMs) {
      rows.push({ subject: `CPU per confirmed order: ${role}`, load: "closed loop c=32", value: ms, unit: "ms" });
    }
    rows.push({
      subject: "CPU per confirmed order, all processes",
      load: "closed loop c=32",
      value: cpuTotalMs,
      unit: "ms",
      note: `2 cores ÷ this = ${(2000 / cpuTotalMs).toFixed(0)} orders/s`,
    });
    context.log(`  CPU per order: ${cpuMs.map(([role, ms]) => `${role} ${ms.toFixed(1)}`).join(", ")} ms`);
    const cpuSentence = `CPU per confirmed order in the closed loop, from /proc: ${cpuTotalMs.toFixed(1)} ms over all processes (${cpuMs.map(([role, ms]) => `${role} ${ms.toFixed(1)}`).join(", ")}), so 2 cores allow about ${(2000 / cpuTotalMs).toFixed(0)} orders/s — what the saga reaches. PostgreSQL's backends take ${(((cpuMs.find(([role]) => role === "PostgreSQL backends")?.[1] ?? 0) / cpuTotalMs) * 100).toFixed(0)}% of it: the bound is the Node processes' CPU, not the database's commits.`;

    // Latency at 70% of that rate, open model.
    const rate = 0.7 * maxRate;
    const interval = 1000 / rate;
    const total = Math.max(10, Math.min(600, Math.round(rate * 10)));
    const startAt = Date.now();
    const pending: Array<Promise<Placed>> = [];
    for (let i = 0; i < total; i++) {
      const due = startAt + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      pending.push(place(due));
    }
    const paced = await Promise.all(pending);
    const pacedDecided = await settle(paced, 120_000);
    const at = new Map(paced.map((p) => [p.id, p.at]));
    const latencies = pacedDecided.filter((r) => r.status === "CONFIRMED").map((r) => r.t - at.get(r.id)!);
    const lat = percentiles(latencies);
    rows.push({
      subject: "place → CONFIRMED p50",
      load: `open ${rate.toFixed(1)}/s (70%), ${total} orders`,
      value: lat.p50,
      unit: "ms",
    });
    rows.push({
      subject: "place → CONFIRMED p99",
      load: `open ${rate.toFixed(1)}/s (70%), ${total} orders`,
      value: lat.p99,
      unit: "ms",
      note: `${lat.samples} confirmed`,
    });
    context.log(`  at ${rate.toFixed(1)}/s: p50 ${lat.p50.toFixed(0)} ms, p99 ${lat.p99.toFixed(0)} ms`);

    runPgbench();
    if (tpsRuns.length > 0) {
      const tps = median(tpsRuns);
      const ratio = maxRate / (tps / commitsPerOrder);
      rows.push({
        subject: "pgbench (TPC-B-like, 8 clients, 2 threads, scale 5)",
        load: "same server, before and after",
        value: tps,
        unit: "tps",
        note: tpsRuns.map((t) => t.toFixed(0)).join(", "),
      });
      rows.push({
        subject: "pgbench tps ÷ commits per order",
        load: "orders/s the database alone would allow",
        value: tps / commitsPerOrder,
        unit: "orders/s",
      });
      rows.push({ subject: "orders/s ÷ (tps ÷ commits per order)", load: "", value: ratio, unit: "×" });
      goals.push({
        name: "saga throughput vs database",
        ratio,
        direction: "≥",
        target: 0.5,
        formula: "orders/s ÷ (pgbench tps ÷ commits per order)",
      });
      limits.push(
        cpuSentence,
        `Each order costs ${commitsPerOrder.toFixed(1)} commits across the six databases (order row, saga steps, reservations, payment, outbox rows written, published on commit and marked published a second's worth at a time, inbox rows of every consumer, notifications), so the database's ${tps.toFixed(0)} pgbench tps would allow ${(tps / commitsPerOrder).toFixed(0)} orders/s if commits were the only limit. The saga reaches ${maxRate.toFixed(1)}/s: the rest is CPU on 2 cores shared by seven Node processes, NATS, PostgreSQL and the load driver (each order also crosses the gateway, three mesh hops with mTLS, JSON transcoding, and JetStream), and the serial event consumers (one transaction per event, as P4 measures).`,
        "Already done: each process publishes the events it records the moment their transaction commits (no relay round, no claim) and marks a second's worth of them published in one UPDATE and one commit, consumers apply a pulled batch in one transaction, and the saga costs one commit per step (the claim, or PlaceOrder itself when the local runner has room, marks the first call in flight; each step's commit records its outcome, the next state, the order change and its event, and marks the next call, so a step goes straight on with the next on the same lease), PlaceOrder checks its idempotency key in its insert rather than in a query of its own, and the catalog leaves StockCommitted (it moves no availability) unconsumed. What remains per order: PlaceOrder's transaction and one per saga step; inventory's reserve and commit; the payment's claim (committed before the provider is asked, so no transaction is held across that call) and its settlement; the catalog's price read (read-only: no WAL flush); one inbox commit per consumer batch, which at this rate is mostly a batch of one; and each relay's mark once a second. The ratio's formula divides by commits, so every commit saved lowers it while orders/s stays CPU-bound: what would raise it is more cores for the Node processes (every hop is CPU-bound on its event loop), not fewer commits.",
      );
    }
  } catch (error) {
    notRun.push(
      `P3 stopped early: ${error instanceof Error ? error.message : String(error)}. Last log lines: ${logs.lines().slice(-6).join(" / ")}`,
    );
  } finally {
    await orders?.end();
    await platform?.stop();
    for (const name of [...app.services.map((s) => s.name), "pgbench"]) {
      await admin.unsafe(`drop database if exists "${databaseName(prefix, name)}" with (force)`).catch(() => {});
    }
    await admin.end();
  }
  return {
    id: "P3",
    title: "saga (orders through the public API, real PostgreSQL and NATS)",
    rows,
    goals,
    method: [
      `\`startPlatform\` (@weft/cli/dev, what \`weft dev\` runs) with every service on its own fresh database on the machine's PostgreSQL (prefix \`${prefix}\`, dropped afterwards), a private nats-server on a free port, the gateway's rate limits raised. One product with ample stock, 8 customers, card \`tok_visa\`. Orders are placed with REST \`POST /v1/orders\` through the gateway; an order counts as confirmed when its row in the orders database says CONFIRMED, and its confirmation time is that row's \`updated_at\` (same machine clock as the driver).`,
      "Max rate: 32 concurrent customers place up to 400 orders (≤ 15 s); rate = confirmed orders ÷ (last confirmation − first placement). Latency: an open-model schedule at 70% of that rate (≤ 600 orders, ~10 s), place → CONFIRMED measured from each order's scheduled send time.",
      "Commits per order: the sum of `xact_commit` over the six service databases in `pg_stat_database`, across 100 orders (8 concurrent) until all are decided, less the load driver's own polls of the orders database (each a transaction there) and less the background commit rate measured over an idle 5 s window just before (relay safety polls, saga and expiry timers); stats are read after 11 s of quiet since backends flush them lazily. pgbench: `pgbench -n -c 8 -j 2 -T 6` (TPC-B-like) on a fresh `-s 5` database on the same server, once before and once after the saga load; median.",
    ],
    limits,
    notRun,
    seconds: (performance.now() - started) / 1000,
  };
}
