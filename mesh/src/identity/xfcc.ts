/**
 * Envoy's `x-forwarded-client-cert` header, which Istio sidecars pass to the application:
 * comma-separated elements, each `;`-separated `Key=Value` pairs (By, Hash, Cert, Chain,
 * Subject, URI, DNS), values double-quoted when they hold `,` `;` or `=`, with `\"` inside.
 *
 *   By=spiffe://cluster.local/ns/example/sa/ledger;Hash=ab12…;URI=spiffe://cluster.local/ns/example/sa/billing
 */

export interface XfccPair {
  readonly key: string;
  readonly value: string;
}

/** One proxy hop: the client certificate that proxy verified. */
export type XfccElement = readonly XfccPair[];

const keyPattern = /^[A-Za-z]+$/;

/** All elements in order (oldest first), or undefined when the header is malformed. */
export function parseXfcc(header: string): XfccElement[] | undefined {
  const elements: XfccElement[] = [];
  let pairs: XfccPair[] = [];
  let position = 0;
  for (;;) {
    // Joined header lines ("a, b") and hand-written values may carry spaces between pairs.
    while (header[position] === " ") position++;
    const equals = header.indexOf("=", position);
    if (equals < 0) return undefined;
    const key = header.slice(position, equals).trim();
    if (!keyPattern.test(key)) return undefined;
    const read = header[equals + 1] === '"' ? readQuoted(header, equals + 2) : readBare(header, equals + 1);
    if (read === undefined) return undefined;
    pairs.push({ key, value: read.value });
    position = read.end;
    while (header[position] === " ") position++;
    if (position >= header.length) break;
    const delimiter = header[position];
    position++;
    if (delimiter === ",") {
      elements.push(pairs);
      pairs = [];
    } else if (delimiter !== ";") {
      return undefined;
    }
  }
  elements.push(pairs);
  return elements;
}

interface Read {
  readonly value: string;
  /** Index just past the value. */
  readonly end: number;
}

function readQuoted(header: string, from: number): Read | undefined {
  let value = "";
  for (let index = from; index < header.length; index++) {
    const char = header[index];
    if (char === '"') return { value, end: index + 1 };
    const next = header[index + 1];
    // Only `\"` and `\\` are escapes; other backslashes belong to the value (e.g. RFC 4514 `\,` in a Subject).
    if (char === "\\" && (next === '"' || next === "\\")) {
      value += next;
      index++;
    } else {
      value += char;
    }
  }
  return undefined;
}

function readBare(header: string, from: number): Read | undefined {
  let end = from;
  while (end < header.length && header[end] !== ";" && header[end] !== ",") end++;
  const value = header.slice(from, end).trimEnd();
  // Envoy quotes values holding these, so finding them bare means the header is not Envoy's.
  if (value.includes('"') || value.includes("=")) return undefined;
  return { value, end };
}

/** The values of one key in an element (keys compare case-insensitively). */
export function xfccValues(element: XfccElement, key: string): string[] {
  const wanted = key.toLowerCase();
  return element.filter((pair) => pair.key.toLowerCase() === wanted).map((pair) => pair.value);
}

/** The SPIFFE URI of the peer: the single URI of the last element, which the nearest proxy appended. */
export function spiffeIdFromXfcc(header: string | undefined): string | undefined {
  if (header === undefined || header === "") return undefined;
  const last = parseXfcc(header)?.at(-1);
  if (last === undefined) return undefined;
  const uris = xfccValues(last, "URI");
  return uris.length === 1 ? uris[0] : undefined;
}
