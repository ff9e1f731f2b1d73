/**
 * The client conformance suite's setting: the real server, its real provider adapters and SDKs,
 * the fake provider behind them, and one OfficeLLM token; each client is pointed at `/v1` with
 * that token and nothing else changed. Every feature runs for an OpenAI and an Anthropic model.
 */
import { afterAll, beforeAll } from "vitest";
import { providerCases, startRig, type Rig } from "../llm-rig.ts";

/** The models each client is driven against: one per provider behind the gateway. */
export const conformanceModels = providerCases.map(({ model, provider }) => ({ model, provider }));

export interface Conformance {
  rig: Rig;
  /** `<server>/v1`, the base URL every OpenAI-style client gets. */
  baseURL: string;
  /** An OfficeLLM token, the API key every client gets. */
  apiKey: string;
}

/** Starts the rig for the file's tests and closes it after them. */
export function useConformanceRig(): Conformance {
  const state = {} as Conformance;
  beforeAll(async () => {
    state.rig = await startRig();
    state.baseURL = `${state.rig.server.url}/v1`;
    state.apiKey = (await state.rig.token()).token;
  });
  afterAll(() => state.rig.close());
  return state;
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to be refused");
}
