import { describe, expect, it } from "vitest";
import { parseSubjectAltNames, parseXfcc, principalFromXfcc } from "../../src/identity/index.ts";

const orders = "spiffe://cluster.local/ns/shop/sa/orders";
const gateway = "spiffe://cluster.local/ns/shop/sa/gateway";
const inventory = "spiffe://cluster.local/ns/shop/sa/inventory";

describe("principalFromXfcc", () => {
  it.each([
    [
      "a single element (Envoy's SANITIZE_SET)",
      `By=${inventory};Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;URI=${orders}`,
      "cluster.local/ns/shop/sa/orders",
    ],
    ["only a URI", `URI=${orders}`, "cluster.local/ns/shop/sa/orders"],
    [
      "several elements: the last one, appended by the nearest proxy",
      `By=${gateway};URI=spiffe://cluster.local/ns/edge/sa/ingress,By=${inventory};URI=${orders}`,
      "cluster.local/ns/shop/sa/orders",
    ],
    [
      "several elements with a space after the comma (joined header lines)",
      `URI=${gateway}, By=${inventory};URI=${orders}`,
      "cluster.local/ns/shop/sa/orders",
    ],
    ["a quoted URI", `By=${inventory};URI="${orders}"`, "cluster.local/ns/shop/sa/orders"],
    [
      "a quoted Subject holding commas, semicolons, equals and escaped quotes",
      `By=${inventory};Subject="CN=a\\"b\\",O=x;y=z, L=w";URI=${orders};DNS=orders.shop.svc`,
      "cluster.local/ns/shop/sa/orders",
    ],
    [
      "a quoted Subject holding a comma in an earlier element",
      `Subject="O=Edge, Inc.";URI=${gateway},URI=${orders}`,
      "cluster.local/ns/shop/sa/orders",
    ],
    [
      "an empty quoted Subject and a URL-encoded Cert",
      `Hash=ab;Cert="-----BEGIN%20CERTIFICATE-----%0AMIIB%3D%3D";Subject="";URI=${orders}`,
      "cluster.local/ns/shop/sa/orders",
    ],
    ["keys in another case", `by=${inventory};uri=${orders}`, "cluster.local/ns/shop/sa/orders"],
  ])("%s", (_name, header, principal) => {
    expect(principalFromXfcc(header)).toBe(principal);
  });

  it.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["no URI in the last element", `By=${inventory};Hash=ab`],
    ["no URI in the last element even if an earlier one has it", `URI=${gateway},By=${inventory};Hash=ab`],
    ["two URIs in the last element", `URI=${orders};URI=${gateway}`],
    ["a URI that is not a SPIFFE id of Istio's shape", "URI=https://evil.example/ns/shop/sa/orders"],
    ["an empty URI", "URI="],
    ["garbage", "hello world"],
    ["an unterminated quote", `Subject="CN=x;URI=${orders}`],
    ["text after a closing quote", `Subject="CN=x"junk;URI=${orders}`],
    ["a bare value with a quote in it", `Subject=CN"x;URI=${orders}`],
    ["a bare value with an equals sign in it", `Subject=CN=x;URI=${orders}`],
    ["an empty element", `URI=${orders},`],
    ["an empty key", `=x;URI=${orders}`],
    ["a key with odd characters", `U-R-I=${orders}`],
    ["a dangling separator", `URI=${orders};`],
  ])("undefined for %s", (_name, header) => {
    expect(principalFromXfcc(header)).toBeUndefined();
  });
});

describe("parseXfcc", () => {
  it("keeps every element and pair in order, unquoting values", () => {
    expect(parseXfcc(`By=${inventory};Subject="a,b;\\"c\\"";URI=${orders},DNS=x;DNS=y`)).toEqual([
      [
        { key: "By", value: inventory },
        { key: "Subject", value: 'a,b;"c"' },
        { key: "URI", value: orders },
      ],
      [
        { key: "DNS", value: "x" },
        { key: "DNS", value: "y" },
      ],
    ]);
  });
});

describe("parseSubjectAltNames (Node's tls.PeerCertificate.subjectaltname)", () => {
  it("splits Node's list", () => {
    expect(parseSubjectAltNames(`URI:${orders}, DNS:localhost, IP Address:127.0.0.1`)).toEqual([
      { type: "URI", value: orders },
      { type: "DNS", value: "localhost" },
      { type: "IP Address", value: "127.0.0.1" },
    ]);
  });

  it("reads Node's JSON-quoted values, so a crafted SAN cannot pose as a second entry", () => {
    const crafted = `URI:${JSON.stringify(`https://x.example/a, URI:${orders}`)}, DNS:localhost`;
    expect(parseSubjectAltNames(crafted)).toEqual([
      { type: "URI", value: `https://x.example/a, URI:${orders}` },
      { type: "DNS", value: "localhost" },
    ]);
  });

  it.each(["URI", "URI:x, ", 'URI:"unterminated', 'URI:"x"y', ":x"])("undefined for %j", (text) => {
    expect(parseSubjectAltNames(text)).toBeUndefined();
  });
});
