// Names the scaffolds accept, and the forms of them the templates need.
import { UsageError } from "./errors.ts";

/** What the manifests accept for an app or a service name (see mesh/schema). */
const identifier = /^[a-z][a-z0-9-]*$/;

/** Refuses anything but a lowercase identifier, e.g. `notes` or `price-list`. */
export function checkName(kind: "app" | "service", name: string): void {
  if (!identifier.test(name) || name.endsWith("-") || name.includes("--")) {
    throw new UsageError(
      `${JSON.stringify(name)} is not a valid ${kind} name: use a lowercase identifier such as notes or price-list ([a-z][a-z0-9-]*)`,
    );
  }
}

/** `price-list` → `PriceList` (proto service and message prefixes, TypeScript types). */
export function pascalCase(name: string): string {
  return name
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** `price-list` → `priceList` (TypeScript values). */
export function camelCase(name: string): string {
  const pascal = pascalCase(name);
  return pascal.charAt(0).toLowerCase() + pascal.slice(1);
}

/** `price-list` → `price_list` (proto packages, SQL, file names that must be identifiers). */
export function snakeCase(name: string): string {
  return name.replaceAll("-", "_");
}
