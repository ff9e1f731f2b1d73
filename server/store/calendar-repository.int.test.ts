/**
 * The calendar repository on each store backend (SQLite always; PostgreSQL when DATABASE_URL
 * points at one): connections replaced on reconnect, states consumed once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { backends } from "../test/backends.ts";
import type { CalendarConnectionRow, OAuthStartRow, OAuthStateRow } from "./calendar-repository.ts";
import { openStore, type Store } from "./store.ts";

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function connection(overrides: Partial<CalendarConnectionRow> = {}): CalendarConnectionRow {
  return {
    token_id: "tok_a",
    tokens_sealed: "v1.nonce.ciphertext.tag",
    email: "ada@example.com",
    time_zone: "Europe/Berlin",
    scope: "https://www.googleapis.com/auth/calendar.events",
    needs_reconnect: 0,
    connected_at: "2026-11-25T12:00:00.000Z",
    updated_at: "2026-11-25T12:00:00.000Z",
    ...overrides,
  };
}

function state(overrides: Partial<OAuthStateRow> = {}): OAuthStateRow {
  return {
    state_hash: "hash-1",
    token_id: "tok_a",
    code_verifier_sealed: "v1.a.b.c",
    expires_at: "2026-11-25T12:10:00.000Z",
    used_at: null,
    created_at: "2026-11-25T12:00:00.000Z",
    browser_hash: "browser-hash-1",
    ...overrides,
  };
}

for (const backend of backends) {
  describe.runIf(backend.enabled)(`calendar repository on ${backend.dialect}`, () => {
    async function fresh(): Promise<Store> {
      const database = await backend.fresh();
      const store = await openStore(database.url);
      cleanups.push(database.cleanup, () => store.close());
      return store;
    }

    it("puts, replaces, updates and deletes a token's connection", async () => {
      const store = await fresh();
      await store.calendar.putConnection(connection());
      await store.calendar.putConnection(
        connection({ tokens_sealed: "v1.other", needs_reconnect: 0, email: null }),
      );
      expect(await store.calendar.getConnection("tok_a")).toEqual(
        connection({ tokens_sealed: "v1.other", email: null }),
      );
      expect(await store.calendar.updateConnection("tok_a", { needs_reconnect: 1 })).toBe(true);
      expect((await store.calendar.getConnection("tok_a"))!.needs_reconnect).toBe(1);
      expect(await store.calendar.updateConnection("tok_b", { needs_reconnect: 1 })).toBe(false);
      expect(await store.calendar.deleteConnection("tok_a")).toBe(true);
      expect(await store.calendar.getConnection("tok_a")).toBeUndefined();
      expect(await store.calendar.deleteConnection("tok_a")).toBe(false);
    });

    it("consumes a state once, and sweeps long-expired ones", async () => {
      const store = await fresh();
      await store.calendar.insertState(state(), "2026-11-24T12:00:00.000Z");
      expect(await store.calendar.consumeState("hash-1", "2026-11-25T12:01:00.000Z")).toBe(true);
      expect(await store.calendar.consumeState("hash-1", "2026-11-25T12:02:00.000Z")).toBe(false);
      expect((await store.calendar.getState("hash-1"))!.used_at).toBe("2026-11-25T12:01:00.000Z");
      await store.calendar.insertState(state({ state_hash: "hash-2" }), "2026-11-27T00:00:00.000Z");
      expect(await store.calendar.getState("hash-1")).toBeUndefined();
      expect(await store.calendar.getState("hash-2")).toBeDefined();
    });

    it("lets a start ticket be taken once, before it expires, and sweeps long-expired ones", async () => {
      const store = await fresh();
      const start = (ticket_hash: string): OAuthStartRow => ({
        ticket_hash,
        token_id: "tok_a",
        expires_at: "2026-11-25T12:01:00.000Z",
        used_at: null,
        created_at: "2026-11-25T12:00:00.000Z",
      });
      for (const hash of ["ticket-1", "ticket-2"])
        await store.calendar.insertStart(start(hash), "2026-11-24T12:00:00.000Z");
      const take = (hash: string, now: string) => store.calendar.takeStart(hash, now);
      expect(await take("ticket-1", "2026-11-25T12:00:30.000Z")).toEqual({ tokenId: "tok_a" });
      expect(await take("ticket-1", "2026-11-25T12:00:31.000Z")).toEqual({ refused: "used" });
      expect(await take("ticket-2", "2026-11-25T12:01:00.000Z")).toEqual({ refused: "expired" });
      expect(await take("ticket-9", "2026-11-25T12:00:30.000Z")).toEqual({ refused: "unknown" });
      await store.calendar.insertStart(start("ticket-3"), "2026-11-27T00:00:00.000Z");
      expect(await take("ticket-2", "2026-11-25T12:00:30.000Z")).toEqual({ refused: "unknown" });
      expect(await take("ticket-3", "2026-11-25T12:00:30.000Z")).toEqual({ tokenId: "tok_a" });
    });
  });
}
