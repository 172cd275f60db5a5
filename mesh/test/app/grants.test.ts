import { file_shop_catalog_v1_catalog } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { file_shop_payments_v1_payments } from "@weft/gen/shop/payments/v1/payments_pb.js";
import { file_weft_echo_v1_echo } from "@weft/gen/weft/echo/v1/echo_pb.js";
import { afterAll, describe, expect, it } from "vitest";
import { checkAppContracts, derivedGrants, isGranted, loadApp } from "../../src/app/index.ts";
import { appOnDisk, registryOf } from "./fixture.ts";

// Real contracts with google.api.http routes (catalog) and without (payments), in an app of our own.
const disk = appOnDisk({
  "weft.app.yaml": `name: store
edge:
  auth: { issuer: i, audience: a, jwks: { rpc: shop.payments.v1.PaymentService/GetPayment } }
`,
  "services/products/weft.yaml": "name: products\nimplements: [shop.catalog.v1.CatalogService]\nedge: true\n",
  "services/billing/weft.yaml": `name: billing
implements: [shop.payments.v1.PaymentService]
edge: true
calls:
  products: [CatalogService/GetProduct, CatalogService/BatchGetProducts]
`,
  "services/echo/weft.yaml": `name: echo
implements: [weft.echo.v1.EchoService]
calls:
  products: [CatalogService/BatchGetProducts]
  billing: [PaymentService/Refund, PaymentService/Charge]
`,
});
afterAll(() => disk.remove());
const registry = registryOf(file_shop_catalog_v1_catalog, file_shop_payments_v1_payments, file_weft_echo_v1_echo);

describe("derivedGrants", () => {
  const app = loadApp(disk.root);
  checkAppContracts(app, registry);
  const grants = derivedGrants(app, registry);

  it("grants each declared call, and the gateway the REST-routed RPCs of edge services plus the JWKS method", () => {
    expect(grants).toEqual([
      // billing is edge: true but has no google.api.http route: the gateway only gets the JWKS method.
      { callee: "billing", caller: "gateway", paths: ["/shop.payments.v1.PaymentService/GetPayment"] },
      // Paths in proto order, not the manifest's.
      {
        callee: "billing",
        caller: "echo",
        paths: ["/shop.payments.v1.PaymentService/Charge", "/shop.payments.v1.PaymentService/Refund"],
      },
      {
        callee: "products",
        caller: "gateway",
        paths: [
          "/shop.catalog.v1.CatalogService/CreateProduct",
          "/shop.catalog.v1.CatalogService/UpdateProduct",
          "/shop.catalog.v1.CatalogService/GetProduct",
          "/shop.catalog.v1.CatalogService/ListProducts",
        ],
      },
      {
        callee: "products",
        caller: "billing",
        paths: ["/shop.catalog.v1.CatalogService/GetProduct", "/shop.catalog.v1.CatalogService/BatchGetProducts"],
      },
      { callee: "products", caller: "echo", paths: ["/shop.catalog.v1.CatalogService/BatchGetProducts"] },
    ]);
  });

  it("grants nothing undeclared", () => {
    expect(isGranted(grants, "echo", "products", "/shop.catalog.v1.CatalogService/BatchGetProducts")).toBe(true);
    expect(isGranted(grants, "echo", "products", "/shop.catalog.v1.CatalogService/GetProduct")).toBe(false);
    expect(isGranted(grants, "gateway", "products", "/shop.catalog.v1.CatalogService/BatchGetProducts")).toBe(false);
    expect(isGranted(grants, "gateway", "billing", "/shop.payments.v1.PaymentService/Charge")).toBe(false);
    expect(grants.some((grant) => grant.callee === "echo")).toBe(false);
  });
});
