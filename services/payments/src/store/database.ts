import type { Database, Queryable, Transaction } from "@weft/mesh/data";
import type * as schema from "./schema.ts";

export type PaymentsSchema = typeof schema;
export type PaymentsDatabase = Database<PaymentsSchema>;
export type PaymentsTransaction = Transaction<PaymentsSchema>;
export type PaymentsQueryable = Queryable<PaymentsSchema>;
