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
  const details = result.error.issues.flatMap((issue) =>
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
  throw new ApiError("invalid_request", `${first!.path}: ${first!.message}${more}`, { details });
}
