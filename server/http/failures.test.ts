import { describe, expect, it } from "vitest";
import { ApiError } from "../errors.ts";
import { LlmError } from "../llm/errors.ts";
import { apiErrorOf, streamFailure } from "./failures.ts";

describe("the ApiError a failure is answered with", () => {
  it("keeps an ApiError as it is", () => {
    const error = new ApiError("forbidden", "no");
    expect(apiErrorOf(error)).toBe(error);
  });

  it.each([
    ["invalid_request", 400],
    ["not_found", 404],
    ["budget_exceeded", 429],
    ["upstream_error", 502],
    ["upstream_timeout", 504],
    ["cancelled", 499],
  ] as const)("gives the LLM layer's %s its status %i, message and details", (code, status) => {
    const details = [{ path: "body.prompt", message: "too long" }];
    const answer = apiErrorOf(new LlmError(code, "why", { details }));
    expect(answer).toMatchObject({ code, status, message: "why", details, headers: {} });
  });

  it("says in whole seconds, one at least, when a rate-limited caller may ask again", () => {
    expect(apiErrorOf(new LlmError("rate_limited", "slow", { retryAfterMs: 2_100 }))).toMatchObject(
      { status: 429, headers: { "retry-after": "3" } },
    );
    expect(apiErrorOf(new LlmError("rate_limited", "slow", { retryAfterMs: 0 }))).toMatchObject({
      headers: { "retry-after": "1" },
    });
  });

  it("answers a call that waited its longest in a queue 503 queue_timeout, saying when to come back", () => {
    expect(
      apiErrorOf(new LlmError("queue_timeout", "busy", { retryAfterMs: 5_000 })),
    ).toMatchObject({ code: "queue_timeout", status: 503, headers: { "retry-after": "5" } });
  });

  it("knows no answer for a bug of ours, which the error handler answers as internal", () => {
    expect(apiErrorOf(new Error("bug"))).toBeUndefined();
    expect(apiErrorOf(new LlmError("internal", "bug"))).toBeUndefined();
    expect(streamFailure(new Error("bug"))).toMatchObject({ code: "internal", status: 500 });
  });
});
