import { createServer } from "node:net";
import { status } from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { RpcMetrics, startMetricsServer } from "../../src/telemetry/index.ts";

const getOrder = { service: "shop.orders.v1.OrderService", name: "GetOrder" };
const charge = { service: "shop.payments.v1.PaymentService", name: "Charge" };

describe("RpcMetrics", () => {
  it("exports go-grpc-prometheus series with code names as labels", async () => {
    const metrics = new RpcMetrics();
    metrics.started("server", getOrder);
    metrics.started("server", getOrder);
    metrics.observe("server", getOrder, status.OK, 0.004);
    metrics.observe("server", getOrder, status.NOT_FOUND, 0.2);
    metrics.started("client", charge);
    metrics.observe("client", charge, status.UNAVAILABLE, 1.5);

    const text = await metrics.registry.metrics();
    const server = 'grpc_service="shop.orders.v1.OrderService",grpc_method="GetOrder"';
    const client = 'grpc_service="shop.payments.v1.PaymentService",grpc_method="Charge"';
    expect(text).toContain("# TYPE grpc_server_started_total counter");
    expect(text).toContain(`grpc_server_started_total{${server}} 2`);
    expect(text).toContain(`grpc_server_handled_total{${server},grpc_code="OK"} 1`);
    expect(text).toContain(`grpc_server_handled_total{${server},grpc_code="NOT_FOUND"} 1`);
    expect(text).toContain("# TYPE grpc_server_handling_seconds histogram");
    expect(text).toContain(`grpc_server_handling_seconds_bucket{le="0.005",${server}} 1`);
    expect(text).toContain(`grpc_server_handling_seconds_bucket{le="0.25",${server}} 2`);
    expect(text).toContain(`grpc_server_handling_seconds_count{${server}} 2`);
    expect(text).toContain(`grpc_client_started_total{${client}} 1`);
    expect(text).toContain(`grpc_client_handled_total{${client},grpc_code="UNAVAILABLE"} 1`);
    expect(text).toContain(`grpc_client_handling_seconds_bucket{le="2.5",${client}} 1`);
    expect(text).toContain(`grpc_client_handling_seconds_sum{${client}} 1.5`);
    expect(text).not.toContain("process_cpu");
  });

  it("gives each instance its own registry", async () => {
    const first = new RpcMetrics();
    const second = new RpcMetrics();
    expect(first.registry).not.toBe(second.registry);
    first.observe("server", getOrder, status.OK, 0.01);
    expect(await second.registry.metrics()).not.toContain("grpc_code");
  });

  it("shares series when instances are given the same registry", async () => {
    const registry = new Registry();
    new RpcMetrics({ registry }).observe("server", getOrder, status.OK, 0.01);
    new RpcMetrics({ registry }).observe("server", getOrder, status.OK, 0.01);
    expect(await registry.metrics()).toContain(
      'grpc_server_handled_total{grpc_service="shop.orders.v1.OrderService",grpc_method="GetOrder",grpc_code="OK"} 2',
    );
  });

  it("adds the runtime's default metrics on request", async () => {
    const metrics = new RpcMetrics({ collectDefaultMetrics: true });
    expect(await metrics.registry.metrics()).toContain("process_cpu_user_seconds_total");
  });
});

describe("startMetricsServer", () => {
  it("serves /metrics in Prometheus text format and 404 elsewhere", async () => {
    const metrics = new RpcMetrics();
    metrics.observe("server", getOrder, status.INTERNAL, 0.02);
    const server = await startMetricsServer({ port: 0, host: "127.0.0.1", registry: metrics.registry });
    try {
      expect(server.port).toBeGreaterThan(0);
      const base = `http://127.0.0.1:${server.port}`;

      const ok = await fetch(`${base}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toBe(metrics.registry.contentType);
      expect(ok.headers.get("content-type")).toContain("text/plain");
      expect(await ok.text()).toContain('grpc_code="INTERNAL"} 1');

      const query = await fetch(`${base}/metrics?name=x`);
      expect(query.status).toBe(200);
      await query.arrayBuffer();

      for (const path of ["/", "/metricsx", "/health"]) {
        const missing = await fetch(`${base}${path}`);
        expect(missing.status).toBe(404);
        await missing.arrayBuffer();
      }

      const post = await fetch(`${base}/metrics`, { method: "POST" });
      expect(post.status).toBe(405);
      await post.arrayBuffer();
    } finally {
      await server.close();
    }
  });

  it("frees its port on close, even with a kept-alive connection", async () => {
    const server = await startMetricsServer({ port: 0, host: "127.0.0.1", registry: new Registry() });
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { connection: "keep-alive" } });
    await response.text();
    await server.close();

    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(server.port, "127.0.0.1", resolve);
    });
    await new Promise((resolve) => probe.close(resolve));
  });

  it("rejects when the port is taken", async () => {
    const first = await startMetricsServer({ port: 0, host: "127.0.0.1", registry: new Registry() });
    try {
      await expect(
        startMetricsServer({ port: first.port, host: "127.0.0.1", registry: new Registry() }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
