/**
 * Reads Node's `tls.PeerCertificate.subjectaltname` text, e.g.
 * `DNS:localhost, URI:spiffe://cluster.local/ns/example/sa/billing, IP Address:127.0.0.1`.
 * Node writes a value as a JSON string when it holds characters such as `,` (CVE-2021-44532),
 * so a crafted SAN cannot pose as a second entry: this parser honours that quoting.
 */

export interface SubjectAltName {
  /** As Node names it: `DNS`, `URI`, `IP Address`, `email`, ... */
  readonly type: string;
  readonly value: string;
}

const separator = ", ";

/** The entries in order, or undefined when the text is not in Node's format. */
export function parseSubjectAltNames(text: string): SubjectAltName[] | undefined {
  const names: SubjectAltName[] = [];
  let position = 0;
  while (position < text.length) {
    const colon = text.indexOf(":", position);
    if (colon <= position) return undefined;
    const type = text.slice(position, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = closingQuote(text, colon + 2);
      if (end < 0) return undefined;
      end += 1;
      try {
        value = JSON.parse(text.slice(colon + 1, end)) as string;
      } catch {
        return undefined;
      }
    } else {
      const next = text.indexOf(separator, colon + 1);
      end = next < 0 ? text.length : next;
      value = text.slice(colon + 1, end);
    }
    names.push({ type, value });
    if (end === text.length) break;
    if (!text.startsWith(separator, end)) return undefined;
    position = end + separator.length;
    if (position === text.length) return undefined;
  }
  return names;
}

function closingQuote(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    if (text[index] === "\\") index++;
    else if (text[index] === '"') return index;
  }
  return -1;
}

/**
 * The certificate's SPIFFE id: its single URI SAN. SPIFFE allows exactly one, so a certificate
 * with several is ambiguous and yields undefined rather than a guess.
 */
export function uriOfSubjectAltNames(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const uris = (parseSubjectAltNames(text) ?? []).filter((name) => name.type === "URI");
  return uris.length === 1 ? uris[0]?.value : undefined;
}
