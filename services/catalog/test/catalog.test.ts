import { randomUUID } from "node:crypto";
import { Code } from "@weft/mesh";
import { outbox } from "@weft/mesh/events";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as schema from "../src/store/schema.ts";
import { failure, startCatalog } from "./support/world.ts";

let world: Awaited<ReturnType<typeof startCatalog>>;
beforeAll(async () => {
  world = await startCatalog();
});
afterAll(async () => {
  await world?.mesh.close();
  await deleteConsumer();
});

async function deleteConsumer() {
  const { connectEventBus } = await import("@weft/mesh/events");
  const bus = await connectEventBus({
    servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
    name: "catalog-test-cleanup",
  });
  await bus.jsm.consumers.delete("SHOP_INVENTORY_V1", world.consumer).catch(() => {});
  await bus.close();
}

const price = (amountMinor: bigint, currency = "USD") => ({ amountMinor, currency });

async function create(name: string, more: { description?: string; active?: boolean; key?: string } = {}) {
  const { product } = await world.gateway.createProduct(
    {
      product: { name, description: more.description ?? "", price: price(1999n), active: more.active },
      idempotencyKey: more.key ?? "",
    },
    world.admin,
  );
  return product!;
}

async function eventsAbout(id: string): Promise<string[]> {
  const rows = await world.service.db
    .select()
    .from(outbox)
    .where(eq(outbox.subject, id))
    .orderBy(outbox.createdAt, outbox.id);
  return rows.map((r) => r.type.replace("shop.catalog.v1.", ""));
}

describe("writes", () => {
  it("creates a product as an admin: active by default, availability 0, ProductCreated recorded", async () => {
    const product = await create("Cast iron teapot", { description: "Holds 1.2 l" });
    expect(product.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(product.active).toBe(true);
    expect(product.available).toBe(0n);
    expect(product.price).toMatchObject({ amountMinor: 1999n, currency: "USD" });
    expect(product.createTime).toBeDefined();
    expect(await eventsAbout(product.id)).toEqual(["ProductCreated"]);
    const { product: read } = await world.gateway.getProduct({ id: product.id });
    expect(read!.name).toBe("Cast iron teapot");
  });

  it("returns the first product for a repeated idempotency key, with one event", async () => {
    const key = randomUUID();
    const first = await create("Kettle", { key });
    const again = await create("Kettle (retry)", { key });
    expect(again.id).toBe(first.id);
    expect(again.name).toBe("Kettle");
    expect(await eventsAbout(first.id)).toEqual(["ProductCreated"]);
  });

  it("updates only the masked fields, ProductUpdated naming what changed; a no-op writes nothing", async () => {
    const product = await create("Mug", { description: "Blue" });
    const { product: updated } = await world.gateway.updateProduct(
      {
        product: { id: product.id, name: "Big mug", description: "ignored", price: price(2500n, "EUR") },
        updateMask: { paths: ["name", "price"] },
      },
      world.admin,
    );
    expect(updated!.name).toBe("Big mug");
    expect(updated!.description).toBe("Blue");
    expect(updated!.price).toMatchObject({ amountMinor: 2500n, currency: "EUR" });
    await world.gateway.updateProduct(
      { product: { id: product.id, name: "Big mug" }, updateMask: { paths: ["name"] } },
      world.admin,
    );
    expect(await eventsAbout(product.id)).toEqual(["ProductCreated", "ProductUpdated"]);
    const [event] = await world.service.db
      .select()
      .from(outbox)
      .where(eq(outbox.type, "shop.catalog.v1.ProductUpdated"));
    expect(event).toBeDefined();
  });

  it("hides a deactivated product from shoppers but not from admins", async () => {
    const product = await create("Old stock");
    await world.gateway.updateProduct(
      { product: { id: product.id, active: false }, updateMask: { paths: ["active"] } },
      world.admin,
    );
    expect((await failure(world.gateway.getProduct({ id: product.id }))).code).toBe(Code.NOT_FOUND);
    expect((await failure(world.gateway.getProduct({ id: product.id }, world.customer))).code).toBe(Code.NOT_FOUND);
    expect((await world.gateway.getProduct({ id: product.id }, world.admin)).product!.active).toBe(false);
    // Orders still gets it from BatchGetProducts, to decide for itself.
    const { products } = await world.orders.batchGetProducts({ ids: [product.id] });
    expect(products[0]!.active).toBe(false);
  });

  it("refuses writes without a token (UNAUTHENTICATED) or from a customer (PERMISSION_DENIED)", async () => {
    const request = { product: { name: "Nope", price: price(100n) } };
    expect((await failure(world.gateway.createProduct(request))).code).toBe(Code.UNAUTHENTICATED);
    expect((await failure(world.gateway.createProduct(request, world.customer))).code).toBe(Code.PERMISSION_DENIED);
    const product = await create("Guarded");
    const update = { product: { id: product.id, name: "Hacked" }, updateMask: { paths: ["name"] } };
    expect((await failure(world.gateway.updateProduct(update))).code).toBe(Code.UNAUTHENTICATED);
    expect((await failure(world.gateway.updateProduct(update, world.customer))).code).toBe(Code.PERMISSION_DENIED);
    const tampered = {
      metadata: {
        authorization: `Bearer ${(await world.tokens.bearer("admin")).metadata.authorization!.slice(7, -4)}abcd`,
      },
    };
    expect((await failure(world.gateway.createProduct(request, tampered))).code).toBe(Code.UNAUTHENTICATED);
    const rows = await world.service.db
      .select()
      .from(schema.products)
      .where(inArray(schema.products.name, ["Nope", "Hacked"]));
    expect(rows).toHaveLength(0);
  });

  it("keeps BatchGetProducts internal: the gateway may not call it (mesh policy)", async () => {
    expect((await failure(world.gateway.batchGetProducts({ ids: ["x"] }))).code).toBe(Code.PERMISSION_DENIED);
  });
});

describe("reads", () => {
  it("pages through every product once, newest first, with opaque tokens", async () => {
    const tag = `page-${randomUUID().slice(0, 8)}`;
    const created = [];
    for (let i = 0; i < 7; i++) created.push(await create(`${tag} item ${i}`));
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await world.gateway.listProducts({ pageSize: 3, pageToken, query: tag });
      expect(page.products.length).toBeLessThanOrEqual(3);
      seen.push(...page.products.map((p) => p.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "");
    expect(pages).toBe(3);
    expect(seen).toEqual(created.map((p) => p.id).reverse());
  });

  it("searches name and description case-insensitively, wildcards literal, inactive hidden", async () => {
    const tag = randomUUID().slice(0, 8);
    const byName = await create(`Green TEA ${tag}`);
    const byDescription = await create(`Pot ${tag}`, { description: "for green tea lovers" });
    await create(`Coffee ${tag}`);
    await create(`Hidden green tea ${tag}`, { active: false });
    const percent = await create(`100% cotton ${tag}`);
    await create(`1000 cotton ${tag}`);
    const ids = async (query: string, includeInactive = false) =>
      (await world.gateway.listProducts({ query, includeInactive }, includeInactive ? world.admin : {})).products
        .filter((p) => p.name.includes(tag))
        .map((p) => p.id);
    expect(await ids("green tea")).toEqual([byDescription.id, byName.id]);
    expect(await ids("0% cotton")).toEqual([percent.id]);
    expect(await ids("green tea", true)).toHaveLength(3);
  });

  it("returns a batch in request order, duplicates included; an unknown id is NOT_FOUND", async () => {
    const [a, b] = [await create("Batch A"), await create("Batch B")];
    const { products } = await world.orders.batchGetProducts({ ids: [b.id, a.id, b.id] });
    expect(products.map((p) => p.id)).toEqual([b.id, a.id, b.id]);
    expect(products[0]!.price).toMatchObject({ amountMinor: 1999n, currency: "USD" });
    expect((await failure(world.orders.batchGetProducts({ ids: [a.id, randomUUID()] }))).code).toBe(Code.NOT_FOUND);
  });

  it("answers unknown products with NOT_FOUND, for reads and updates", async () => {
    expect((await failure(world.gateway.getProduct({ id: randomUUID() }))).code).toBe(Code.NOT_FOUND);
    const update = world.gateway.updateProduct(
      { product: { id: randomUUID(), name: "x" }, updateMask: { paths: ["name"] } },
      world.admin,
    );
    expect((await failure(update)).code).toBe(Code.NOT_FOUND);
  });

  it("lets only admins include inactive products", async () => {
    expect((await failure(world.gateway.listProducts({ includeInactive: true }))).code).toBe(Code.UNAUTHENTICATED);
    expect((await failure(world.gateway.listProducts({ includeInactive: true }, world.customer))).code).toBe(
      Code.PERMISSION_DENIED,
    );
  });
});

describe("bad input", () => {
  const cases: Array<[string, () => Promise<unknown>, string[]]> = [
    ["create without a product", () => world.gateway.createProduct({}, world.admin), ["product"]],
    [
      "create with empty name, zero price, bad currency",
      () => world.gateway.createProduct({ product: { name: "", price: price(0n, "dollars") } }, world.admin),
      ["product.name", "product.price.amount_minor", "product.price.currency"],
    ],
    [
      "create with a huge name and no price",
      () =>
        world.gateway.createProduct(
          { product: { name: "n".repeat(100_000) }, idempotencyKey: "k".repeat(300) },
          world.admin,
        ),
      ["product.name", "product.price", "idempotency_key"],
    ],
    [
      "update of an output-only field",
      () =>
        world.gateway.updateProduct(
          { product: { id: "x", available: 5n }, updateMask: { paths: ["available"] } },
          world.admin,
        ),
      ["update_mask"],
    ],
    [
      "update with a negative price",
      () =>
        world.gateway.updateProduct(
          { product: { id: "x", price: price(-1n) }, updateMask: { paths: ["price"] } },
          world.admin,
        ),
      ["product.price.amount_minor"],
    ],
    [
      "update without an id",
      () => world.gateway.updateProduct({ product: { name: "x" }, updateMask: { paths: ["name"] } }, world.admin),
      ["product.id"],
    ],
    ["get without an id", () => world.gateway.getProduct({ id: "" }), ["id"]],
    ["list with a negative page size", () => world.gateway.listProducts({ pageSize: -1 }), ["page_size"]],
    [
      "list with a malformed page token",
      () => world.gateway.listProducts({ pageToken: "not-a-token" }),
      ["page_token"],
    ],
    ["list with a huge query", () => world.gateway.listProducts({ query: "q".repeat(1000) }), ["query"]],
    ["batch of nothing", () => world.orders.batchGetProducts({ ids: [] }), ["ids"]],
    [
      "batch of too many",
      () => world.orders.batchGetProducts({ ids: Array.from({ length: 101 }, (_, i) => `p${i}`) }),
      ["ids"],
    ],
    ["batch with a bad id", () => world.orders.batchGetProducts({ ids: ["ok", "bad id"] }), ["ids[1]"]],
  ];
  it.each(cases)("%s → INVALID_ARGUMENT naming the fields, nothing written", async (_name, call, fields) => {
    const before = await world.service.db.$count(schema.products);
    const error = await failure(call());
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((f) => f.field)).toEqual(fields);
    expect(await world.service.db.$count(schema.products)).toBe(before);
  });

  it("refuses a page token replayed with a different query", async () => {
    const tag = `replay-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) await create(`${tag} ${i}`);
    const { nextPageToken } = await world.gateway.listProducts({ pageSize: 1, query: tag });
    expect(nextPageToken).not.toBe("");
    const error = await failure(world.gateway.listProducts({ pageSize: 1, query: "other", pageToken: nextPageToken }));
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((f) => f.field)).toEqual(["page_token"]);
  });
});
