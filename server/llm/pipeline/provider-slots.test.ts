import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../logger.ts";
import { LogCapture } from "../../test/harness.ts";
import { LlmError } from "../errors.ts";
import { ProviderSlots } from "./provider-slots.ts";

const never = new AbortController().signal;

beforeEach(() => {
  // Only the report's clock is moved by hand; a wait's deadline runs on real time.
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
});
afterEach(() => vi.useRealTimers());

function slotsLogging(capacity: number) {
  const lines = new LogCapture();
  const logger = createLogger({ log: { level: "info", format: "json" } }, lines);
  const messages = () => lines.records().map((record) => record.msg);
  return { lines, messages, slots: new ProviderSlots("openai", capacity, logger) };
}

describe("a provider's slots in the log", () => {
  it("says when calls begin to queue, sums the queue up every 10 s, and says when it has drained", async () => {
    const { lines, messages, slots } = slotsLogging(1);
    const first = await slots.acquire("a", never, Infinity);
    expect(messages()).toEqual([]);

    const second = slots.acquire("b", never, Infinity);
    const third = slots.acquire("b", never, Infinity);
    expect(messages()).toEqual(["provider slots all taken: calls queue"]);
    first();
    (await second)();
    (await third)();

    vi.advanceTimersByTime(10_000);
    expect(lines.records().at(-1)).toMatchObject({
      msg: "provider queue",
      provider: "openai",
      capacity: 1,
      queued: 2,
      deepest: 2,
      timedOut: 0,
      waiting: 0,
    });
    vi.advanceTimersByTime(10_000);
    expect(lines.records().at(-1)).toMatchObject({ msg: "provider queue drained", queued: 0 });
    // Then nothing more, until calls queue again.
    vi.advanceTimersByTime(60_000);
    expect(messages()).toHaveLength(3);
  });

  it("refuses a call that waited past its deadline as queue_timeout, and counts it", async () => {
    const { lines, slots } = slotsLogging(1);
    const holder = await slots.acquire("a", never, Infinity);
    const refused = slots.acquire("b", never, performance.now() + 5);
    await expect(refused).rejects.toBeInstanceOf(LlmError);
    await expect(refused).rejects.toMatchObject({
      code: "queue_timeout",
      retryAfterMs: 5_000,
      message: expect.stringMatching(/^openai is busy: the call waited \d+\.\d s for one of the 1/),
    });
    holder();
    vi.advanceTimersByTime(10_000);
    expect(lines.records().at(-1)).toMatchObject({ msg: "provider queue", timedOut: 1 });
  });
});

describe("a provider's slots among tokens", () => {
  it("keeps a hundredth of them out of any one token's reach, for the other tokens' next calls", async () => {
    const { messages, slots } = slotsLogging(200);
    const batch = Array.from({ length: 200 }, () => slots.acquire("batch", never, Infinity));
    expect(slots.snapshot()).toMatchObject({ inFlight: 198, waiting: 2 });
    expect(messages()).toEqual(["a token holds all the provider slots it may: its calls queue"]);

    // Another token's call goes upstream at once, not after one of the batch's calls.
    const single = await slots.acquire("single", never, Infinity);
    expect(slots.snapshot()).toMatchObject({ inFlight: 199, waiting: 2 });

    // The batch keeps its share: a slot it frees goes to its next call.
    (await batch[0]!)();
    expect(slots.snapshot()).toMatchObject({ inFlight: 199, waiting: 1 });
    const other = await slots.acquire("other", never, Infinity);
    expect(slots.snapshot()).toMatchObject({ inFlight: 200, waiting: 1 });

    single();
    other();
    expect(slots.snapshot()).toMatchObject({ inFlight: 198, waiting: 1 });
  });

  it("keeps none of a local server's 16", async () => {
    const { slots } = slotsLogging(16);
    for (let call = 0; call < 16; call++) await slots.acquire("batch", never, Infinity);
    expect(slots.snapshot()).toMatchObject({ inFlight: 16, waiting: 0 });
  });
});
