/**
 * A typical real body for the routes whose fields depend on each other (JSON output only with
 * `responseFormat.type: "json"`, a template's variables only with its id…), so that a hostile
 * field reaches the work it feeds — the schema compiler, the model call, the calendar parser —
 * rather than an early 400. Routes not listed here start from a body their schema accepts.
 */
const answerSchema = {
  type: "object",
  properties: { colours: { type: "array", items: { type: "string" } } },
  required: ["colours"],
};

export function typicalBodies(fixtures: {
  model: string;
  templateId: string;
  now: string;
}): Record<string, unknown> {
  const { model, templateId, now } = fixtures;
  const event = { text: "Lunch with Ada tomorrow at noon", timezone: "Europe/Berlin", now };
  return {
    "POST /api/v1/completions": {
      prompt: "Name three colours",
      model,
      responseFormat: { type: "json", schema: answerSchema },
    },
    "POST /api/v1/batch": {
      items: [
        {
          id: "a",
          prompt: "Name three colours",
          responseFormat: { type: "json", schema: answerSchema },
        },
        { id: "b", templateId, variables: { word: "hello" } },
      ],
    },
    "POST /v1/chat/completions": {
      model,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Name three colours" },
      ],
      response_format: {
        type: "json_schema",
        json_schema: { name: "colours", schema: answerSchema },
      },
    },
    "POST /v1/responses": {
      model,
      instructions: "Be brief.",
      input: [{ role: "user", content: [{ type: "input_text", text: "Name three colours" }] }],
      text: { format: { type: "json_schema", name: "colours", schema: answerSchema } },
    },
    "POST /v1/embeddings": { model: "text-embedding-3-small", input: ["Acme Corp", "Lisbon"] },
    "POST /api/v1/embeddings": { input: ["Acme Corp", "Lisbon"], encodingFormat: "base64" },
    "POST /api/v1/conversations/:id/messages": { content: "Name three colours", model },
    "PUT /api/v1/me/settings": { model, systemPrompt: "Be brief.", temperature: 0 },
    "POST /api/v1/templates": { name: "greeting", body: "Say {{word}} to {{name}}" },
    "PATCH /api/v1/templates/:id": { body: "Say {{word}} twice", model },
    "POST /api/v1/conversations": { title: "Colours", model, systemPrompt: "Be brief." },
    "POST /api/v1/calendar/parse": event,
    "POST /api/v1/calendar/events": { ...event, dryRun: true },
    "PATCH /api/v1/calendar/events/:id": { summary: "Lunch", start: "2026-12-01T12:00:00+01:00" },
    "POST /api/v1/webhook": { ...event, dryRun: true },
    "POST /api/v1/admin/tokens": { name: "colleague", scopes: ["llm"], rpm: 60 },
    "POST /api/v1/admin/tokens/:id/rotate": { graceSeconds: 60 },
    "PATCH /api/v1/admin/tokens/:id": { rpm: 30, budgetUsd: 5 },
  };
}
