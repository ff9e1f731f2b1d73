import type { z } from "zod";
import { ApiError } from "../errors.ts";

/** Parses a request part, or throws `invalid_request` naming each bad field and why. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: "body" | "query",
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw inputError(result.error, part);
}

/** The most bad fields an answer lists: the message counts the rest, and the answer stays small. */
const MAX_DETAILS = 20;

/**
 * `invalid_request` naming the bad fields of `part` (such as `body.items.3`) and their problems:
 * the first {@link MAX_DETAILS}, with the count of all of them in the message.
 */
export function inputError(error: { issues: z.core.$ZodIssue[] }, part: string): ApiError {
  const details = error.issues.flatMap((issue) =>
    // Name each unknown field, rather than the object that holds it.
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          path: [part, ...issue.path.map(String), key].join("."),
          message: "is not a known field",
        }))
      : [{ path: [part, ...issue.path.map(String)].join("."), message: issue.message }],
  );
  const [first] = details;
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : "";
  return new ApiError("invalid_request", `${first!.path}: ${first!.message}${more}`, {
    details: details.slice(0, MAX_DETAILS),
  });
}
