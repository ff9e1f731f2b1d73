import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.ts";
import { ApiError } from "../errors.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { ModelRegistry } from "../llm/model-registry.ts";
import { templateVariables } from "../llm/request/templates.ts";
import type { Store } from "../store/store.ts";
import type { TemplateRow } from "../store/template-repository.ts";
import {
  templateBodies,
  templateListSchema,
  templateSchema,
  type Template,
} from "../templates/schemas.ts";
import { assertKnownModel } from "./settings.ts";

function toTemplate(row: TemplateRow): Template {
  return {
    id: row.id,
    name: row.name,
    body: row.body,
    description: row.description,
    systemPrompt: row.system_prompt,
    model: row.model,
    variables: templateVariables(row.body),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const notFound = (id: string) => new ApiError("not_found", `No template with id ${id}`);

/**
 * Prompt templates, each the caller's own (another token's template answers 404). Use one in
 * POST /api/v1/completions or a batch item with `templateId` and `variables`.
 */
export function templateRoutes(deps: {
  store: Store;
  clock: Clock;
  registry: ModelRegistry;
  templateBytes: number;
}): Route[] {
  const { store, clock } = deps;
  const bodies = templateBodies(deps.templateBytes);
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/templates",
      access: "llm",
      tag: "Templates",
      summary: "Save a prompt template with {{variables}}",
      body: bodies.create,
      response: templateSchema,
      successStatus: 201,
      handle: async ({ body, caller }) => {
        if (body.model) assertKnownModel(deps.registry, body.model, "body.model");
        const now = clock.now().toISOString();
        const row: TemplateRow = {
          id: `tpl_${randomBytes(12).toString("base64url")}`,
          token_id: caller.tokenId,
          name: body.name,
          description: body.description ?? null,
          body: body.body,
          system_prompt: body.systemPrompt ?? null,
          model: body.model ?? null,
          created_at: now,
          updated_at: now,
        };
        await store.templates.insert(row);
        return toTemplate(row);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/templates",
      access: "llm",
      tag: "Templates",
      summary: "The caller's templates, by name",
      response: templateListSchema,
      handle: async ({ caller }) => ({
        templates: (await store.templates.list(caller.tokenId)).map(toTemplate),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/templates/:id",
      access: "llm",
      tag: "Templates",
      summary: "One of the caller's templates",
      response: templateSchema,
      handle: async ({ params, caller }) => {
        const row = await store.templates.get(caller.tokenId, params.id!);
        if (!row) throw notFound(params.id!);
        return toTemplate(row);
      },
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/templates/:id",
      access: "llm",
      tag: "Templates",
      summary: "Change some of a template's fields; null clears an optional one",
      body: bodies.patch,
      response: templateSchema,
      handle: async ({ params, body, caller }) => {
        if (body.model) assertKnownModel(deps.registry, body.model, "body.model");
        const updated = await store.templates.update(caller.tokenId, params.id!, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.body !== undefined ? { body: body.body } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.systemPrompt !== undefined ? { system_prompt: body.systemPrompt } : {}),
          ...(body.model !== undefined ? { model: body.model } : {}),
          updated_at: clock.now().toISOString(),
        });
        const row = updated ? await store.templates.get(caller.tokenId, params.id!) : undefined;
        if (!row) throw notFound(params.id!);
        return toTemplate(row);
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/templates/:id",
      access: "llm",
      tag: "Templates",
      summary: "Delete a template; answers 204 with no body",
      successStatus: 204,
      handle: async ({ params, caller }, _req, res) => {
        if (!(await store.templates.delete(caller.tokenId, params.id!))) throw notFound(params.id!);
        res.status(204).end();
      },
    }),
  ];
}
