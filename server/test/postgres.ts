import { randomBytes } from "node:crypto";
import pg from "pg";

/** A throw-away PostgreSQL schema, and a connection URL whose search_path points at it. */
export interface TestSchema {
  schema: string;
  /** `databaseUrl` with `options=-c search_path=<schema>`: everything it creates lands there. */
  url: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

async function run(databaseUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Creates `officellm_test_<random>` so tests sharing one database never see each other's rows. */
export async function createTestSchema(databaseUrl: string): Promise<TestSchema> {
  const schema = `officellm_test_${randomBytes(6).toString("hex")}`;
  await run(databaseUrl, `create schema ${schema}`);
  const separator = databaseUrl.includes("?") ? "&" : "?";
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return {
    schema,
    url: `${databaseUrl}${separator}options=${options}`,
    drop: () => run(databaseUrl, `drop schema if exists ${schema} cascade`),
  };
}
