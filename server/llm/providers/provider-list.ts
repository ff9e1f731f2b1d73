import type { z } from "zod";
import { anthropic } from "./anthropic/definition.ts";
import { deepSeek } from "./deepseek/definition.ts";
import { demo } from "./demo/definition.ts";
import type { ProviderDefinition } from "./definition.ts";
import { gemini } from "./gemini/definition.ts";
import { groq } from "./groq/definition.ts";
import { mistral } from "./mistral/definition.ts";
import { openAiCompatible } from "./openai-compatible/definition.ts";
import { openAi } from "./openai/definition.ts";
import { openRouter } from "./openrouter/definition.ts";

/**
 * Every provider OfficeLLM knows, in the order their models are listed. The settings, the catalog,
 * the model registry and the adapters are all read from here: a provider is its folder and its
 * entry in this list.
 */
export const providerDefinitions = [
  openAi,
  anthropic,
  gemini,
  mistral,
  deepSeek,
  groq,
  openRouter,
  openAiCompatible,
  demo,
] as const;

type Definition = (typeof providerDefinitions)[number];

type SettingsOf<D> =
  D extends ProviderDefinition<string, z.ZodRawShape, infer Settings> ? Settings : never;

/** Each configured provider's settings, by its name; a provider not configured has none. */
export type ProviderSettings = { [D in Definition as D["name"]]?: SettingsOf<D> };

type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (
  intersection: infer I,
) => void
  ? I
  : never;

type ProviderVariables = UnionToIntersection<Definition["variables"]>;

/**
 * Every provider's environment variables with their validation, in the list's order, for
 * `loadConfig` to check with the other settings. (TypeScript cannot type a merge made in a loop,
 * hence the assertion: the value is exactly the definitions' variables, side by side.)
 */
export const providerVariables = Object.fromEntries(
  providerDefinitions.flatMap((definition) => Object.entries(definition.variables)),
) as ProviderVariables;

/** The validated values of every provider's variables. */
export type ProviderVariableValues = z.output<z.ZodObject<ProviderVariables>>;

/** Every configured provider's settings, from the validated variables. */
export function readProviderSettings(env: ProviderVariableValues): ProviderSettings {
  const settings: ProviderSettings = {};
  for (const definition of providerDefinitions) definition.readSettings(env, settings);
  return settings;
}

/** Providers' variables that need one another, each problem naming them. */
export function providerProblems(env: ProviderVariableValues): string[] {
  return providerDefinitions.flatMap((definition) => definition.problems?.(env) ?? []);
}
