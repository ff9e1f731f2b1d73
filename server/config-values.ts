import { z } from "zod";

/**
 * Kinds of values settings take, as zod schemas: config.ts and the providers' definitions
 * (server/llm/providers/) validate their environment variables with them.
 */

export const optionalString = z.string().min(1).optional();

export const httpUrl = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
  .transform((url) => url.replace(/\/+$/, ""));
