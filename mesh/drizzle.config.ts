import { defineConfig } from "drizzle-kit";

// The mesh's own tables (outbox, inbox), migrated by the mesh into every service's database with
// its own migrations table (`drizzle.__weft_mesh_migrations`). `npx drizzle-kit generate` here
// writes the SQL for a change to src/events/tables.ts into drizzle/; keep statements idempotent
// (IF NOT EXISTS): databases made before the mesh owned these tables already have them.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/events/tables.ts",
  out: "./drizzle",
});
