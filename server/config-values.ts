import { z } from "zod";

/**
 * Kinds of values settings take, as zod schemas: config.ts and the providers' definitions
 * (server/llm/providers/) validate their environment variables with them.
 */

export const optionalString = z.string().min(1).optional();

export const httpUrl = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
  .transform((url) => url.replace(/\/+$/, ""));

/** A model's price: USD per million tokens in and out, at most three decimals (util/money.ts). */
export interface ModelPrice {
  input: number;
  output: number;
}

const priceNumber = /^\d+(\.\d{1,3})?$/;

/**
 * `model=input/output,…` (USD per million tokens) as prices by model. A model name may hold `:`
 * or `/` (`qwen3:8b`, `meta-llama/Llama-3.1-8B`), so the price is what follows its last `=`.
 */
export const modelPrices = z.string().transform((value, ctx) => {
  const prices: Record<string, ModelPrice> = {};
  for (const entry of value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const at = entry.lastIndexOf("=");
    const model = entry.slice(0, at).trim();
    const [input, output, extra] = entry
      .slice(at + 1)
      .split("/")
      .map((part) => part.trim());
    if (
      at <= 0 ||
      !model ||
      extra !== undefined ||
      !priceNumber.test(input ?? "") ||
      !priceNumber.test(output ?? "")
    ) {
      ctx.addIssue({
        code: "custom",
        message: `'${entry}' must be model=input/output in USD per million tokens, at most three decimals (llama3.2=0.1/0.4)`,
      });
      return z.NEVER;
    }
    prices[model] = { input: Number(input), output: Number(output) };
  }
  return prices;
});

/**
 * `alias=model,…` as the model each alias names (`fast=gpt-5-mini`). An alias may not name
 * another alias: one step, so a cycle cannot be written.
 */
export const modelAliases = z.string().transform((value, ctx) => {
  const aliases: Record<string, string> = {};
  for (const entry of value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [alias, model, extra] = entry.split("=").map((part) => part.trim());
    if (!alias || !model || extra !== undefined) {
      ctx.addIssue({ code: "custom", message: `'${entry}' must be alias=model (fast=gpt-5-mini)` });
      return z.NEVER;
    }
    if (alias in aliases) {
      ctx.addIssue({ code: "custom", message: `names the alias '${alias}' twice` });
      return z.NEVER;
    }
    aliases[alias] = model;
  }
  for (const [alias, model] of Object.entries(aliases)) {
    if (model in aliases) {
      ctx.addIssue({ code: "custom", message: `alias '${alias}' names another alias, '${model}'` });
      return z.NEVER;
    }
  }
  return aliases;
});
