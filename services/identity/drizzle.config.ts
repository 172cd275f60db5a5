import { defineConfig } from "drizzle-kit";

export default defineConfig({
  // `npm run db:generate` writes the SQL migration for changes to the schema into drizzle/.
  dialect: "postgresql",
  schema: "./src/store/schema.ts",
  out: "./drizzle",
});
