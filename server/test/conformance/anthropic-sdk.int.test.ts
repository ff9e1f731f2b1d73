/**
 * Conformance: the official `@anthropic-ai/sdk`. OfficeLLM offers no Anthropic-compatible surface
 * (no `POST /v1/messages`; docs/api.md says why), so what is proven here is the clear refusal an
 * Anthropic client meets, with the token as the SDK's bearer `authToken`.
 */
import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { rejection, useConformanceRig } from "./conformance-rig.ts";

const setting = useConformanceRig();

describe("Anthropic client", () => {
  it("messages: refused, 404 (no /v1/messages)", async () => {
    const client = new Anthropic({
      authToken: setting.apiKey,
      apiKey: null,
      baseURL: setting.rig.server.url,
      maxRetries: 0,
    });
    const error = await rejection(
      client.messages.create({
        model: "claude-haiku-4-5",
        max_tokens: 100,
        messages: [{ role: "user", content: "Hello" }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as Error).message).toMatch(/\/v1\/messages/);
  });
});
