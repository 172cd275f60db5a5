import { type FieldViolation, invalidArgument } from "./errors.ts";

export interface TextRules {
  /** Empty counts as missing. Default true. */
  required?: boolean;
  maxLength?: number;
  minLength?: number;
  pattern?: RegExp;
  /** What the pattern means, for the violation: "an email address". */
  patternDescription?: string;
}

export interface NumberRules {
  min?: number | bigint;
  max?: number | bigint;
}

/**
 * Collects every problem with a request before refusing it, so a client learns all its mistakes
 * in one INVALID_ARGUMENT with a google.rpc.BadRequest listing each field (proto field paths).
 */
export class Violations {
  private readonly found: FieldViolation[] = [];

  add(field: string, description: string): this {
    this.found.push({ field, description });
    return this;
  }

  /** Checks a string field; returns whether it passed. */
  text(field: string, value: string, rules: TextRules = {}): boolean {
    const before = this.found.length;
    if (value === "") {
      if (rules.required ?? true) this.add(field, "is required");
      return this.found.length === before;
    }
    if (rules.minLength !== undefined && value.length < rules.minLength)
      this.add(field, `must be at least ${rules.minLength} characters`);
    if (rules.maxLength !== undefined && value.length > rules.maxLength)
      this.add(field, `must be at most ${rules.maxLength} characters`);
    if (rules.pattern !== undefined && !rules.pattern.test(value))
      this.add(field, `must be ${rules.patternDescription ?? `like ${rules.pattern}`}`);
    return this.found.length === before;
  }

  /** Checks an id: required, at most 64 characters of letters, digits, `-` and `_`. */
  id(field: string, value: string): boolean {
    return this.text(field, value, { maxLength: 64, pattern: /^[A-Za-z0-9_-]+$/, patternDescription: "an id" });
  }

  /** Checks a number or bigint field against bounds; returns whether it passed. */
  number(field: string, value: number | bigint, rules: NumberRules): boolean {
    const before = this.found.length;
    if (typeof value === "number" && !Number.isFinite(value)) this.add(field, "must be a finite number");
    else if (rules.min !== undefined && value < rules.min) this.add(field, `must be at least ${rules.min}`);
    else if (rules.max !== undefined && value > rules.max) this.add(field, `must be at most ${rules.max}`);
    return this.found.length === before;
  }

  /** Requires a message field to be set. */
  present(field: string, value: unknown): value is NonNullable<unknown> {
    if (value === undefined || value === null) {
      this.add(field, "is required");
      return false;
    }
    return true;
  }

  get any(): boolean {
    return this.found.length > 0;
  }

  /** Throws INVALID_ARGUMENT with every violation found, if there is one. */
  throwIfAny(message = "invalid request"): void {
    if (this.found.length > 0) throw invalidArgument(this.found, message);
  }
}

/** Runs `check` on a fresh Violations and throws INVALID_ARGUMENT if it found anything. */
export function validate(check: (violations: Violations) => void): void {
  const violations = new Violations();
  check(violations);
  violations.throwIfAny();
}
