import { describe, expect, it } from "vitest";
import { SingleFlight } from "./single-flight.ts";

describe("SingleFlight", () => {
  it("counts the callers waiting for shared calls until each leaves or is answered", async () => {
    const flights = new SingleFlight<string>();
    let answer = (_text: string) => {};
    const work = () => new Promise<string>((resolve) => (answer = resolve));
    const leaving = new AbortController();
    const first = flights.run("k", new AbortController().signal, work);
    const gone = flights.run("k", leaving.signal, work);
    const other = flights.run("other", new AbortController().signal, async () => "at once");
    expect(flights.waiting).toBe(3);
    expect(await other).toMatchObject({ ok: true, value: "at once", payer: true });
    expect(flights.waiting).toBe(2);
    leaving.abort(new Error("went away"));
    await expect(gone).rejects.toThrow("went away");
    expect(flights.waiting).toBe(1);
    answer("shared");
    expect(await first).toMatchObject({ ok: true, value: "shared", payer: true });
    expect(flights.waiting).toBe(0);
    expect(flights.size).toBe(0);
  });
});
