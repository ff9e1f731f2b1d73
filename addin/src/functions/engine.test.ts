import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { ManualTimer } from "../shared/manual-timer.ts";
import { memoryStorage } from "../shared/storage.ts";
import { requestKey } from "./engine.ts";
import { PREVIEW_PLACEHOLDER } from "./llm-functions.ts";
import {
  BASE_URL,
  type BatchItem,
  connectedStorage,
  echoAnswer,
  eventually,
  fakeBackend,
  register,
  TOKEN,
  untilAborted,
  useBackendAndExcel,
} from "./test-support.ts";

const { server, excel } = useBackendAndExcel();

describe("batching", () => {
  it("sends 300 calls made in one recalculation as two jobs", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    const values = await Promise.all(
      Array.from({ length: 300 }, (_, i) => excel.value("PROMPT", `Question ${i}`, null)),
    );
    expect(values[0]).toBe("answer to: Question 0");
    expect(values[299]).toBe("answer to: Question 299");
    expect(backend.batches.map((items) => items.length)).toEqual([250, 50]);
    // Each job has its own Idempotency-Key, for a retry of the same request to join it.
    expect(new Set(backend.keys).size).toBe(2);
    expect(backend.keys.every((key) => /^fn-[0-9a-f-]{36}$/.test(key ?? ""))).toBe(true);
  });

  it("sends the token, and each item with its own id, system prompt and temperature 0", async () => {
    let authorization: string | null = null;
    const backend = fakeBackend(server, {
      respond: (_items, request) => {
        authorization = request.headers.get("authorization");
        return undefined;
      },
    });
    register(excel, await connectedStorage());
    await excel.value("PROMPT", "Hi", null);
    expect(authorization).toBe(`Bearer ${TOKEN}`);
    const [item] = backend.batches[0]!;
    expect(item).toMatchObject({ id: "0", prompt: "Hi", temperature: 0 });
    expect(item!.system).toMatch(/Excel/);
    expect(item!.model).toBeUndefined();
  });

  it("asks identical calls once and gives every caller the answer", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    const values = await Promise.all([
      ...Array.from({ length: 50 }, () => excel.value("PROMPT", "Same", null)),
      ...Array.from({ length: 50 }, () => excel.value("PROMPT", "Other", null)),
      // The same prompt with the same options is the same request; other options are not.
      excel.value("PROMPT", "Same", [[["options: temperature=0"]]]),
      excel.value("PROMPT", "Same", [[["options: temperature=0.7"]]]),
    ]);
    expect(new Set(values)).toEqual(new Set(["answer to: Same", "answer to: Other"]));
    expect(backend.batches).toHaveLength(1);
    expect(backend.batches[0]!.map((item) => [item.prompt, item.temperature])).toEqual([
      ["Same", 0],
      ["Other", 0],
      ["Same", 0.7],
    ]);
  });

  it("joins a call to an identical request already in flight", async () => {
    let answer = () => {};
    const backend = fakeBackend(server, { gate: new Promise((resolve) => (answer = resolve)) });
    const engine = register(excel, await connectedStorage());
    const first = excel.value("PROMPT", "Slow", null);
    await backend.arrived(1); // sent, not answered
    const second = excel.value("PROMPT", "Slow", null);
    await eventually(() => expect(engine.stats.joinedCalls).toBe(1));
    answer();
    expect(await Promise.all([first, second])).toEqual(["answer to: Slow", "answer to: Slow"]);
    expect(backend.batches).toHaveLength(1);
  });

  it("follows at most the configured number of jobs at once", async () => {
    // The first job's answers are held until a second job is computing beside it.
    let together = () => {};
    const two = new Promise<void>((resolve) => (together = resolve));
    const backend = fakeBackend(server, {
      answer: async (item) => {
        if (backend.inFlight >= 2) together();
        await two;
        return echoAnswer(item);
      },
    });
    register(excel, await connectedStorage(), {
      settings: { maxItemsPerRequest: 10, maxConcurrentRequests: 2 },
    });
    await Promise.all(Array.from({ length: 100 }, (_, i) => excel.value("PROMPT", `Q${i}`, null)));
    expect(backend.batches).toHaveLength(10);
    expect(backend.maxInFlight).toBe(2);
  });

  it("adapts to a server that takes fewer items per batch (400 for the whole batch)", async () => {
    const backend = fakeBackend(server, {
      respond: (items) =>
        items.length > 30
          ? HttpResponse.json(
              {
                error: { code: "invalid_request", message: "body.items: too big", requestId: "r" },
              },
              { status: 400 },
            )
          : undefined,
    });
    register(excel, await connectedStorage());
    const first = await Promise.all(
      Array.from({ length: 100 }, (_, i) => excel.value("PROMPT", `First ${i}`, null)),
    );
    expect(first[99]).toBe("answer to: First 99");
    const refused = backend.batches.filter((items) => items.length > 30).length;
    const before = backend.batches.length;
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => excel.value("PROMPT", `Then ${i}`, null)),
    );
    // Learned: later batches fit at once.
    expect(backend.batches.slice(before).every((items) => items.length <= 30)).toBe(true);
    expect(refused).toBeGreaterThan(0);
  });

  it("splits a batch whose body would be too large for the server", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage(), { settings: { maxRequestChars: 50_000 } });
    const big = "x".repeat(20_000);
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => excel.value("PROMPT", `${i}${big}`, null)),
    );
    expect(backend.batches.map((items) => items.length)).toEqual([2, 2, 1]);
  });
});

describe("caching", () => {
  it("answers a recalculation from memory without a request", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    expect(await excel.value("PROMPT", "Once", null)).toBe("answer to: Once");
    expect(await excel.value("PROMPT", "Once", null)).toBe("answer to: Once");
    expect(backend.batches).toHaveLength(1);
  });

  it("answers a reopened workbook from storage: a new engine, the same storage, no requests", async () => {
    const backend = fakeBackend(server);
    const storage = await connectedStorage();
    const first = register(excel, storage);
    const formulas = Array.from({ length: 30 }, (_, i) => `Row ${i}`);
    const before = await Promise.all(formulas.map((f) => excel.value("PROMPT", f, null)));
    const listBefore = await excel.value("LIST", "Fruit", null);
    await first.idle();
    expect(backend.batches).toHaveLength(2);

    // Excel closed and opened again: a fresh runtime, nothing in memory.
    excel.uninstall();
    excel.install();
    const second = register(excel, storage);
    expect(second).not.toBe(first);
    const after = await Promise.all(formulas.map((f) => excel.value("PROMPT", f, null)));
    expect(after).toEqual(before);
    expect(await excel.value("LIST", "Fruit", null)).toEqual(listBefore);
    expect(backend.batches).toHaveLength(2);
  });

  it("does not cache errors, or answers with cache=false", async () => {
    let fail = true;
    const backend = fakeBackend(server, {
      answer: (item) =>
        fail
          ? { id: item.id, ok: false, error: { code: "upstream_error", message: "boom" } }
          : echoAnswer(item),
    });
    register(excel, await connectedStorage());
    expect((await excel.error("PROMPT", "Flaky", null)).code).toBe("#N/A");
    fail = false;
    expect(await excel.value("PROMPT", "Flaky", null)).toBe("answer to: Flaky");
    expect(await excel.value("PROMPT", "Fresh", [[["options: cache=false"]]])).toBe(
      "answer to: Fresh",
    );
    expect(await excel.value("PROMPT", "Fresh", [[["options: cache=false"]]])).toBe(
      "answer to: Fresh",
    );
    expect(backend.batches).toHaveLength(4);
    expect(backend.batches[2]![0]!.cache).toBe(false);
  });

  it("keeps the persistent cache within its bounds, dropping the least recently used", async () => {
    const backend = fakeBackend(server, {
      answer: (item) => ({ id: item.id, ok: true, text: "y".repeat(300) }),
    });
    const storage = await connectedStorage();
    const engine = register(excel, storage, {
      settings: { batchWindowMs: 1, cache: { persistentEntries: 10, memoryEntries: 5 } },
    });
    for (let i = 0; i < 40; i++) await excel.value("PROMPT", `Bounded ${i}`, null);
    await engine.idle();
    const index = JSON.parse((await storage.get("officellm.fn-cache.v2.index"))!) as string[][];
    const kept = index.map(([key]) => key);
    expect(kept.length).toBeLessThanOrEqual(10);
    // One call at a time: batch i holds call i, whose request (without its id) is the key.
    const keyOf = (i: number) => {
      const { id: _id, ...request } = backend.batches[i]![0]!;
      return requestKey(request);
    };
    expect(kept).toContain(keyOf(39));
    expect(kept).not.toContain(keyOf(0));
  });

  it("survives storage that fails", async () => {
    const backend = fakeBackend(server);
    const storage = await connectedStorage();
    const broken = {
      get: (key: string) =>
        key.startsWith("officellm.fn-cache") ? Promise.reject(new Error("nope")) : storage.get(key),
      set: () => Promise.reject(new Error("quota")),
      remove: () => Promise.resolve(),
    };
    const engine = register(excel, broken);
    expect(await excel.value("PROMPT", "Still works", null)).toBe("answer to: Still works");
    await engine.idle();
    expect(await excel.value("PROMPT", "Still works", null)).toBe("answer to: Still works");
    expect(backend.batches).toHaveLength(1);
  });
});

describe("formula value preview", () => {
  it("never calls the model while a formula is edited, and shows a placeholder", async () => {
    const backend = fakeBackend(server);
    const engine = register(excel, await connectedStorage());
    for (const [id, args] of [
      ["PROMPT", ["Preview me", null]],
      ["LIST", ["Preview me", null]],
      ["TABLE", ["Preview me", null]],
      ["EXTRACT", ["Ann, 31", [["name", "age"]], null]],
      ["CLASSIFY", ["great", [["good", "bad"]], null]],
      ["TRANSLATE", ["Hello", "French", null]],
      ["SUMMARIZE", [[["Long text"]], null, null]],
    ] as const) {
      const settled = await excel.call(id, [...args], { preview: true }).result;
      expect(settled.ok, id).toBe(true);
      expect(JSON.stringify(settled.ok && settled.value), id).toContain(PREVIEW_PLACEHOLDER);
    }
    await engine.idle();
    expect(backend.batches).toHaveLength(0);
  });

  it("shows a cached answer in the preview, still without a request", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    await excel.value("PROMPT", "Known", null);
    const settled = await excel.call("PROMPT", ["Known", null], { preview: true }).result;
    expect(settled).toEqual({ ok: true, value: "answer to: Known" });
    expect(backend.batches).toHaveLength(1);
  });
});

describe("cancellation", () => {
  it("stops following the job and cancels it when Excel cancels its only call", async () => {
    const backend = fakeBackend(server, { gate: new Promise(() => {}) });
    register(excel, await connectedStorage());
    const call = excel.call("PROMPT", ["Long job", null]);
    await backend.arrived(1);
    await eventually(() => expect(backend.streams).toHaveLength(1));
    call.invocation.cancel();
    const settled = await call.result;
    expect(settled.ok).toBe(false);
    // The backend sees the stream go, and is told the job is not wanted: what it has not
    // started is not computed (what it has is paid for and lands in its cache).
    await untilAborted(backend.streams[0]!);
    await eventually(() => expect(backend.cancelled).toEqual([0]));
  });

  it("keeps a request when other calls still want an item of it", async () => {
    let answer = () => {};
    const backend = fakeBackend(server, { gate: new Promise((resolve) => (answer = resolve)) });
    register(excel, await connectedStorage());
    const cancelled = excel.call("PROMPT", ["A", null]);
    const sameItem = excel.call("PROMPT", ["A", null]);
    const other = excel.call("PROMPT", ["B", null]);
    await backend.arrived(1);
    cancelled.invocation.cancel();
    other.invocation.cancel();
    answer();
    expect(await sameItem.result).toEqual({ ok: true, value: "answer to: A" });
    expect(backend.streams[0]!.aborted).toBe(false);
    expect(backend.cancelled).toEqual([]);
  });

  it("drops a cancelled call before it is sent", async () => {
    const backend = fakeBackend(server);
    register(excel, await connectedStorage());
    const dropped = excel.call("PROMPT", ["Dropped", null]);
    const kept = excel.call("PROMPT", ["Kept", null]);
    // A turn of the event loop: both calls are waiting for the batch window.
    await new Promise((resolve) => setImmediate(resolve));
    dropped.invocation.cancel();
    expect(await kept.result).toEqual({ ok: true, value: "answer to: Kept" });
    expect((await dropped.result).ok).toBe(false);
    expect(backend.batches.map((items) => items.map((i) => i.prompt))).toEqual([["Kept"]]);
  });

  it("asks again when a cancelled call is made again", async () => {
    // The first job is never answered; the next one at once.
    let gate: Promise<void> | undefined = new Promise<void>(() => {});
    const backend = fakeBackend(server, {
      answer: async (item) => {
        const held = gate;
        gate = undefined;
        if (held) await held;
        return echoAnswer(item);
      },
    });
    register(excel, await connectedStorage());
    const first = excel.call("PROMPT", ["Again", null]);
    await backend.arrived(1);
    await eventually(() => expect(backend.streams).toHaveLength(1));
    first.invocation.cancel();
    expect(await excel.value("PROMPT", "Again", null)).toBe("answer to: Again");
    expect(backend.batches).toHaveLength(2);
  });
});

describe("long work: jobs, and the ~60 s fetch limit", () => {
  /** Answers each item only once `release` lets it go. */
  function heldAnswers() {
    const releases = new Map<string, () => void>();
    const waiting = new Map<string, Promise<void>>();
    const held = (prompt: string) => {
      if (!waiting.has(prompt))
        waiting.set(prompt, new Promise((resolve) => releases.set(prompt, resolve)));
      return waiting.get(prompt)!;
    };
    return {
      answer: async (item: BatchItem) => {
        await held(item.prompt);
        return echoAnswer(item);
      },
      release: (prompt: string) => {
        void held(prompt);
        releases.get(prompt)!();
      },
    };
  }

  it("reopens a job's stream where it left off, never sending the job again", async () => {
    const timer = new ManualTimer();
    const held = heldAnswers();
    const backend = fakeBackend(server, { answer: held.answer });
    const engine = register(excel, await connectedStorage(), {
      settings: { requestTimeoutMs: 150 },
      timer,
    });
    const prompts = Array.from({ length: 4 }, (_, i) => `Part ${i}`);
    const cells = prompts.map((prompt) => excel.value("PROMPT", prompt, null));
    await eventually(() => expect(timer.pending).toEqual([100]));
    timer.advance(100); // the batch window: one job of 4
    await eventually(() => expect(backend.streams).toHaveLength(1));
    held.release("Part 0");
    expect(await cells[0]).toBe("answer to: Part 0");
    timer.advance(150); // the stream has been open as long as a request may be: reopened
    await eventually(() => expect(backend.streams).toHaveLength(2));
    expect(backend.streams[0]!.aborted).toBe(true);
    expect(backend.streamAfters).toEqual([0, 1]);
    for (const prompt of prompts.slice(1)) held.release(prompt);
    expect(await Promise.all(cells)).toEqual(prompts.map((prompt) => `answer to: ${prompt}`));
    expect(backend.batches.map((items) => items.length)).toEqual([4]);
    expect(engine.stats.jobsStarted).toBe(1);
  });

  it("sends the items not answered again, once, when the backend no longer knows the job", async () => {
    const backend = fakeBackend(server);
    server.use(
      http.get(
        `${BASE_URL}/api/v1/jobs/:id/events`,
        () =>
          HttpResponse.json(
            { error: { code: "not_found", message: "No such job", requestId: "r" } },
            { status: 404 },
          ),
        { once: true },
      ),
    );
    register(excel, await connectedStorage());
    expect(await excel.value("PROMPT", "Restarted", null)).toBe("answer to: Restarted");
    expect(backend.batches.map((items) => items.map((item) => item.prompt))).toEqual([
      ["Restarted"],
      ["Restarted"],
    ]);
  });
});

describe("a backend that stops answering", () => {
  /**
   * A backend that takes requests and, while `silent`, answers neither them nor GET /health;
   * with `gate`, a batch is answered only once it opens.
   */
  function silentBackend(state: { silent: boolean }, gate?: Promise<void>) {
    const backend = fakeBackend(server, {
      ...(gate ? { gate } : {}),
      respond: async (_items, request) => {
        if (state.silent) await untilAborted(request.signal);
        return undefined;
      },
    });
    const probes: AbortSignal[] = [];
    server.use(
      http.get(`${BASE_URL}/health`, async ({ request }) => {
        probes.push(request.signal);
        if (state.silent) await untilAborted(request.signal);
        return HttpResponse.json({ status: "ok", version: "test", uptimeSeconds: 1 });
      }),
    );
    return { backend, probes };
  }

  it("shows a clear error in 100 cells within 10 s, without resending, and answers on recalculation", async () => {
    const state = { silent: true };
    const { backend } = silentBackend(state);
    const timer = new ManualTimer();
    const engine = register(excel, await connectedStorage(), { timer });
    const prompts = Array.from({ length: 100 }, (_, i) => `Row ${i}`);
    let shown = 0;
    const cells = prompts.map((prompt) =>
      excel.call("PROMPT", [prompt, null]).result.finally(() => (shown += 1)),
    );
    await eventually(() => expect(timer.pending).toEqual([100]));
    timer.advance(100); // the batch window: one request of 100
    await backend.arrived(1);
    timer.advance(5_000); // no headers yet: the backend is probed
    timer.advance(5_000); // the probe is not answered either
    await eventually(() => expect(shown).toBe(100));
    const settled = await Promise.all(cells);
    for (const cell of settled) {
      expect(cell.ok).toBe(false);
      if (!cell.ok) {
        expect(cell.error.code).toBe("#N/A");
        expect(cell.error.message).toMatch(/^OfficeLLM did not answer: check the server/);
      }
    }
    expect(backend.batches).toHaveLength(1);
    expect(engine.stats.healthProbes).toBe(1);
    await untilAborted(backend.signals[0]!);

    // The backend is back: the next recalculation asks again (the errors were not cached).
    state.silent = false;
    const again = Promise.all(prompts.map((prompt) => excel.value("PROMPT", prompt, null)));
    await eventually(() => expect(timer.pending).toEqual([100]));
    timer.advance(100);
    expect(await again).toEqual(prompts.map((prompt) => `answer to: ${prompt}`));
    expect(backend.batches.map((items) => items.length)).toEqual([100, 100]);
  });

  it("shows a clear error within 10 s when the backend falls silent during a job, and answers on recalculation", async () => {
    const state = { silent: false };
    let hold = true;
    const backend = fakeBackend(server, {
      answer: async (item) => {
        if (hold) await new Promise(() => {});
        return echoAnswer(item);
      },
    });
    server.use(
      http.get(`${BASE_URL}/health`, async ({ request }) => {
        if (state.silent) await untilAborted(request.signal);
        return HttpResponse.json({ status: "ok", version: "test", uptimeSeconds: 1 });
      }),
    );
    const timer = new ManualTimer();
    register(excel, await connectedStorage(), { timer });
    const prompts = Array.from({ length: 10 }, (_, i) => `Cell ${i}`);
    const cells = prompts.map((prompt) => excel.call("PROMPT", [prompt, null]).result);
    await eventually(() => expect(timer.pending).toEqual([100]));
    timer.advance(100); // the batch window: the job is taken, its stream opened
    await eventually(() => expect(backend.streams).toHaveLength(1));
    // From now on the backend keeps its connections open and says nothing: no result, no
    // heartbeat, no answer to GET /health.
    state.silent = true;
    timer.advance(5_000); // the stream quiet this long: the backend is probed
    timer.advance(5_000); // the probe is not answered either
    for (const cell of await Promise.all(cells)) {
      expect(cell.ok).toBe(false);
      if (!cell.ok)
        expect(cell.error.message).toMatch(/^OfficeLLM did not answer: check the server/);
    }
    await untilAborted(backend.streams[0]!);
    expect(backend.batches).toHaveLength(1);

    state.silent = false;
    hold = false;
    const again = Promise.all(prompts.map((prompt) => excel.value("PROMPT", prompt, null)));
    await eventually(() => expect(timer.pending).toEqual([100]));
    timer.advance(100);
    expect(await again).toEqual(prompts.map((prompt) => `answer to: ${prompt}`));
  });

  it("lets a live backend take its time over a batch: /health answers, the batch goes on", async () => {
    let finish = () => {};
    const { backend, probes } = silentBackend(
      { silent: false },
      new Promise((resolve) => (finish = resolve)),
    );
    const timer = new ManualTimer();
    register(excel, await connectedStorage(), { timer });
    const slow = excel.value("PROMPT", "Slow work", null);
    await eventually(() => expect(timer.pending).toEqual([100]));
    timer.advance(100);
    await backend.arrived(1);
    for (let probe = 1; probe <= 3; probe++) {
      await eventually(() => expect(timer.pending[0]).toBe(5_000));
      timer.advance(5_000); // no headers yet: probed, and /health answers at once
      await eventually(() => expect(probes).toHaveLength(probe));
      await eventually(() => expect(timer.pending).toHaveLength(2)); // the probe is done
    }
    finish();
    expect(await slow).toBe("answer to: Slow work");
    expect(backend.batches).toHaveLength(1);
  });
});

describe("rate limits", () => {
  it("waits out a short Retry-After and then answers", async () => {
    let limited = 0;
    const backend = fakeBackend(server, {
      respond: () => {
        if (limited++ > 0) return undefined;
        return HttpResponse.json(
          { error: { code: "rate_limited", message: "Too many requests", requestId: "r1" } },
          { status: 429, headers: { "retry-after": "1" } },
        );
      },
    });
    const timer = new ManualTimer();
    register(excel, await connectedStorage(), { timer });
    const patient = excel.value("PROMPT", "Patient", null);
    await eventually(() => expect(timer.pending).toEqual([100]));
    timer.advance(100); // the batch window
    // Refused: the engine waits 1 s, the Retry-After, before it asks again.
    await eventually(() => expect(timer.pending).toEqual([1000]));
    expect(backend.batches).toHaveLength(1);
    timer.advance(1000);
    expect(await patient).toBe("answer to: Patient");
    expect(backend.batches).toHaveLength(2);
  });
});

describe("connection", () => {
  it("uses the connection saved after the functions started", async () => {
    fakeBackend(server);
    const storage = memoryStorage();
    register(excel, storage);
    expect((await excel.error("PROMPT", "Early", null)).message).toMatch(/Not connected/);
    await storage.set("officellm.connection", JSON.stringify({ baseUrl: BASE_URL, token: TOKEN }));
    expect(await excel.value("PROMPT", "Early", null)).toBe("answer to: Early");
  });
});
