import { type ProductFields, type ProductInput, type UpdatableField, updatableFields } from "./product.ts";
import type { FieldProblem } from "./violations.ts";

const outputOnly = new Set(["id", "available", "create_time", "update_time"]);

/**
 * The fields an UpdateProduct applies: those named in update_mask, or every updatable field when
 * the mask is empty. Output-only and unknown paths are refused.
 */
export function parseUpdateMask(paths: readonly string[]): { fields: UpdatableField[] } | { problems: FieldProblem[] } {
  if (paths.length === 0) return { fields: [...updatableFields] };
  const problems: FieldProblem[] = [];
  const fields = new Set<UpdatableField>();
  for (const path of paths) {
    const known = updatableFields.find((f) => f === path);
    if (known) fields.add(known);
    else if (outputOnly.has(path)) problems.push({ field: "update_mask", description: `${path} is output only` });
    else
      problems.push({
        field: "update_mask",
        description: `${JSON.stringify(path).slice(0, 80)} is not an updatable field`,
      });
  }
  return problems.length > 0 ? { problems } : { fields: [...fields] };
}

/**
 * Applies the masked fields of a (valid) input to a product's current fields; returns the result
 * and the fields whose value actually changed. An unset `active` leaves it as it is.
 */
export function applyUpdate(
  current: ProductFields,
  input: ProductInput,
  fields: readonly UpdatableField[],
): { next: ProductFields; changed: UpdatableField[] } {
  let next: ProductFields = current;
  const changed: UpdatableField[] = [];
  for (const field of fields) {
    switch (field) {
      case "name":
        if (input.name !== current.name) next = { ...next, name: input.name };
        break;
      case "description":
        if (input.description !== current.description) next = { ...next, description: input.description };
        break;
      case "price":
        if (
          input.price &&
          (input.price.amountMinor !== current.price.amountMinor || input.price.currency !== current.price.currency)
        )
          next = { ...next, price: { amountMinor: input.price.amountMinor, currency: input.price.currency } };
        break;
      case "active":
        if (input.active !== undefined && input.active !== current.active) next = { ...next, active: input.active };
        break;
    }
    if (next[field] !== current[field]) changed.push(field);
  }
  return { next, changed };
}
