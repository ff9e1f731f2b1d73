import { settingsChangeSchema, settingsSchema, type Settings } from "../account/schemas.ts";
import type { Clock } from "../clock.ts";
import { ApiError } from "../errors.ts";
import { defineRoute, type Route } from "../http/route.ts";
import { LlmError } from "../llm/errors.ts";
import type { ModelRegistry } from "../llm/model-registry.ts";
import type { SettingsRow } from "../store/settings-repository.ts";
import type { Store } from "../store/store.ts";

function toSettings(row: SettingsRow | undefined): Settings {
  return {
    model: row?.model ?? null,
    systemPrompt: row?.system_prompt ?? null,
    temperature: row?.temperature ?? null,
    updatedAt: row?.updated_at ?? null,
  };
}

/** Throws a 400 naming `field` when the model is not offered by this deployment. */
export function assertKnownModel(registry: ModelRegistry, id: string, field: string): void {
  try {
    registry.resolve(id);
  } catch (error) {
    if (!(error instanceof LlmError)) throw error;
    throw new ApiError("unknown_model", `${field}: ${error.message}`, {
      details: [{ path: field, message: error.message }],
    });
  }
}

/**
 * The caller's own defaults (per token). Completions, templates and conversations fall back to
 * them when a request leaves model, system prompt or temperature out.
 */
export function settingsRoutes(deps: {
  store: Store;
  clock: Clock;
  registry: ModelRegistry;
}): Route[] {
  const { store } = deps;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/me/settings",
      access: "llm",
      tag: "Settings",
      summary: "The caller's defaults: model, system prompt and temperature (null when unset)",
      response: settingsSchema,
      handle: async ({ caller }) => toSettings(await store.settings.get(caller.tokenId)),
    }),
    defineRoute({
      method: "put",
      path: "/api/v1/me/settings",
      access: "llm",
      tag: "Settings",
      summary: "Change the caller's defaults; a field left out stays, null clears it",
      description:
        "Answers with the settings as saved. The model must be one this deployment offers " +
        "(see GET /api/v1/models). Each change is written to the audit log, naming the " +
        "changed fields (the system prompt's text is not copied there).",
      body: settingsChangeSchema,
      response: settingsSchema,
      handle: async ({ body, caller }) => {
        const tokenId = caller.tokenId;
        if (body.model) assertKnownModel(deps.registry, body.model, "body.model");
        const current = toSettings(await store.settings.get(tokenId));
        const next = {
          model: body.model === undefined ? current.model : body.model,
          systemPrompt: body.systemPrompt === undefined ? current.systemPrompt : body.systemPrompt,
          temperature: body.temperature === undefined ? current.temperature : body.temperature,
        };
        const changed = (["model", "systemPrompt", "temperature"] as const).filter(
          (field) => next[field] !== current[field],
        );
        if (changed.length === 0) return current;

        const updatedAt = deps.clock.now().toISOString();
        await store.settings.put({
          token_id: tokenId,
          model: next.model,
          system_prompt: next.systemPrompt,
          temperature: next.temperature,
          updated_at: updatedAt,
        });
        // Values that say how calls are made are kept; the system prompt may hold anything.
        const detail: Record<string, unknown> = { changed };
        if (changed.includes("model")) detail.model = next.model;
        if (changed.includes("temperature")) detail.temperature = next.temperature;
        await store.audit.record({
          actorTokenId: tokenId,
          action: "settings.changed",
          subject: tokenId,
          detail,
          createdAt: updatedAt,
        });
        return { ...next, updatedAt };
      },
    }),
  ];
}
