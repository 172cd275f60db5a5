export { afterCommit, databaseOf } from "./commit-hooks.ts";
export type { Database, OpenDatabaseOptions, OpenedDatabase, Queryable, Transaction } from "./database.ts";
export { ensureDatabaseExists, MigrationError, openDatabase } from "./database.ts";
export { statusOfDatabaseError } from "./errors.ts";
export type { TestDatabase } from "./test-database.ts";
export { createTestDatabase, testServerUrl } from "./test-database.ts";
