import { describe, expect, it } from "vitest";
import { ExcelUnavailableError } from "../office/requirements.ts";
import { ApiClientError } from "../shared/api-client.ts";
import { describeError, isAbort } from "./errors.ts";
import { answerLines, previewTemplate } from "./text.ts";

describe("describeError", () => {
  it("says when to try again after a rate limit", () => {
    expect(describeError(new ApiClientError("rate_limited", "x", 429, 30))).toBe(
      "Rate limited: too many requests. Try again in 30 s.",
    );
    expect(describeError(new ApiClientError("rate_limited", "x", 429))).toMatch(/in a minute/);
  });

  it("turns each backend error into a sentence to act on", () => {
    expect(describeError(new ApiClientError("unauthorized", "bad", 401))).toMatch(/Sign in again/);
    expect(describeError(new ApiClientError("network", "x", 0))).toMatch(/Cannot reach/);
    expect(describeError(new ApiClientError("budget_exceeded", "25 USD", 429))).toMatch(/budget/);
    expect(describeError(new ApiClientError("invalid_request", "body.prompt: required", 400))).toBe(
      "body.prompt: required",
    );
    expect(describeError(new ExcelUnavailableError("Fill needs Excel"))).toBe("Fill needs Excel");
    expect(describeError("odd")).toBe("odd");
  });

  it("knows an abort", () => {
    expect(isAbort(new DOMException("x", "AbortError"))).toBe(true);
    expect(isAbort(new Error("x"))).toBe(false);
  });
});

describe("answer text", () => {
  it("splits an answer into rows without list markers", () => {
    expect(answerLines("Rivers:\n- Danube\n* Rhine\n\n3. Elbe\n2) Po  \n")).toEqual([
      "Rivers:",
      "Danube",
      "Rhine",
      "Elbe",
      "Po",
    ]);
  });

  it("previews a template with the values given so far", () => {
    expect(previewTemplate("Hi {{name}} from {{ city }}", { name: "Ada" })).toBe(
      "Hi Ada from {{ city }}",
    );
  });
});
