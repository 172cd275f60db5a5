/** A `google.api.http` path template turned into an OpenAPI path. */
export interface OpenApiPath {
  /** The OpenAPI path: every `{field=pattern}` becomes `{field}`; the `:verb` suffix stays. */
  path: string;
  /** The template's variables in order of appearance. */
  variables: PathVariable[];
}

export interface PathVariable {
  /** The request field the variable binds, as a dotted path of proto field names. */
  fieldPath: string;
  /** The segments pattern after `=`, such as `shelves/*`; `*` when the template omits it. */
  pattern: string;
}

const variablePattern = /\{([^}=]+)(?:=([^}]*))?\}/g;

/**
 * Converts the template grammar (`/v1/{name=shelves/*}/books:publish`) to an OpenAPI path.
 * Variables cannot nest, so one pass over `{…}` finds all of them. A multi-segment pattern
 * (`shelves/*`, `**`) is kept in the parameter's description because an OpenAPI path parameter
 * has no way to say that its value contains slashes.
 */
export function toOpenApiPath(template: string): OpenApiPath {
  const variables: PathVariable[] = [];
  const path = template.replace(variablePattern, (_match, fieldPath: string, pattern: string | undefined) => {
    variables.push({ fieldPath: fieldPath.trim(), pattern: pattern?.trim() || "*" });
    return `{${fieldPath.trim()}}`;
  });
  return { path, variables };
}

/**
 * A JSON Schema `pattern` for a variable's segments pattern: `*` is one segment, `**` any
 * number of them, anything else is literal. `shelves/*` becomes `^shelves/[^/]+$`.
 */
export function segmentsRegex(pattern: string): string {
  const segments = pattern.split("/").map((segment) => {
    if (segment === "*") return "[^/]+";
    if (segment === "**") return ".+";
    return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  });
  return `^${segments.join("/")}$`;
}
