import { describe, expect, it } from "vitest";
import {
  namespaceOfPrincipal,
  parsePrincipal,
  principalFromSpiffeId,
  spiffeId,
  trustDomainOfPrincipal,
} from "../../src/identity/index.ts";

describe("spiffeId", () => {
  it("builds Istio's id in the default trust domain", () => {
    expect(spiffeId({ namespace: "shop", serviceAccount: "orders" })).toBe("spiffe://cluster.local/ns/shop/sa/orders");
  });

  it("takes another trust domain", () => {
    expect(spiffeId({ trustDomain: "example.org", namespace: "shop", serviceAccount: "orders" })).toBe(
      "spiffe://example.org/ns/shop/sa/orders",
    );
  });

  it.each([
    { namespace: "", serviceAccount: "orders" },
    { namespace: "shop", serviceAccount: "" },
    { namespace: "sh/op", serviceAccount: "orders" },
    { namespace: "shop", serviceAccount: ".." },
    { namespace: "shop", serviceAccount: "orders", trustDomain: "Cluster.Local" },
    { namespace: "shop", serviceAccount: "orders", trustDomain: "cluster.local:443" },
  ])("refuses names that cannot form an id: %o", (name) => {
    expect(() => spiffeId(name)).toThrow(RangeError);
  });
});

describe("principalFromSpiffeId", () => {
  it.each([
    ["spiffe://cluster.local/ns/shop/sa/orders", "cluster.local/ns/shop/sa/orders"],
    ["spiffe://example.org/ns/default/sa/my-app.v2_x", "example.org/ns/default/sa/my-app.v2_x"],
  ])("%s → %s", (uri, principal) => {
    expect(principalFromSpiffeId(uri)).toBe(principal);
  });

  it.each([
    "cluster.local/ns/shop/sa/orders",
    "https://cluster.local/ns/shop/sa/orders",
    "SPIFFE://cluster.local/ns/shop/sa/orders",
    "spiffe://cluster.local/ns/shop/sa/orders/",
    "spiffe://cluster.local/ns/shop/sa/orders/extra",
    "spiffe://cluster.local/ns/shop/orders",
    "spiffe://cluster.local/sa/orders/ns/shop",
    "spiffe://cluster.local/ns//sa/orders",
    "spiffe://cluster.local/ns/../sa/orders",
    "spiffe://cluster.local/ns/shop/sa/orders?x=1",
    "spiffe://cluster.local/ns/shop/sa/orders#x",
    "spiffe://user@cluster.local/ns/shop/sa/orders",
    "spiffe:///ns/shop/sa/orders",
    "spiffe://cluster.local",
    "",
  ])("rejects %j", (uri) => {
    expect(principalFromSpiffeId(uri)).toBeUndefined();
  });
});

describe("principals", () => {
  it("gives the namespace and trust domain", () => {
    expect(namespaceOfPrincipal("cluster.local/ns/shop/sa/orders")).toBe("shop");
    expect(trustDomainOfPrincipal("cluster.local/ns/shop/sa/orders")).toBe("cluster.local");
    expect(parsePrincipal("cluster.local/ns/shop/sa/orders")).toEqual({
      trustDomain: "cluster.local",
      namespace: "shop",
      serviceAccount: "orders",
    });
  });

  it.each(["", "*", "cluster.local/ns/shop", "spiffe://cluster.local/ns/shop/sa/orders", "cluster.local/sa/x/ns/y"])(
    "has no namespace for %j",
    (principal) => {
      expect(namespaceOfPrincipal(principal)).toBeUndefined();
    },
  );
});
