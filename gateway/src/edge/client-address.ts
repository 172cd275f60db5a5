import { isIP } from "node:net";
import parseForwardedElement from "forwarded-parse";
import ipaddr from "ipaddr.js";

/** The header the trusted proxies in front of the edge append the client's address to. */
export type ForwardedHeader = "x-forwarded-for" | "forwarded";

export interface ClientAddressOptions {
  /**
   * How many proxies in front of the edge append to the forwarding header. 0: the socket's peer
   * is the client and the header is ignored (anyone can send it).
   */
  trustedProxies: number;
  header: ForwardedHeader;
}

/**
 * The client's address as the edge should believe it: the entry `trustedProxies` places from the
 * right of the forwarding header, each trusted proxy having appended the address it saw. Entries
 * further left were written by the client and are never read, so a spoofed header only changes
 * what the outermost trusted proxy records anyway. A chain shorter than expected yields its
 * leftmost entry (the furthest a trusted proxy saw); no usable entry yields the socket's peer.
 */
export function clientAddress(
  headerValue: string | readonly string[] | undefined,
  socketAddress: string | undefined,
  options: ClientAddressOptions,
): string {
  const peer = normaliseAddress(socketAddress) ?? "unknown";
  if (options.trustedProxies === 0 || headerValue === undefined) return peer;
  const joined = typeof headerValue === "string" ? headerValue : headerValue.join(",");
  // Only the last `trustedProxies` entries were written by proxies we trust.
  const trusted =
    options.header === "forwarded"
      ? forwardedFor(joined, options.trustedProxies)
      : joined.split(",").slice(-options.trustedProxies);
  const chosen = trusted[0];
  return (chosen === undefined ? undefined : normaliseAddress(hostOf(chosen.trim()))) ?? peer;
}

/**
 * The key the edge's per-client limits count under: an IPv4 address as is; an IPv6 address by its
 * /64, the smallest block a subscriber is normally given (a host rotates freely inside it, so a
 * per-address key would be no limit at all).
 */
export function clientKey(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${address}/64`).toRFC5952String()}/64`;
}

/**
 * An address in one canonical text form: IPv4-mapped IPv6 (`::ffff:192.0.2.1`, how a dual-stack
 * socket reports IPv4 peers) as the IPv4 address, IPv6 without its zone and in RFC 5952 form.
 * Undefined for anything that is not an IP address.
 */
export function normaliseAddress(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const address = raw.replace(/%.*$/, "");
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return undefined;
  const parsed = ipaddr.IPv6.parse(address);
  return parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : parsed.toRFC5952String();
}

/**
 * The host of a node as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
 * `[2001:db8::1]` or `[2001:db8::1]:4711`.
 */
function hostOf(node: string): string {
  if (node.startsWith("[")) {
    const end = node.indexOf("]");
    return end === -1 ? node : node.slice(1, end);
  }
  const colon = node.indexOf(":");
  return colon !== -1 && colon === node.lastIndexOf(":") ? node.slice(0, colon) : node;
}

/**
 * The `for=` nodes of the last `count` elements of an RFC 7239 `Forwarded` value. The value is
 * split from the right, at commas outside quoted strings, and each element is parsed on its own:
 * what a client wrote at the left (an unbalanced quote, say) cannot swallow or hide the elements
 * the trusted proxies appended. An element without a readable `for=` names no address.
 */
function forwardedFor(value: string, count: number): string[] {
  return lastElements(value, count).map((element) => {
    try {
      return parseForwardedElement(element.trim())[0]?.for ?? "";
    } catch {
      return "";
    }
  });
}

function lastElements(value: string, count: number): string[] {
  const elements: string[] = [];
  let end = value.length;
  let quoted = false;
  for (let i = value.length - 1; i >= 0 && elements.length < count; i--) {
    const char = value[i];
    if (char === '"' && !escaped(value, i)) quoted = !quoted;
    else if (char === "," && !quoted) {
      elements.unshift(value.slice(i + 1, end));
      end = i;
    }
  }
  if (elements.length < count) elements.unshift(value.slice(0, end));
  return elements;
}

/** Whether the character at `index` is preceded by an odd number of backslashes. */
function escaped(value: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && value[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 1;
}
