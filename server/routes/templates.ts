import { randomBytes } from "node:crypto";
import type { Response } from "express";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ApiError } from "../errors.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { ModelRegistry } from "../llm/model-registry.ts";
import { templateVariables } from "../llm/request/templates.ts";
import type { Store } from "../store/store.ts";
import type { TemplateRow } from "../store/template-repository.ts";
import { assertKnownModel } from "./settings.ts";

const fields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).nullable(),
  systemPrompt: z.string().max(50_000).nullable().describe("Used unless the request sends one"),
  model: z.string().trim().min(1).max(200).nullable().describe("Used unless the request names one"),
};

/** The bodies that create and change a template, whose text is at most `templateBytes` (UTF-8). */
function templateBodies(templateBytes: number) {
  const body = z
    .string()
    .min(1)
    .max(templateBytes)
    .refine((text) => Buffer.byteLength(text) <= templateBytes, {
      message: `must be at most ${templateBytes} bytes`,
    })
    .describe("The prompt, with {{variable}} placeholders filled from a completion's `variables`");
  const create = z.strictObject({
    name: fields.name,
    body,
    description: fields.description.optional(),
    systemPrompt: fields.systemPrompt.optional(),
    model: fields.model.optional(),
  });
  const patch = z
    .strictObject({
      name: fields.name.optional(),
      body: body.optional(),
      description: fields.description.optional(),
      systemPrompt: fields.systemPrompt.optional(),
      model: fields.model.optional(),
    })
    .refine((change) => Object.keys(change).length > 0, { message: "send at least one field" });
  return { create, patch };
}

export const templateResponse = z.object({
  id: z.string(),
  name: z.string(),
  body: z.string(),
  description: z.string().nullable(),
  systemPrompt: z.string().nullable(),
  model: z.string().nullable(),
  variables: z.array(z.string()).describe("The body's {{variables}}, in order of first use"),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function toTemplate(row: TemplateRow): z.output<typeof templateResponse> {
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
  const owner = (res: Response) => res.locals.caller!.tokenId;
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/templates",
      access: "llm",
      tag: "Templates",
      summary: "Save a prompt template with {{variables}}",
      body: bodies.create,
      response: templateResponse,
      successStatus: 201,
      handle: async ({ body }, _req, res) => {
        if (body.model) assertKnownModel(deps.registry, body.model, "body.model");
        const now = clock.now().toISOString();
        const row: TemplateRow = {
          id: `tpl_${randomBytes(12).toString("base64url")}`,
          token_id: owner(res),
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
      response: z.object({ templates: z.array(templateResponse) }),
      handle: async (_input, _req, res) => ({
        templates: (await store.templates.list(owner(res))).map(toTemplate),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/templates/:id",
      access: "llm",
      tag: "Templates",
      summary: "One of the caller's templates",
      response: templateResponse,
      handle: async ({ params }, _req, res) => {
        const row = await store.templates.get(owner(res), params.id!);
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
      response: templateResponse,
      handle: async ({ params, body }, _req, res) => {
        if (body.model) assertKnownModel(deps.registry, body.model, "body.model");
        const updated = await store.templates.update(owner(res), params.id!, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.body !== undefined ? { body: body.body } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.systemPrompt !== undefined ? { system_prompt: body.systemPrompt } : {}),
          ...(body.model !== undefined ? { model: body.model } : {}),
          updated_at: clock.now().toISOString(),
        });
        const row = updated ? await store.templates.get(owner(res), params.id!) : undefined;
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
      handle: async ({ params }, _req, res) => {
        if (!(await store.templates.delete(owner(res), params.id!))) throw notFound(params.id!);
        res.status(204).end();
      },
    }),
  ];
}
