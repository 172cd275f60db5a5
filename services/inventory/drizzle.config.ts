import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes the SQL migration for changes to the schema into drizzle/.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/schema.ts",
  out: "./drizzle",
});
