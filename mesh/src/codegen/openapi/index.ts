export { buildOpenApiDocument, type DocumentInput } from "./document.ts";
export type { OpenApiDocument } from "./openapi-types.ts";
export { defaultOpenApiOptions, type OpenApiOptions, parseOpenApiOptions } from "./options.ts";
export { openApiFileName, openApiPlugin } from "./plugin.ts";
