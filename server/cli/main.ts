#!/usr/bin/env node
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { TokenService } from "../auth/token-service.ts";
import { systemClock } from "../clock.ts";
import { loadConfig } from "../config.ts";
import { restoreSqliteBackup } from "../store/restore.ts";
import { openStore, type Store } from "../store/store.ts";
import { tokenCommands, tokenHelp, UsageError } from "./token-commands.ts";

const usage = `Usage: officellm <command>

${Object.values(tokenCommands)
  .map((command) => `  ${command.help.split("\n")[0]}`)
  .join("\n")}
  backup PATH
  restore FILE    replace the embedded database with a backup (the server must be stopped)

Every command prints JSON. The secret of a created or rotated token is printed once only.
--rpm is in requests per minute, --budget in US dollars per calendar month.
"officellm token --help" and "officellm token <command> --help" say more.`;

const backupHelp = `backup PATH

Writes a consistent copy of the embedded SQLite database to PATH while servers keep running.`;

const restoreHelp = `restore FILE

Replaces the embedded SQLite database that DATABASE_URL names with the backup FILE. Every server
using it must be stopped first: restore refuses while any program has the database open. FILE is
checked before anything changes; the replaced database is kept beside it as
<database>.before-restore-<UTC time>. Prints what the backup holds. For PostgreSQL, use
pg_restore (docs/operations.md).`;

/** The help for what the command line names before --help: a token command, token, or all. */
function helpFor(positionals: string[]): string {
  const [command, subcommand] = positionals;
  if (command === "token") {
    const help = subcommand ? tokenCommands[subcommand]?.help : undefined;
    return help ? `Usage: officellm ${help}` : tokenHelp;
  }
  if (command === "backup") return `Usage: officellm ${backupHelp}`;
  if (command === "restore") return `Usage: officellm ${restoreHelp}`;
  return usage;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      scopes: { type: "string" },
      expires: { type: "string" },
      rpm: { type: "string" },
      budget: { type: "string" },
      grace: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function run(
  { values, positionals }: ReturnType<typeof parse>,
  store: Store,
  defaultRpm: number,
): Promise<unknown> {
  const [command, subcommand, argument] = positionals;

  if (command === "backup") {
    if (!subcommand) throw new UsageError("backup needs a PATH", backupHelp);
    await store.backup(subcommand);
    return { backup: subcommand };
  }
  if (command !== "token")
    throw new UsageError(command ? `unknown command '${command}'` : "no command given", usage);
  const tokenCommand = subcommand ? tokenCommands[subcommand] : undefined;
  if (!tokenCommand) {
    throw new UsageError(
      subcommand ? `unknown token command '${subcommand}'` : "token needs a command",
      tokenHelp,
    );
  }
  return tokenCommand.run(argument, values, {
    tokens: new TokenService(store, systemClock),
    defaultRpm,
    now: () => systemClock.now(),
  });
}

function restore(file: string | undefined, databaseUrl: string) {
  if (!file) throw new UsageError("restore needs a FILE", restoreHelp);
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
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    process.stderr.write(`officellm: ${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (args.length === 0 || parsed.values.help) {
    process.stdout.write(`${helpFor(parsed.positionals)}\n`);
    return args.length === 0 ? 2 : 0;
  }
  if (existsSync(".env")) process.loadEnvFile(".env");
  let store: Store | undefined;
  try {
    const config = loadConfig(process.env);
    // Before the store is opened: restoring needs the database closed by everyone.
    if (parsed.positionals[0] === "restore") {
      const file = parsed.positionals[1];
      process.stdout.write(`${JSON.stringify(await restore(file, config.databaseUrl))}\n`);
      return 0;
    }
    store = await openStore(config.databaseUrl);
    const result = await run(parsed, store, config.rateLimit.defaultRpm);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`officellm: ${message}\n`);
    if (error instanceof UsageError) {
      process.stderr.write(`Usage: officellm ${error.usage.replace(/^Usage: officellm /, "")}\n`);
      return 2;
    }
    return 1;
  } finally {
    await store?.close();
  }
}

process.exitCode = await main();
