/** What `protoc-gen-weft-openapi` accepts as plugin parameters (`opt:` in buf.gen.yaml). */
export interface OpenApiOptions {
  /** `info.title` of the document. */
  title: string;
  /** `info.version` of the document. */
  version: string;
  /**
   * Only services whose proto package starts with one of these prefixes are documented; empty
   * means all. buf sends every input of a `strategy: all` run in one request (test fixtures and
   * googleapis files included), and buf.gen.yaml cannot scope one plugin to one input.
   */
  packagePrefixes: string[];
}

export const defaultOpenApiOptions: Readonly<OpenApiOptions> = {
  title: "Weft API",
  version: "v1",
  packagePrefixes: [],
};

/**
 * Parses `key=value` pairs separated by commas: `title=…`, `version=…`, and `packages=…`
 * (repeatable). Unknown keys are an error rather than ignored, so a typo in buf.gen.yaml
 * fails generation instead of silently producing a different document.
 */
export function parseOpenApiOptions(parameter: string): OpenApiOptions {
  const options: OpenApiOptions = { ...defaultOpenApiOptions, packagePrefixes: [] };
  for (const pair of parameter.split(",")) {
    if (pair.trim() === "") continue;
    const separator = pair.indexOf("=");
    const key = (separator < 0 ? pair : pair.slice(0, separator)).trim();
    const value = separator < 0 ? "" : pair.slice(separator + 1).trim();
    if (value === "") throw new Error(`option "${key}" needs a value (${key}=…)`);
    switch (key) {
      case "title":
        options.title = value;
        break;
      case "version":
        options.version = value;
        break;
      case "packages":
        options.packagePrefixes.push(value);
        break;
      default:
        throw new Error(`unknown option "${key}"; known options: title, version, packages`);
    }
  }
  return options;
}
