import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { LlmError } from "../errors.ts";
import { startCallTime } from "./call-time.ts";

describe("a call's time", () => {
  it("runs out with upstream_timeout at its deadline, however late its signal is asked for", async () => {
    const time = startCallTime(new AbortController().signal, performance.now() - 1);
    const { signal } = time;
    if (!signal.aborted) await once(signal, "abort");
    expect(signal.reason).toBeInstanceOf(LlmError);
    expect((signal.reason as LlmError).code).toBe("upstream_timeout");
    time.stop();
  });

  it("follows the caller going away", () => {
    const caller = new AbortController();
    const time = startCallTime(caller.signal, performance.now() + 60_000);
    const { signal } = time;
    caller.abort(new Error("client disconnected"));
    expect(signal.aborted).toBe(true);
    time.stop();
  });

  it("once stopped, can no longer run out: its signal is the caller's alone", () => {
    const caller = new AbortController();
    const time = startCallTime(caller.signal, performance.now() - 1);
    time.stop();
    expect(time.signal).toBe(caller.signal);
    expect(time.signal.aborted).toBe(false);
  });
});
