import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dialect } from "../store/database.ts";
import { createTestSchema } from "./postgres.ts";

const DATABASE_URL = process.env.DATABASE_URL;
const postgresUrl = DATABASE_URL?.startsWith("postgres") ? DATABASE_URL : undefined;

/** A fresh, empty database of one kind, and how to get rid of it. */
export interface FreshDatabase {
  url: string;
  /** The SQLite file (SQLite only). */
  file?: string;
  /** A temporary directory to put extra files in (SQLite only). */
  dir?: string;
  /** The schema the database lives in (PostgreSQL only). */
  schema?: string;
  cleanup(): Promise<void>;
}

export interface Backend {
  dialect: Dialect;
  /** SQLite always; PostgreSQL when DATABASE_URL points at one. */
  enabled: boolean;
  fresh(): Promise<FreshDatabase>;
}

/** The store's backends, for suites that must pass on each. */
export const backends: Backend[] = [
  {
    dialect: "sqlite",
    enabled: true,
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), "officellm-store-"));
      const file = join(dir, "officellm.db");
      return {
        url: `sqlite:${file}`,
        file,
        dir,
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    dialect: "postgres",
    enabled: postgresUrl !== undefined,
    async fresh() {
      const schema = await createTestSchema(postgresUrl!);
      return { url: schema.url, schema: schema.schema, cleanup: schema.drop };
    },
  },
];
