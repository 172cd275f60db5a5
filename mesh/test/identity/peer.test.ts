import { describe, expect, it } from "vitest";
import { principalFromCall, principalFromCallXfcc, principalResolver, xfccHeader } from "../../src/identity/index.ts";

const orders = "spiffe://cluster.local/ns/shop/sa/orders";

function tlsCall(subjectaltname: string | undefined) {
  return {
    getAuthContext: () => (subjectaltname === undefined ? {} : { sslPeerCertificate: { subjectaltname } }),
    metadata: { get: (): string[] => [] },
  };
}

function headerCall(...values: string[]) {
  return {
    getAuthContext: () => ({}),
    metadata: { get: (key: string): string[] => (key === xfccHeader ? values : []) },
  };
}

describe("principalFromCall", () => {
  it.each([
    [`URI:${orders}, DNS:localhost, IP Address:127.0.0.1`, "cluster.local/ns/shop/sa/orders"],
    [`DNS:localhost, URI:${orders}`, "cluster.local/ns/shop/sa/orders"],
  ])("reads the URI SAN of %j", (san, principal) => {
    expect(principalFromCall(tlsCall(san))).toBe(principal);
  });

  it.each([
    ["no peer certificate (plaintext)", undefined],
    ["no URI SAN", "DNS:localhost"],
    ["two URI SANs (SPIFFE allows one)", `URI:${orders}, URI:spiffe://cluster.local/ns/shop/sa/gateway`],
    ["a URI that only contains a SPIFFE id inside Node's quoting", `URI:${JSON.stringify(`x, URI:${orders}`)}`],
    ["a URI of another shape", "URI:spiffe://cluster.local/workload/orders"],
  ])("undefined for %s", (_name, san) => {
    expect(principalFromCall(tlsCall(san))).toBeUndefined();
  });
});

describe("principalFromCallXfcc and principalResolver", () => {
  it("reads the header; repeated header lines form one list whose last element wins", () => {
    expect(principalFromCallXfcc(headerCall(`URI=${orders}`))).toBe("cluster.local/ns/shop/sa/orders");
    expect(principalFromCallXfcc(headerCall("URI=spiffe://cluster.local/ns/shop/sa/gateway", `URI=${orders}`))).toBe(
      "cluster.local/ns/shop/sa/orders",
    );
    expect(principalFromCallXfcc(headerCall())).toBeUndefined();
  });

  it("picks the source of the identity by mode", () => {
    const both = {
      ...headerCall("URI=spiffe://cluster.local/ns/shop/sa/gateway"),
      getAuthContext: tlsCall(`URI:${orders}`).getAuthContext,
    };
    expect(principalResolver("mesh")(both)).toBe("cluster.local/ns/shop/sa/orders");
    expect(principalResolver("istio")(both)).toBe("cluster.local/ns/shop/sa/gateway");
    expect(principalResolver("off")(both)).toBeUndefined();
  });
});
