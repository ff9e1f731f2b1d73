import { z } from "zod";
import { httpUrl, optionalString } from "../../../config-values.ts";

/** One key (or server) of a provider: the operator's name for it, its key and its URL. */
export interface PoolMember {
  /** The operator's name for it: in logs, metrics and the ledger, never the key. */
  label: string;
  apiKey: string | undefined;
  baseUrl: string | undefined;
}

/** What a provider's single variable is called in logs and the ledger. */
export const DEFAULT_LABEL = "default";

const labelPattern = /^[A-Za-z0-9_-]{1,32}$/;

export interface Labelled {
  label: string;
  value: string;
}

/**
 * `label:value,…` as its entries in order. The label is what comes before the first `:`, so a
 * value may hold `:` (a URL does). No message repeats an entry's value: it may be a key.
 */
function labelledList(what: "key" | "URL", check: (value: string) => string | undefined) {
  return z.string().transform((text, ctx) => {
    const entries: Labelled[] = [];
    const parts = text.split(",").map((part) => part.trim());
    for (const [index, part] of parts.entries()) {
      const at = part.indexOf(":");
      const label = part.slice(0, at).trim();
      const value = at < 0 ? undefined : check(part.slice(at + 1).trim());
      const problem =
        at <= 0 || !labelPattern.test(label)
          ? `entry ${index + 1} must be label:${what}, the label made of letters, digits, - and _ (at most 32)`
          : value === undefined
            ? `entry ${index + 1} ('${label}') must be label:${what} with a valid ${what}`
            : entries.some((entry) => entry.label === label)
              ? `names the label '${label}' twice`
              : undefined;
      if (problem !== undefined) {
        ctx.addIssue({ code: "custom", message: problem });
        return z.NEVER;
      }
      entries.push({ label, value: value! });
    }
    return entries;
  });
}

/** `label:key,…`: a provider's keys, each with the operator's name for it. */
export const labelledKeys = labelledList("key", (value) => (value === "" ? undefined : value));

/** `label:url,…`: a provider's servers (or a key's own URL), each by the operator's name. */
export const labelledUrls = labelledList("URL", (value) => {
  const url = httpUrl.safeParse(value);
  return url.success ? url.data : undefined;
});

/**
 * A provider's pool variables: a single one and a list of the kind that makes members (keys for a
 * hosted API, URLs for local servers), and the single one and list of the other kind, which give
 * each member its other part by label, or to all of them.
 */
export interface PoolVariables {
  /** The single variable (OPENAI_API_KEY): its member is labelled `default`. */
  single: { name: string; value: string | undefined };
  /** The list of members (OPENAI_API_KEYS). */
  list: { name: string; value: Labelled[] | undefined };
  /** The other part of every member without its own (OPENAI_BASE_URL). */
  shared: { name: string; value: string | undefined };
  /** The other part by member's label (OPENAI_BASE_URLS). */
  byLabel: { name: string; value: Labelled[] | undefined };
}

/** The names of a provider's four pool variables, in the roles PoolVariables describes. */
export interface PoolNames<S extends string, L extends string, H extends string, B extends string> {
  single: S;
  list: L;
  shared: H;
  byLabel: B;
}

/** The validated values of a provider's four pool variables. */
export type PoolEnv<S extends string, L extends string, H extends string, B extends string> = {
  [K in S | H]?: string | undefined;
} & { [K in L | B]?: Labelled[] | undefined };

/** The pool variables of `names` from their validated values. */
export function readPool<S extends string, L extends string, H extends string, B extends string>(
  names: PoolNames<S, L, H, B>,
  env: PoolEnv<S, L, H, B>,
): PoolVariables {
  const text = (name: S | H) => (env as Record<string, string | undefined>)[name];
  const list = (name: L | B) => (env as Record<string, Labelled[] | undefined>)[name];
  return {
    single: { name: names.single, value: text(names.single) },
    list: { name: names.list, value: list(names.list) },
    shared: { name: names.shared, value: text(names.shared) },
    byLabel: { name: names.byLabel, value: list(names.byLabel) },
  };
}

/** The members, each with its two parts: `made` says which part the member lists give. */
export function poolMembers(variables: PoolVariables, made: "apiKey" | "baseUrl"): PoolMember[] {
  const { single, list, shared, byLabel } = variables;
  const own = [
    ...(single.value === undefined ? [] : [{ label: DEFAULT_LABEL, value: single.value }]),
    ...(list.value ?? []),
  ];
  return own.map(({ label, value }) => {
    const other = byLabel.value?.find((entry) => entry.label === label)?.value ?? shared.value;
    return made === "apiKey"
      ? { label, apiKey: value, baseUrl: other }
      : { label, apiKey: other, baseUrl: value };
  });
}

/** What does not fit together in a provider's pool variables, each message naming them. */
export function poolProblems(variables: PoolVariables): string[] {
  const { single, list, byLabel } = variables;
  const problems: string[] = [];
  const labels = new Set(list.value?.map((entry) => entry.label));
  if (single.value !== undefined && labels.has(DEFAULT_LABEL)) {
    problems.push(
      `${list.name} uses the label '${DEFAULT_LABEL}', which is ${single.name}'s; choose another`,
    );
  }
  if (single.value !== undefined) labels.add(DEFAULT_LABEL);
  for (const { label } of byLabel.value ?? []) {
    if (!labels.has(label))
      problems.push(
        `${byLabel.name} names '${label}', which neither ${list.name} nor ${single.name} defines`,
      );
  }
  return problems;
}

/**
 * The four pool variables of `names`, each with its validation, for a provider's `variables`:
 * `made` says which part the single variable and the list give (keys for a hosted API, URLs for
 * local servers); the other two give the other part.
 */
export function poolVariables<
  S extends string,
  L extends string,
  H extends string,
  B extends string,
>(
  names: PoolNames<S, L, H, B>,
  made: "apiKey" | "baseUrl",
): Record<S | H, z.ZodOptional<z.ZodType<string>>> &
  Record<L | B, z.ZodOptional<typeof labelledKeys>> {
  const key = optionalString;
  const keys = labelledKeys.optional();
  const url = httpUrl.optional();
  const urls = labelledUrls.optional();
  const [single, list, shared, byLabel] =
    made === "apiKey" ? [key, keys, url, urls] : [url, urls, key, keys];
  return {
    [names.single]: single,
    [names.list]: list,
    [names.shared]: shared,
    [names.byLabel]: byLabel,
  } as Record<S | H, z.ZodOptional<z.ZodType<string>>> &
    Record<L | B, z.ZodOptional<typeof labelledKeys>>;
}

/**
 * A hosted API's keys, as its provider declares them: the pool variables of `names` (a key, keys
 * by label, a base URL, base URLs by label), the settings (one member a key; none configured:
 * undefined) and what does not fit together.
 */
export function hostedKeyPool<
  S extends string,
  L extends string,
  H extends string,
  B extends string,
>(names: PoolNames<S, L, H, B>) {
  return {
    variables: poolVariables(names, "apiKey"),
    settings(env: PoolEnv<S, L, H, B>): { keys: PoolMember[] } | undefined {
      const keys = poolMembers(readPool(names, env), "apiKey");
      return keys.length > 0 ? { keys } : undefined;
    },
    problems: (env: PoolEnv<S, L, H, B>) => poolProblems(readPool(names, env)),
  };
}
