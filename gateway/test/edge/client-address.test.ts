import { describe, expect, it } from "vitest";
import {
  type ClientAddressOptions,
  clientAddress,
  clientKey,
  normaliseAddress,
} from "../../src/edge/client-address.ts";

const xff = (trustedProxies: number): ClientAddressOptions => ({ trustedProxies, header: "x-forwarded-for" });
const forwarded = (trustedProxies: number): ClientAddressOptions => ({ trustedProxies, header: "forwarded" });

describe("the client's address", () => {
  it.each<[string, string | string[] | undefined, string | undefined, ClientAddressOptions, string]>([
    ["no proxy: the socket, whatever the header says", "198.51.100.7", "10.0.0.1", xff(0), "10.0.0.1"],
    ["one proxy: the entry it appended", "198.51.100.7", "10.0.0.1", xff(1), "198.51.100.7"],
    ["one proxy: forged entries left of it are ignored", "6.6.6.6, 198.51.100.7", "10.0.0.1", xff(1), "198.51.100.7"],
    [
      "two proxies: the second entry from the right",
      "6.6.6.6, 198.51.100.7, 10.0.0.2",
      "10.0.0.1",
      xff(2),
      "198.51.100.7",
    ],
    ["a chain shorter than the hops: its leftmost entry", "198.51.100.7", "10.0.0.1", xff(3), "198.51.100.7"],
    ["repeated header lines are one list", ["6.6.6.6", "198.51.100.7"], "10.0.0.1", xff(1), "198.51.100.7"],
    ["no header behind a proxy: the socket", undefined, "10.0.0.1", xff(1), "10.0.0.1"],
    ["an entry that is no address: the socket", "6.6.6.6, unknown", "10.0.0.1", xff(1), "10.0.0.1"],
    ["an empty header: the socket", "", "10.0.0.1", xff(1), "10.0.0.1"],
    ["IPv4 with a port", "198.51.100.7:4711", "10.0.0.1", xff(1), "198.51.100.7"],
    ["IPv6 in brackets with a port", "[2001:DB8::1]:443", "10.0.0.1", xff(1), "2001:db8::1"],
    ["bare IPv6", "2001:0db8:0000::0001", "10.0.0.1", xff(1), "2001:db8::1"],
    ["IPv4-mapped IPv6 socket", undefined, "::ffff:127.0.0.1", xff(0), "127.0.0.1"],
    ["IPv6 socket with a zone", undefined, "fe80::1%eth0", xff(0), "fe80::1"],
    ["no socket address at all", undefined, undefined, xff(0), "unknown"],
    [
      "Forwarded: the last element's for=",
      'for=6.6.6.6, for="[2001:db8:cafe::17]:4711"',
      "10.0.0.1",
      forwarded(1),
      "2001:db8:cafe::17",
    ],
    [
      "Forwarded: quoted IPv4 with a port",
      'for="198.51.100.7:80";proto=https;by=10.0.0.1',
      "10.0.0.1",
      forwarded(1),
      "198.51.100.7",
    ],
    [
      "Forwarded: commas inside quotes do not split",
      'for=6.6.6.6;x="a,b", for=198.51.100.7',
      "10.0.0.1",
      forwarded(1),
      "198.51.100.7",
    ],
    [
      "Forwarded: malformed client part is skipped",
      'for=="\\, for=198.51.100.7',
      "10.0.0.1",
      forwarded(1),
      "198.51.100.7",
    ],
    [
      "Forwarded: an unbalanced quote from the client cannot swallow the proxy's element",
      'for="',
      "10.0.0.1",
      forwarded(1),
      "10.0.0.1",
    ],
    [
      "Forwarded: …with the proxy's element appended",
      ['for="6.6.6.6', "for=198.51.100.7"],
      "10.0.0.1",
      forwarded(1),
      "198.51.100.7",
    ],
    [
      "Forwarded: escaped quotes inside a quoted value",
      'for=6.6.6.6, for=198.51.100.7;x="a\\"b,c"',
      "10.0.0.1",
      forwarded(1),
      "198.51.100.7",
    ],
    [
      "Forwarded: two proxies",
      'for=6.6.6.6, for=198.51.100.7, for="[2001:db8::2]"',
      "10.0.0.1",
      forwarded(2),
      "198.51.100.7",
    ],
    ["Forwarded: obfuscated node → the socket", "for=_hidden", "10.0.0.1", forwarded(1), "10.0.0.1"],
    ["Forwarded: no for= → the socket", "proto=https", "10.0.0.1", forwarded(1), "10.0.0.1"],
  ])("%s", (_, header, socket, options, expected) => {
    expect(clientAddress(header, socket, options)).toBe(expected);
  });
});

describe("the key per-client limits count under", () => {
  it.each([
    ["203.0.113.9", "203.0.113.9"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:db8:1:3::1", "2001:db8:1:3::/64"],
    ["::1", "::/64"],
    ["unknown", "unknown"],
  ])("%s → %s", (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  it("puts every address of one /64 in one bucket and IPv4-mapped addresses with their IPv4 twin", () => {
    const key = (raw: string) => clientKey(normaliseAddress(raw)!);
    expect(key("2001:db8:aa:bb:1:2:3:4")).toBe(key("2001:db8:aa:bb:ffff::"));
    expect(key("2001:db8:aa:bb::1")).not.toBe(key("2001:db8:aa:bc::1"));
    expect(key("::ffff:192.0.2.1")).toBe(key("192.0.2.1"));
    expect(key("::ffff:c000:0201")).toBe(key("192.0.2.1"));
  });

  it("refuses what is not an address", () => {
    for (const raw of ["", "unknown", "1.2.3", "999.1.1.1", "localhost", "1.2.3.4.5", "::g"]) {
      expect(normaliseAddress(raw)).toBeUndefined();
    }
  });
});
