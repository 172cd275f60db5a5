import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { invalidArgument } from "./errors.ts";
import { textProblem } from "./text-fields.ts";
import type { Violations } from "./validate.ts";

/** What a cursor is written as inside a token: JSON, so a service's format stays readable in tests. */
export type CursorWire = string | number | boolean | null | CursorWire[] | { [key: string]: CursorWire };

/** How one list's cursor becomes a token and back. */
export interface PageTokenFormat<Cursor> {
  /**
   * What the tokens page through, e.g. `acme.notes.v1.NoteService/ListNotes`. It is signed
   * with the cursor, so a token of one list is refused by another.
   */
  readonly scope: string;
  write(cursor: Cursor): CursorWire;
  /**
   * The cursor from what `write` wrote, or undefined when a value is out of range. The token was
   * authenticated before this runs, but read it as untrusted anyway (a leaked key, an old
   * format): every value that reaches a query must be range-checked here — `cursorValue` helps.
   */
  read(wire: unknown): Cursor | undefined;
}

/** Encodes and decodes one list's page tokens. */
export interface PageTokenCodec<Cursor> {
  encode(cursor: Cursor): string;
  /**
   * The cursor of a token this codec issued; undefined for "" (the first page). Anything else
   * is INVALID_ARGUMENT on `page_token`: thrown, or added to `violations` (then undefined).
   */
  decode(token: string, violations?: Violations): Cursor | undefined;
}

/** The request field page tokens arrive in (AIP-158). */
const field = "page_token";
/** Longer than any token a cursor of ids, times and a search query makes. */
const maxTokenLength = 2048;
/** Bytes of HMAC-SHA256 kept: 128 bits make forging a token hopeless. */
const macBytes = 16;
const tokenPattern = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/;

/**
 * Signs page tokens with one key, so a client can hand back only a cursor the service made:
 * `base64url(JSON cursor) "." base64url(HMAC-SHA256(key, scope, payload))`. Tokens are opaque
 * but not secret (the cursor is readable); what matters is that nobody can make one up.
 */
export class PageTokens {
  private constructor(
    private readonly key: Buffer,
    private onFirstCodec?: () => void,
  ) {}

  /** Tokens signed with `secret` (MESH_PAGE_TOKEN_KEY): valid across restarts and replicas. */
  static withKey(secret: string): PageTokens {
    if (secret.length < 32) throw new RangeError("a page token key must be at least 32 characters");
    return new PageTokens(Buffer.from(secret, "utf8"));
  }

  /**
   * Tokens signed with a random key: valid only for this process (tests, a single dev process).
   * `onFirstUse` runs when the first list asks for a codec: where to warn that a key is missing.
   */
  static ephemeral(onFirstUse?: () => void): PageTokens {
    return new PageTokens(randomBytes(32), onFirstUse);
  }

  codec<Cursor>(format: PageTokenFormat<Cursor>): PageTokenCodec<Cursor> {
    this.onFirstCodec?.();
    this.onFirstCodec = undefined;
    const mac = (payload: string) =>
      createHmac("sha256", this.key).update(format.scope).update("\n").update(payload).digest().subarray(0, macBytes);
    const read = (token: string): Cursor | undefined => {
      if (token.length > maxTokenLength || !tokenPattern.test(token)) return undefined;
      const [payload = "", signature = ""] = token.split(".");
      if (!timingSafeEqual(mac(payload), Buffer.from(signature, "base64url"))) return undefined;
      let wire: unknown;
      try {
        wire = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      } catch {
        return undefined;
      }
      return format.read(wire);
    };
    return {
      encode(cursor) {
        const payload = Buffer.from(JSON.stringify(format.write(cursor)), "utf8").toString("base64url");
        return `${payload}.${mac(payload).toString("base64url")}`;
      },
      decode(token, violations) {
        if (token === "") return undefined;
        const cursor = read(token);
        if (cursor !== undefined) return cursor;
        const description = "is not a page token this API returned for this list";
        if (violations === undefined) throw invalidArgument([{ field, description }]);
        violations.add(field, description);
        return undefined;
      },
    };
  }
}

/** The latest instant a cursor may name: the end of year 9999, which every database can store. */
const maxCursorTimeMs = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Range-checked readers for the values a cursor carries: each answers undefined when out of range. */
export const cursorValue = {
  /** An instant written as epoch milliseconds, from 1970 to the end of year 9999. */
  time(value: unknown): Date | undefined {
    return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= maxCursorTimeMs
      ? new Date(value)
      : undefined;
  },
  /** An id: 1 to `maxLength` letters, digits, `-` and `_`. */
  id(value: unknown, maxLength = 64): string | undefined {
    return typeof value === "string" && value.length <= maxLength && /^[A-Za-z0-9_-]+$/.test(value) ? value : undefined;
  },
  /** Text of at most `maxLength` characters that passes the mesh's text rule ("" allowed). */
  text(value: unknown, maxLength: number): string | undefined {
    return typeof value === "string" && value.length <= maxLength && textProblem(value) === undefined
      ? value
      : undefined;
  },
  /** A flag written as 0 or 1. */
  flag(value: unknown): boolean | undefined {
    return value === 0 || value === 1 ? value === 1 : undefined;
  },
};
