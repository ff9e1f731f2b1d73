import { describe, expect, it } from "vitest";
import type { StreamChunk } from "../types.ts";
import { applyLocalStop, StreamedAnswer } from "./streamed-answer.ts";

const delta = (text: string): StreamChunk => ({ type: "delta", text });

/** What each piece lets through, then what the end lets through. */
function relay(stops: string[] | undefined, pieces: string[]) {
  const streamed = new StreamedAnswer(stops);
  const sent = pieces.map((piece) => streamed.add(delta(piece)));
  return { sent, end: streamed.end(), streamed };
}

describe("a streamed answer", () => {
  it("passes every piece on as it came without stop sequences", () => {
    const { sent, end, streamed } = relay(undefined, ["Hel", "", "lo"]);
    expect(sent).toEqual(["Hel", "", "lo"]);
    expect(end).toBeUndefined();
    expect(streamed.text).toBe("Hello");
  });

  it("holds back what may start a stop sequence until the next piece tells", () => {
    const { sent, end, streamed } = relay(["END"], ["one E", "N", "d two"]);
    expect(sent).toEqual(["one ", undefined, "ENd two"]);
    expect(end).toBeUndefined();
    expect(streamed.text).toBe("one ENd two");
  });

  it("ends the answer at the first stop sequence, and still reads (and bills) the rest", () => {
    const { sent, end, streamed } = relay(["END"], ["alpha E", "ND beta", " gamma"]);
    expect(sent).toEqual(["alpha ", undefined, undefined]);
    expect(end).toBeUndefined();
    expect(streamed.text).toBe("alpha ");
    expect(streamed.received).toBe("alpha END beta gamma");
  });

  it("sends at its end the text held back that was no stop sequence", () => {
    const { sent, end, streamed } = relay(["STOP"], ["word ST"]);
    expect(sent).toEqual(["word "]);
    expect(end).toBe("ST");
    expect(streamed.text).toBe("word ST");
  });

  it("keeps the usage the provider reports at the end", () => {
    const streamed = new StreamedAnswer(undefined);
    expect(streamed.usage).toBeUndefined();
    const usage = { inputTokens: 3, outputTokens: 5 };
    expect(streamed.add({ type: "done", usage, finishReason: "stop" })).toBeUndefined();
    expect(streamed.usage).toEqual(usage);
  });
});

describe("applyLocalStop", () => {
  it("cuts at the earliest stop sequence, or keeps the text whole", () => {
    expect(applyLocalStop("a; b. c", [".", ";"])).toBe("a");
    expect(applyLocalStop("abc", ["x"])).toBe("abc");
    expect(applyLocalStop("abc", undefined)).toBe("abc");
  });
});
