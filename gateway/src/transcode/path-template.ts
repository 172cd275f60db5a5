// The google.api.http path-template grammar (google/api/http.proto):
//
//   Template = "/" Segments [ Verb ] ;
//   Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;
//   FieldPath = IDENT { "." IDENT } ;
//   Verb     = ":" LITERAL ;
//
// A template is parsed once, when routes are built; a syntax error is a mistake in a .proto file,
// so it throws a plain Error naming the template instead of surfacing as a request error.

/** One segment of a template, with every variable flattened into the segments it covers. */
export type TemplateSegment =
  | { readonly kind: "literal"; readonly value: string }
  /** `*`: exactly one non-empty segment. */
  | { readonly kind: "wildcard" }
  /** `**`: zero or more segments; only ever the last segment. */
  | { readonly kind: "deepWildcard" };

export interface TemplateVariable {
  /** The dotted field path as written, such as `product.id`. */
  readonly fieldPath: string;
  /** Index of the first template segment the variable covers. */
  readonly start: number;
  /** Index after the last template segment the variable covers. */
  readonly end: number;
  /**
   * Whether the variable may span several path segments (`{name=shelves/*}`, `{path=**}`). Such
   * values keep their `/` separators and an encoded `%2F` stays encoded, as http.proto specifies.
   */
  readonly multiSegment: boolean;
}

export interface PathTemplate {
  readonly source: string;
  readonly segments: readonly TemplateSegment[];
  readonly variables: readonly TemplateVariable[];
  /** The `:verb` suffix without its colon, if any. */
  readonly verb: string | undefined;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses a path template; throws an Error naming the template when it is malformed. */
export function parsePathTemplate(source: string): PathTemplate {
  return new TemplateParser(source).parse();
}

class TemplateParser {
  private position = 0;
  private readonly segments: TemplateSegment[] = [];
  private readonly variables: TemplateVariable[] = [];

  constructor(private readonly source: string) {}

  parse(): PathTemplate {
    this.expect("/");
    this.parseSegments(false);
    let verb: string | undefined;
    if (this.peek() === ":") {
      this.position++;
      verb = this.readLiteral();
    }
    if (this.position !== this.source.length) this.fail(`unexpected "${this.peek()}"`);
    const deep = this.segments.findIndex((s) => s.kind === "deepWildcard");
    if (deep !== -1 && deep !== this.segments.length - 1) this.fail(`"**" must be the last segment`);
    const fields = new Set<string>();
    for (const variable of this.variables) {
      if (fields.has(variable.fieldPath)) this.fail(`field "${variable.fieldPath}" is bound twice`);
      fields.add(variable.fieldPath);
    }
    return { source: this.source, segments: this.segments, variables: this.variables, verb };
  }

  private parseSegments(insideVariable: boolean): void {
    for (;;) {
      this.parseSegment(insideVariable);
      if (this.peek() !== "/") return;
      this.position++;
    }
  }

  private parseSegment(insideVariable: boolean): void {
    const next = this.peek();
    if (next === "{") {
      if (insideVariable) this.fail("variables cannot nest");
      this.parseVariable();
    } else if (this.source.startsWith("**", this.position)) {
      this.position += 2;
      this.segments.push({ kind: "deepWildcard" });
    } else if (next === "*") {
      this.position++;
      this.segments.push({ kind: "wildcard" });
    } else {
      this.segments.push({ kind: "literal", value: this.readLiteral() });
    }
  }

  private parseVariable(): void {
    this.expect("{");
    const close = this.source.slice(this.position).search(/[=}]/);
    if (close === -1) this.fail(`unclosed "{"`);
    const fieldPath = this.source.slice(this.position, this.position + close);
    if (!fieldPath.split(".").every((part) => identifier.test(part))) this.fail(`bad field path "${fieldPath}"`);
    this.position += close;
    const start = this.segments.length;
    if (this.peek() === "=") {
      this.position++;
      this.parseSegments(true);
    } else {
      this.segments.push({ kind: "wildcard" });
    }
    this.expect("}");
    const covered = this.segments.slice(start);
    const multiSegment = covered.length > 1 || covered[0]?.kind === "deepWildcard";
    this.variables.push({ fieldPath, start, end: this.segments.length, multiSegment });
  }

  private readLiteral(): string {
    const rest = this.source.slice(this.position);
    const length = rest.search(/[/:{}*]/);
    const literal = length === -1 ? rest : rest.slice(0, length);
    if (literal === "") this.fail("empty segment");
    this.position += literal.length;
    return literal;
  }

  private peek(): string | undefined {
    return this.source[this.position];
  }

  private expect(char: string): void {
    if (this.peek() !== char) this.fail(`expected "${char}"`);
    this.position++;
  }

  private fail(reason: string): never {
    throw new Error(`invalid path template "${this.source}" at offset ${this.position}: ${reason}`);
  }
}
