/**
 * Conversation history on each backend: messages keep their order, and appends that race on
 * one conversation each get their own position (no duplicate-position failures).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, type FreshDatabase } from "../test/backends.ts";
import { openStore, type Store } from "./store.ts";

for (const backend of backends) {
  describe.runIf(backend.enabled)(`conversations on ${backend.dialect}`, () => {
    let database: FreshDatabase;
    let store: Store;

    beforeAll(async () => {
      database = await backend.fresh();
      store = await openStore(database.url);
    });
    afterAll(async () => {
      await store.close();
      await database.cleanup();
    });

    async function conversation(): Promise<string> {
      const id = `conv_${randomUUID()}`;
      const at = new Date().toISOString();
      await store.conversations.insert({
        id,
        token_id: "tok_a",
        title: "t",
        model: null,
        system_prompt: null,
        created_at: at,
        updated_at: at,
      });
      return id;
    }

    it("keeps messages in the order they were appended", async () => {
      const id = await conversation();
      await store.conversations.append(
        id,
        [{ id: randomUUID(), role: "user", content: "one" }],
        "2026-11-25T10:00:00.000Z",
      );
      await store.conversations.append(
        id,
        [
          { id: randomUUID(), role: "assistant", content: "two" },
          { id: randomUUID(), role: "user", content: "three" },
        ],
        "2026-11-25T10:01:00.000Z",
      );
      const messages = await store.conversations.messages(id);
      expect(messages.map((m) => [m.seq, m.content])).toEqual([
        [0, "one"],
        [1, "two"],
        [2, "three"],
      ]);
      expect((await store.conversations.get("tok_a", id))?.updated_at).toBe(
        "2026-11-25T10:01:00.000Z",
      );
    });

    it("appends after the message a caller read, and nothing once another came first", async () => {
      const id = await conversation();
      const at = "2026-11-25T10:00:00.000Z";
      const message = (content: string) => [{ id: randomUUID(), role: "user", content }];
      expect(await store.conversations.appendAfter(id, message("first"), at, null)).toHaveLength(1);
      // Two callers read the conversation with "first" last; one appends, then the other tries.
      expect(await store.conversations.appendAfter(id, message("second"), at, 0)).toHaveLength(1);
      expect(await store.conversations.appendAfter(id, message("late"), at, 0)).toBeUndefined();
      expect(await store.conversations.appendAfter(id, message("stale"), at, null)).toBeUndefined();
      const messages = await store.conversations.messages(id);
      expect(messages.map((m) => m.content)).toEqual(["first", "second"]);
    });

    it("gives each of 20 concurrent appends its own position", async () => {
      const id = await conversation();
      const at = new Date().toISOString();
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          store.conversations.append(
            id,
            [{ id: randomUUID(), role: "user", content: `m${index}` }],
            at,
          ),
        ),
      );
      const seqs = (await store.conversations.messages(id)).map((m) => m.seq);
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, index) => index));
    });
  });
}
