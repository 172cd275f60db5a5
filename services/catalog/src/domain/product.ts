import { type Money, priceProblems } from "./money.ts";
import type { FieldProblem } from "./violations.ts";

/** The fields of a product an admin writes. */
export interface ProductFields {
  readonly name: string;
  readonly description: string;
  readonly price: Money;
  readonly active: boolean;
}

export interface Product extends ProductFields {
  readonly id: string;
  /** The availability replica's value; 0 until an inventory event arrives. */
  readonly available: bigint;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export const updatableFields = ["name", "description", "price", "active"] as const;
export type UpdatableField = (typeof updatableFields)[number];

export const productLimits = { nameMax: 200, descriptionMax: 5000 } as const;

/** What a request says about a product: every field may be missing. */
export interface ProductInput {
  readonly name: string;
  readonly description: string;
  readonly price: Money | undefined;
  readonly active: boolean | undefined;
}

/** Checks the given fields of a product input (field paths under `prefix`, e.g. `product`). */
export function productProblems(
  input: ProductInput,
  fields: readonly UpdatableField[],
  prefix = "product",
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const field of fields) {
    switch (field) {
      case "name":
        if (input.name.trim() === "") problems.push({ field: `${prefix}.name`, description: "is required" });
        else if (input.name.length > productLimits.nameMax)
          problems.push({
            field: `${prefix}.name`,
            description: `must be at most ${productLimits.nameMax} characters`,
          });
        break;
      case "description":
        if (input.description.length > productLimits.descriptionMax)
          problems.push({
            field: `${prefix}.description`,
            description: `must be at most ${productLimits.descriptionMax} characters`,
          });
        break;
      case "price":
        problems.push(...priceProblems(`${prefix}.price`, input.price));
        break;
      case "active":
        break; // any value, or unset
    }
  }
  return problems;
}

/** A new product's fields from a valid create input: unset `active` means true (drafts say false). */
export function newProductFields(input: ProductInput): ProductFields {
  return { name: input.name, description: input.description, price: input.price!, active: input.active ?? true };
}
