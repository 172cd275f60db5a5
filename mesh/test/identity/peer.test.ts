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

  const from = (peer: string) => ({
    ...headerCall("URI=spiffe://cluster.local/ns/shop/sa/gateway"),
    getAuthContext: tlsCall(`URI:${orders}`).getAuthContext,
    getPeer: () => peer,
  });

  it("picks the source of the identity by mode", () => {
    const both = from("127.0.0.6:41234");
    expect(principalResolver("mesh")(both)).toBe("cluster.local/ns/shop/sa/orders");
    expect(principalResolver("istio")(both)).toBe("cluster.local/ns/shop/sa/gateway");
    expect(principalResolver("off")(both)).toBeUndefined();
  });

  it.each([
    ["127.0.0.6:41234"], // Envoy's inbound source address since Istio 1.10
    ["127.0.0.1:41234"],
    ["::1:41234"],
    ["::ffff:127.0.0.6:41234"],
  ])("istio: believes the header on a connection from the sidecar at %s", (peer) => {
    expect(principalResolver("istio")(from(peer))).toBe("cluster.local/ns/shop/sa/gateway");
  });

  it.each([
    ["10.0.3.7:50000"], // another pod reaching the port directly
    ["::ffff:10.0.3.7:50000"],
    ["fd00::7:50000"],
    ["unknown"],
  ])("istio: ignores the header on a connection from %s, which is not the sidecar", (peer) => {
    expect(principalResolver("istio")(from(peer))).toBeUndefined();
  });

  it("istio: MESH_SIDECAR_ADDRESSES adds addresses that count as the sidecar", () => {
    const resolve = principalResolver("istio", { sidecarAddresses: ["10.0.3.7"] });
    expect(resolve(from("10.0.3.7:50000"))).toBe("cluster.local/ns/shop/sa/gateway");
    expect(resolve(from("10.0.3.8:50000"))).toBeUndefined();
  });
});
