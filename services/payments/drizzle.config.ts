import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes the SQL migrations the service applies at start.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/schema.ts",
  out: "./drizzle",
});
