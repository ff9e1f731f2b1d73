import { z } from "zod";

/**
 * The template API's bodies and answer: the route table's schemas, so the OpenAPI document's
 * too. No Node here (a template's size is counted with TextEncoder, as Buffer would): the add-in
 * takes their types through server/wire.ts.
 */

const fields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).nullable(),
  systemPrompt: z.string().max(50_000).nullable().describe("Used unless the request sends one"),
  model: z.string().trim().min(1).max(200).nullable().describe("Used unless the request names one"),
};

const utf8 = new TextEncoder();

/** The bodies that create and change a template, whose text is at most `templateBytes` (UTF-8). */
export function templateBodies(templateBytes: number) {
  const body = z
    .string()
    .min(1)
    .max(templateBytes)
    .refine((text) => utf8.encode(text).byteLength <= templateBytes, {
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

export type TemplateBodies = ReturnType<typeof templateBodies>;

export const templateSchema = z.object({
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

export type Template = z.output<typeof templateSchema>;

export const templateListSchema = z.object({ templates: z.array(templateSchema) });
