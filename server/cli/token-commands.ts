import { parseScopes } from "../auth/scopes.ts";
import {
  withEffectiveLimits,
  type TokenChangeInput,
  type TokenService,
} from "../auth/token-service.ts";
import { MAX_REQUESTS_PER_MINUTE } from "../limits/rate-limits.ts";
import { parseDuration } from "../util/duration.ts";

/** A wrong command line: the command prints the usage it relates to and exits with status 2. */
export class UsageError extends Error {
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

export interface TokenCommandContext {
  tokens: TokenService;
  /** RATE_LIMIT_RPM: the requests per minute of a token without its own. */
  defaultRpm: number;
  now: () => Date;
}

type Options = Partial<Record<"name" | "scopes" | "expires" | "rpm" | "budget" | "grace", string>>;

interface TokenCommand {
  /** The command's synopsis and what its options mean, units included. */
  help: string;
  run(argument: string | undefined, options: Options, context: TokenCommandContext): unknown;
}

const LIMIT_OPTIONS = `  --rpm N         requests per minute, a whole number (default: RATE_LIMIT_RPM)
  --budget USD    spend limit in US dollars per calendar month (default: none)`;
const DURATION = "a duration: 90s, 15m, 24h, 30d, 2w";

const create: TokenCommand = {
  help: `token create --name NAME [--scopes llm,calendar,admin] [--expires 30d] [--rpm N] [--budget USD]

Creates a token and prints {"id","token"}: the only time its secret is shown.

  --name NAME     who or what the token is for
  --scopes LIST   comma-separated: llm, calendar, admin (default: llm)
  --expires D     lifetime, ${DURATION} (default: until revoked)
${LIMIT_OPTIONS}`,
  async run(_argument, options, { tokens }) {
    const usage = create.help;
    if (!options.name?.trim()) throw new UsageError("token create needs --name", usage);
    const created = await tokens.create({
      name: options.name.trim(),
      scopes: parseScopes(options.scopes ?? "llm"),
      expiresInMs: options.expires ? parseDuration(options.expires) : undefined,
      rpm: requestsPerMinute(options.rpm, usage) ?? undefined,
      budgetUsd: dollars(options.budget, usage) ?? undefined,
    });
    return { id: created.id, token: created.token };
  },
};

const update: TokenCommand = {
  help: `token update ID [--name NAME] [--scopes LIST] [--rpm N|default] [--budget USD|none] [--expires D|DATE|never]

Changes a token; what is not given stays as it is. Every running instance applies the change
within 1 s. Prints the token as "token list" shows it.

  --name NAME     a new name
  --scopes LIST   the new scopes, comma-separated: llm, calendar, admin (replaces the old ones)
  --rpm N         requests per minute, a whole number; "default" for RATE_LIMIT_RPM
  --budget USD    spend limit in US dollars per calendar month; "none" for no limit
  --expires D     expires D from now (90s, 15m, 24h, 30d, 2w), or at an ISO 8601 date
                  such as 2027-06-30T18:00:00Z; "never": does not expire`,
  async run(id, options, { tokens, defaultRpm, now }) {
    const usage = update.help;
    if (!id) throw new UsageError("token update needs an ID", usage);
    const change: TokenChangeInput = {
      name: options.name?.trim(),
      scopes: options.scopes === undefined ? undefined : parseScopes(options.scopes),
      rpm: options.rpm === "default" ? null : requestsPerMinute(options.rpm, usage),
      budgetUsd: options.budget === "none" ? null : dollars(options.budget, usage),
      expiresAt: expiry(options.expires, now()),
    };
    if (change.name === "") throw new UsageError("--name must not be empty", usage);
    if (Object.values(change).every((value) => value === undefined)) {
      throw new UsageError("token update needs something to change", usage);
    }
    return withEffectiveLimits(await tokens.update(id, change), defaultRpm);
  },
};

const list: TokenCommand = {
  help: `token list

Prints every token, without secrets, with its effective limits: "limits.requestsPerMinute" is
the token's own rpm or else RATE_LIMIT_RPM; "limits.monthlyBudgetUsd" is in US dollars per
calendar month (null: no limit).`,
  run: async (_argument, _options, { tokens, defaultRpm }) =>
    (await tokens.list()).map((token) => withEffectiveLimits(token, defaultRpm)),
};

const revoke: TokenCommand = {
  help: `token revoke ID

Revokes the token: every running instance refuses it within 1 s.`,
  run(id, _options, { tokens }) {
    if (!id) throw new UsageError("token revoke needs an ID", revoke.help);
    // Running servers see it within a second: they follow the database's token change counter.
    return tokens.revoke(id);
  },
};

const rotate: TokenCommand = {
  help: `token rotate ID [--grace 24h]

Gives the token a new secret, printed once as {"id","token","previousSecretValidUntil"}.

  --grace D       how long the old secret keeps working, ${DURATION} (default: not at all)`,
  async run(id, options, { tokens }) {
    if (!id) throw new UsageError("token rotate needs an ID", rotate.help);
    const rotated = await tokens.rotate(id, options.grace ? parseDuration(options.grace) : 0);
    return {
      id: rotated.id,
      token: rotated.token,
      previousSecretValidUntil: rotated.summary.previousSecretValidUntil,
    };
  },
};

export const tokenCommands: Record<string, TokenCommand> = { create, list, update, revoke, rotate };

export const tokenHelp = `Usage: officellm token <command>

${Object.values(tokenCommands)
  .map((command) => `  ${command.help.split("\n")[0]}`)
  .join("\n")}

Limits: --rpm is in requests per minute, --budget in US dollars per calendar month.
"officellm token <command> --help" explains each command.`;

function requestsPerMinute(value: string | undefined, usage: string): number | undefined {
  const rpm = positiveNumber(value, "--rpm", usage);
  if (rpm !== undefined && (!Number.isInteger(rpm) || rpm > MAX_REQUESTS_PER_MINUTE)) {
    throw new UsageError(`--rpm must be a whole number up to ${MAX_REQUESTS_PER_MINUTE}`, usage);
  }
  return rpm;
}

function dollars(value: string | undefined, usage: string): number | undefined {
  return positiveNumber(value, "--budget", usage);
}

function positiveNumber(value: string | undefined, flag: string, usage: string) {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number <= 0) {
    throw new UsageError(`${flag} must be a positive number`, usage);
  }
  return number;
}

/** "never", a duration from now, or an ISO 8601 date. */
function expiry(value: string | undefined, now: Date): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === "never") return null;
  if (/^\d+\s*[a-z]$/.test(value.trim())) {
    return new Date(now.getTime() + parseDuration(value)).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}(T\S+)?$/.test(value)) return value;
  throw new UsageError(
    `--expires: "${value}" is neither ${DURATION}, nor a date, nor "never"`,
    update.help,
  );
}
