#!/usr/bin/env node
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseScopes } from "../auth/scopes.ts";
import { TokenService } from "../auth/token-service.ts";
import { systemClock } from "../clock.ts";
import { loadConfig } from "../config.ts";
import { restoreSqliteBackup } from "../store/restore.ts";
import { openStore, type Store } from "../store/store.ts";
import { parseDuration } from "../util/duration.ts";

const usage = `Usage: officellm <command>

  token create --name NAME [--scopes llm,calendar,admin] [--expires 30d] [--rpm 60] [--budget 25]
  token list
  token revoke ID
  token rotate ID [--grace 24h]
  backup PATH
  restore FILE    replace the embedded database with a backup (the server must be stopped)

Every command prints JSON. The secret of a created or rotated token is printed once only.`;

class UsageError extends Error {}

function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new UsageError(`${flag} must be a positive number`);
  return number;
}

async function run(args: string[], store: Store): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      scopes: { type: "string", default: "llm" },
      expires: { type: "string" },
      rpm: { type: "string" },
      budget: { type: "string" },
      grace: { type: "string" },
    },
  });
  const tokens = new TokenService(store, systemClock);
  const [command, subcommand, argument] = positionals;

  if (command === "backup") {
    if (!subcommand) throw new UsageError("backup needs a PATH");
    await store.backup(subcommand);
    return { backup: subcommand };
  }
  if (command !== "token")
    throw new UsageError(command ? `unknown command '${command}'` : "no command given");

  switch (subcommand) {
    case "create": {
      if (!values.name?.trim()) throw new UsageError("token create needs --name");
      const rpm = positiveNumber(values.rpm, "--rpm");
      if (rpm !== undefined && !Number.isInteger(rpm))
        throw new UsageError("--rpm must be a whole number");
      const created = await tokens.create({
        name: values.name.trim(),
        scopes: parseScopes(values.scopes),
        expiresInMs: values.expires ? parseDuration(values.expires) : undefined,
        rpm,
        budgetUsd: positiveNumber(values.budget, "--budget"),
      });
      return { id: created.id, token: created.token };
    }
    case "list":
      return tokens.list();
    case "revoke": {
      if (!argument) throw new UsageError("token revoke needs an ID");
      // Running servers see it within a second: they follow the database's token change counter.
      return tokens.revoke(argument);
    }
    case "rotate": {
      if (!argument) throw new UsageError("token rotate needs an ID");
      const rotated = await tokens.rotate(argument, values.grace ? parseDuration(values.grace) : 0);
      return {
        id: rotated.id,
        token: rotated.token,
        previousSecretValidUntil: rotated.summary.previousSecretValidUntil,
      };
    }
    default:
      throw new UsageError(
        subcommand ? `unknown token command '${subcommand}'` : "token needs a command",
      );
  }
}

function restore(file: string | undefined, databaseUrl: string) {
  if (!file) throw new UsageError("restore needs a FILE");
  const path = databaseUrl.slice("sqlite:".length);
  if (!databaseUrl.startsWith("sqlite:") || path === ":memory:") {
    throw new Error(
      "restore replaces the embedded SQLite database; for PostgreSQL use pg_restore (docs/operations.md)",
    );
  }
  return restoreSqliteBackup(path, file, systemClock);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    return args.length === 0 ? 2 : 0;
  }
  if (existsSync(".env")) process.loadEnvFile(".env");
  let store: Store | undefined;
  try {
    const config = loadConfig(process.env);
    // Before the store is opened: restoring needs the database closed by everyone.
    if (args[0] === "restore") {
      process.stdout.write(`${JSON.stringify(await restore(args[1], config.databaseUrl))}\n`);
      return 0;
    }
    store = await openStore(config.databaseUrl);
    const result = await run(args, store);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`officellm: ${message}\n`);
    if (error instanceof UsageError) {
      process.stderr.write(`${usage}\n`);
      return 2;
    }
    return 1;
  } finally {
    await store?.close();
  }
}

process.exitCode = await main();
