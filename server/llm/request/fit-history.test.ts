import { describe, expect, it } from "vitest";
import { LlmError } from "../errors.ts";
import {
  fitHistory,
  MESSAGE_OVERHEAD_TOKENS,
  messageTokens,
  outputReserve,
} from "./fit-history.ts";
import { estimateTokens, IMAGE_TOKENS } from "../token-estimate.ts";
import type { ChatMessage } from "../types.ts";

/** A message of exactly `tokens` estimated tokens of text (4 characters a token). */
const user = (label: string, tokens = 10): ChatMessage => ({
  role: "user",
  content: label.padEnd(tokens * 4, "."),
});
const assistant = (label: string, tokens = 10): ChatMessage => ({
  role: "assistant",
  content: label.padEnd(tokens * 4, "."),
});
const labels = (messages: ChatMessage[]) => messages.map((m) => m.content.replace(/\.+$/, ""));

/** Each 10-token message costs 14 with its overhead. */
const PER = 10 + MESSAGE_OVERHEAD_TOKENS;

describe("messageTokens", () => {
  it("is the text's estimate plus a fixed overhead", () => {
    expect(messageTokens(user("a", 10))).toBe(PER);
    expect(messageTokens({ content: "" })).toBe(MESSAGE_OVERHEAD_TOKENS);
    expect(messageTokens({ content: "abcde" })).toBe(2 + MESSAGE_OVERHEAD_TOKENS);
  });

  it("counts each image at IMAGE_TOKENS, never its URL or data as text", () => {
    const data = `data:image/png;base64,${"A".repeat(100_000)}`;
    const shown: ChatMessage = {
      role: "user",
      content: "abcd",
      parts: [
        { type: "text", text: "abcd" },
        { type: "image", url: data },
        { type: "image", url: "https://example.com/a.png" },
      ],
    };
    expect(messageTokens(shown)).toBe(1 + 2 * IMAGE_TOKENS + MESSAGE_OVERHEAD_TOKENS);
  });
});

describe("fitHistory", () => {
  const conversation = [
    user("u1"),
    assistant("a1"),
    user("u2"),
    assistant("a2"),
    user("u3"),
    assistant("a3"),
    user("u4"),
  ];

  it("sends everything when it fits", () => {
    const fitted = fitHistory(conversation, { contextWindow: 1000, reserveForOutput: 100 });
    expect(fitted.messages).toEqual(conversation);
    expect(fitted.dropped).toBe(0);
    expect(fitted.inputTokens).toBe(7 * PER);
  });

  it("fits exactly at the limit", () => {
    const fitted = fitHistory(conversation, {
      contextWindow: 7 * PER + 50,
      reserveForOutput: 50,
    });
    expect(fitted.dropped).toBe(0);
    expect(fitted.inputTokens).toBe(7 * PER);
  });

  it("drops the oldest turns first", () => {
    // Room for five messages: u2 … u4.
    const fitted = fitHistory(conversation, { contextWindow: 5 * PER + 20, reserveForOutput: 20 });
    expect(labels(fitted.messages)).toEqual(["u2", "a2", "u3", "a3", "u4"]);
    expect(fitted.dropped).toBe(2);
    expect(fitted.inputTokens).toBe(5 * PER);
  });

  it("never starts with an assistant turn", () => {
    // Room for four messages would start at a2; the answer to an unseen question goes too.
    const fitted = fitHistory(conversation, { contextWindow: 4 * PER + 5, reserveForOutput: 5 });
    expect(labels(fitted.messages)).toEqual(["u3", "a3", "u4"]);
    expect(fitted.dropped).toBe(4);
    expect(fitted.inputTokens).toBe(3 * PER);
  });

  it("keeps the reserve for the answer free", () => {
    const budget = { contextWindow: 7 * PER, reserveForOutput: 2 * PER };
    const fitted = fitHistory(conversation, budget);
    expect(labels(fitted.messages)).toEqual(["u2", "a2", "u3", "a3", "u4"]);
    expect(fitted.inputTokens + budget.reserveForOutput).toBeLessThanOrEqual(budget.contextWindow);
  });

  it("counts the system prompt first", () => {
    const system = "s".repeat(4 * 10); // one message's worth
    const without = fitHistory(conversation, { contextWindow: 5 * PER, reserveForOutput: 0 });
    const withSystem = fitHistory(conversation, {
      contextWindow: 5 * PER,
      reserveForOutput: 0,
      system,
    });
    expect(without.messages).toHaveLength(5);
    expect(labels(withSystem.messages)).toEqual(["u3", "a3", "u4"]);
    expect(withSystem.inputTokens).toBe(4 * PER);
  });

  it("stops at the first message that does not fit, rather than skip over it", () => {
    const history = [user("small-old", 1), assistant("huge", 500), user("newest")];
    const fitted = fitHistory(history, { contextWindow: 100, reserveForOutput: 0 });
    expect(labels(fitted.messages)).toEqual(["newest"]);
    expect(fitted.dropped).toBe(2);
  });

  it("always keeps the newest message, even when nothing else fits", () => {
    const history = [user("old", 100), assistant("reply", 100), user("newest", 50)];
    const fitted = fitHistory(history, { contextWindow: 60, reserveForOutput: 0 });
    expect(labels(fitted.messages)).toEqual(["newest"]);
    expect(fitted.dropped).toBe(2);
    expect(fitted.inputTokens).toBe(54);
  });

  it("refuses a newest message that cannot fit on its own as invalid_request naming body.content", () => {
    const attempt = () =>
      fitHistory([user("only", 100)], { contextWindow: 200, reserveForOutput: 150 });
    expect(attempt).toThrow(LlmError);
    try {
      attempt();
    } catch (error) {
      const refusal = error as LlmError;
      expect(refusal.code).toBe("invalid_request");
      expect(refusal.message).toMatch(/context window of 200 tokens with 150 kept/);
      expect(refusal.details?.[0]?.path).toBe("body.content");
    }
    // The system prompt counts against it too.
    expect(() =>
      fitHistory([user("only", 40)], {
        contextWindow: 100,
        reserveForOutput: 0,
        system: "s".repeat(4 * 60),
      }),
    ).toThrow(/plus 64 of system prompt/);
  });

  it("refuses function results that do not fit with the call they answer", () => {
    const call: ChatMessage = {
      role: "assistant",
      content: "".padEnd(40, "."),
      toolCalls: [{ id: "c1", name: "f", arguments: "{}" }],
    };
    const result: ChatMessage = { role: "tool", toolCallId: "c1", content: "r".padEnd(40, ".") };
    const history = [user("q"), call, result];
    expect(fitHistory(history, { contextWindow: 3 * PER, reserveForOutput: 0 }).dropped).toBe(0);
    expect(() => fitHistory(history, { contextWindow: PER, reserveForOutput: 0 })).toThrow(
      /function results do not fit/,
    );
  });

  it("rejects an empty history", () => {
    expect(() => fitHistory([], { contextWindow: 100, reserveForOutput: 0 })).toThrow();
  });

  it("is never below the prepare step's estimate, so a fitted history always passes its check", () => {
    // prepare() refuses input + maxTokens > contextWindow using one estimate over the
    // concatenated text; the fitted history must always pass that check.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const length = 1 + Math.floor(random() * 30);
      const history: ChatMessage[] = Array.from({ length }, (_, index) => ({
        role: (length - 1 - index) % 2 === 0 ? "user" : "assistant",
        content: "x".repeat(Math.floor(random() * 400)) || "y",
      }));
      const system = random() < 0.5 ? "s".repeat(Math.floor(random() * 300)) : undefined;
      const contextWindow = 200 + Math.floor(random() * 3000);
      const reserveForOutput = Math.floor(random() * 100);
      let fitted;
      try {
        fitted = fitHistory(history, { contextWindow, reserveForOutput, system });
      } catch {
        continue;
      }
      const prepareEstimate = estimateTokens(
        (system ?? "") + fitted.messages.map((m) => m.content).join(""),
      );
      expect(prepareEstimate).toBeLessThanOrEqual(fitted.inputTokens);
      expect(fitted.inputTokens + reserveForOutput).toBeLessThanOrEqual(contextWindow);
      expect(fitted.messages.at(-1)).toBe(history.at(-1));
      expect(fitted.messages[0]!.role).toBe("user");
      expect(fitted.messages.length + fitted.dropped).toBe(history.length);
    }
  });
});

describe("outputReserve", () => {
  const model = { contextWindow: 32_768, maxOutputTokens: 4096 };

  it("is the caller's maxTokens, within the model's output limit", () => {
    expect(outputReserve(model, 500)).toBe(500);
    expect(outputReserve(model, 100_000)).toBe(4096);
  });

  it("is the model's output limit without maxTokens, but at most a quarter of the window", () => {
    expect(outputReserve(model)).toBe(4096);
    expect(outputReserve({ contextWindow: 8192, maxOutputTokens: 4096 })).toBe(2048);
    expect(outputReserve({ contextWindow: 200_000, maxOutputTokens: 64_000 })).toBe(50_000);
  });
});
