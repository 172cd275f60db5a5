import type { PathTemplate, TemplateVariable } from "./path-template.ts";

/** A request path split into raw (still percent-encoded) segments. */
export interface RequestPath {
  readonly segments: readonly string[];
}

/** The raw text one template variable captured; decoded later, where errors become 400s. */
export interface CapturedVariable {
  readonly variable: TemplateVariable;
  readonly rawValue: string;
}

/** Splits a URL path (no query string) into raw segments; undefined if it does not start with `/`. */
export function splitRequestPath(path: string): RequestPath | undefined {
  if (!path.startsWith("/")) return undefined;
  return { segments: path.slice(1).split("/") };
}

/**
 * Matches a request path against a template and returns what its variables captured, or undefined.
 * A template with a verb only matches when the last segment ends in `:verb`; a template without one
 * treats a colon as ordinary text, so `/v1/invoices/a:b` still matches `/v1/invoices/{id}`.
 */
export function matchTemplate(template: PathTemplate, path: RequestPath): CapturedVariable[] | undefined {
  const segments = withoutVerb(path.segments, template.verb);
  if (segments === undefined) return undefined;
  const { segments: pattern } = template;
  // Indexed loops: this runs for every candidate template of every request.
  let index = 0;
  for (let at = 0; at < pattern.length; at++) {
    const part = pattern[at]!;
    if (part.kind === "deepWildcard") {
      // `**` is always last (the parser enforces it) and swallows the rest, however many.
      index = segments.length;
      break;
    }
    const segment = segments[index];
    if (segment === undefined) return undefined;
    if (part.kind === "wildcard" && segment === "") return undefined;
    if (part.kind === "literal" && segment !== part.value && decodeOrSelf(segment) !== part.value) return undefined;
    index++;
  }
  if (index !== segments.length) return undefined;
  const captured: CapturedVariable[] = [];
  for (const variable of template.variables) {
    // Segment positions line up one to one until a trailing `**`, which takes everything left.
    const coversDeep = pattern[variable.end - 1]?.kind === "deepWildcard";
    const end = coversDeep ? segments.length : variable.end;
    const rawValue =
      end === variable.start + 1 ? segments[variable.start]! : segments.slice(variable.start, end).join("/");
    captured.push({ variable, rawValue });
  }
  return captured;
}

function withoutVerb(segments: readonly string[], verb: string | undefined): readonly string[] | undefined {
  if (verb === undefined) return segments;
  const last = segments.at(-1);
  // The last segment must end in `:verb`: checked before any string or array is made.
  if (last === undefined || last.length <= verb.length || last.charCodeAt(last.length - verb.length - 1) !== colon) {
    return undefined;
  }
  if (!last.endsWith(verb)) return undefined;
  return [...segments.slice(0, -1), last.slice(0, -verb.length - 1)];
}

const colon = 58;

function decodeOrSelf(segment: string): string {
  // Only an escape can make a segment equal a literal it does not spell (and the router asks for
  // every literal of every template it tries), so plain segments skip the decoder.
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Percent-decodes a captured value. Single-segment values decode everything (`%2F` becomes `/`);
 * multi-segment values keep `%2F` encoded so a decoded `/` always means a segment boundary, as
 * google/api/http.proto specifies. Returns undefined for malformed percent-encoding.
 */
export function decodeCapturedValue(raw: string, multiSegment: boolean): string | undefined {
  try {
    if (!multiSegment) return decodeURIComponent(raw);
    return raw
      .split(/(%2[Ff])/)
      .map((part, index) => (index % 2 === 1 ? part : decodeURIComponent(part)))
      .join("");
  } catch {
    return undefined;
  }
}
