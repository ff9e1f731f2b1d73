/**
 * Images through /v1/chat/completions and /v1/responses with the official `openai` client:
 * passed through to OpenAI, translated to Anthropic's image blocks (base64 source for a data:
 * URL, url source for an https: URL); refused, before any call, to a model that reads text only,
 * past IMAGES_MAX or IMAGE_MAX_BYTES, and for any URL that is neither https: nor data:image.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bodyOf,
  ledger,
  providerCases,
  startRig,
  uniquePrompt,
  type Rig,
} from "../test/llm-rig.ts";

/** A 1×1 transparent PNG. */
const pngBase64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
const dataUrl = `data:image/png;base64,${pngBase64}`;
const httpsUrl = "https://images.example.com/chart.png";
const echoed = `image/png base64 (${pngBase64.length} chars)`;

let rig: Rig;
let caller: { id: string; token: string };
const client = () =>
  new OpenAI({ apiKey: caller.token, baseURL: `${rig.server.url}/v1`, maxRetries: 0 });

beforeAll(async () => {
  rig = await startRig({ env: { IMAGES_MAX: "3", IMAGE_MAX_BYTES: "2048" } });
  caller = await rig.token();
});
afterAll(() => rig.close());

function imageQuestion(text: string): OpenAI.Chat.ChatCompletionMessageParam[] {
  return [
    {
      role: "user",
      content: [
        { type: "text", text },
        { type: "image_url", image_url: { url: httpsUrl, detail: "low" } },
        { type: "image_url", image_url: { url: dataUrl } },
      ],
    },
  ];
}

/** The user turn the fake received, in the provider's own words. */
function sentUserTurn(): unknown {
  const messages = bodyOf(rig.fake.requests.at(-1)).messages as { role: string }[];
  return messages.findLast((message) => message.role === "user");
}

function expectedUserTurn(provider: "openai" | "anthropic", text: string): unknown {
  if (provider === "openai")
    return {
      role: "user",
      content: [
        { type: "text", text },
        { type: "image_url", image_url: { url: httpsUrl, detail: "low" } },
        { type: "image_url", image_url: { url: dataUrl } },
      ],
    };
  return {
    role: "user",
    content: [
      { type: "text", text },
      { type: "image", source: { type: "url", url: httpsUrl } },
      { type: "image", source: { type: "base64", media_type: "image/png", data: pngBase64 } },
    ],
  };
}

describe.each(providerCases)("images with $model ($provider)", ({ model, provider }) => {
  it("chat: sends the images on, in the provider's form, and bills the call", async () => {
    rig.fake.reset();
    const text = uniquePrompt("what does the chart show?");
    const completion = await client().chat.completions.create({
      model,
      messages: imageQuestion(text),
    });
    expect(completion.choices[0]?.message.content).toBe(
      `echo: ${text} [images: ${httpsUrl}, ${echoed}]`,
    );
    expect(sentUserTurn()).toEqual(expectedUserTurn(provider, text));
    const rows = await ledger(rig, caller.id);
    expect(rows.some((row) => row.model === model)).toBe(true);
  });

  it("chat, streamed: the same images reach the provider", async () => {
    rig.fake.reset();
    const text = uniquePrompt("streamed chart");
    const stream = await client().chat.completions.create({
      model,
      messages: imageQuestion(text),
      stream: true,
    });
    let answer = "";
    for await (const chunk of stream) answer += chunk.choices[0]?.delta.content ?? "";
    expect(answer).toBe(`echo: ${text} [images: ${httpsUrl}, ${echoed}]`);
    expect(sentUserTurn()).toEqual(expectedUserTurn(provider, text));
  });

  it("responses: input_image parts reach the provider as on chat", async () => {
    rig.fake.reset();
    const text = uniquePrompt("responses chart");
    const response = await client().responses.create({
      model,
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text },
            { type: "input_image", image_url: httpsUrl, detail: "low" },
            { type: "input_image", image_url: dataUrl, detail: "auto" },
          ],
        },
      ],
    });
    expect(response.output_text).toBe(`echo: ${text} [images: ${httpsUrl}, ${echoed}]`);
    const turn = sentUserTurn() as { content: Record<string, unknown>[] };
    if (provider === "openai")
      expect(turn.content.slice(1)).toEqual([
        { type: "image_url", image_url: { url: httpsUrl, detail: "low" } },
        { type: "image_url", image_url: { url: dataUrl, detail: "auto" } },
      ]);
    else expect(turn).toEqual(expectedUserTurn("anthropic", text));
  });
});

describe("images refused before any call", () => {
  /** Asks with `messages` and expects a 400 with `code` and `message`, the fake never called. */
  async function expectRefused(
    messages: OpenAI.Chat.ChatCompletionMessageParam[],
    expected: { code: string; message: RegExp; model?: string },
  ) {
    rig.fake.reset();
    const error = await client()
      .chat.completions.create({ model: expected.model ?? "gpt-4.1-mini", messages })
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const refusal = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(refusal.code).toBe(expected.code);
    expect(refusal.message).toMatch(expected.message);
    expect(rig.fake.requests).toEqual([]);
  }

  const showing = (...urls: string[]): OpenAI.Chat.ChatCompletionMessageParam[] => [
    {
      role: "user",
      content: [
        { type: "text", text: "look" },
        ...urls.map((url) => ({ type: "image_url" as const, image_url: { url } })),
      ],
    },
  ];

  it("a model that reads text only: 400 vision_unsupported", async () => {
    await expectRefused(showing(httpsUrl), {
      model: "claude-3-5-haiku-latest",
      code: "vision_unsupported",
      message: /claude-3-5-haiku-latest does not read images/,
    });
  });

  it("a data: URL over IMAGE_MAX_BYTES", async () => {
    await expectRefused(showing(`data:image/png;base64,${"A".repeat(4096)}`), {
      code: "invalid_request",
      message: /more than the 2048 allowed \(IMAGE_MAX_BYTES\)/,
    });
  });

  it("more images than IMAGES_MAX", async () => {
    await expectRefused(showing(httpsUrl, httpsUrl, httpsUrl, httpsUrl), {
      code: "invalid_request",
      message: /at most 3 images in one request \(IMAGES_MAX\)/,
    });
  });

  it.each([
    ["an http: URL", "http://images.example.com/chart.png", /must be an https: URL/],
    ["a file: URL", "file:///etc/passwd", /must be an https: URL/],
    ["a data: URL that is no image", "data:text/plain;base64,aGk=", /base64 PNG, JPEG, GIF/],
    ["an SVG data: URL", "data:image/svg+xml;base64,PHN2Zz4=", /base64 PNG, JPEG, GIF/],
    ["a data: URL not in base64", "data:image/png,rawbytes", /base64 PNG, JPEG, GIF/],
  ])("%s", async (_label, url, message) => {
    await expectRefused(showing(url), { code: "invalid_request", message });
  });

  it("an image in an assistant message", async () => {
    await expectRefused(
      [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [{ type: "image_url", image_url: { url: httpsUrl } }],
        } as unknown as OpenAI.Chat.ChatCompletionMessageParam,
      ],
      { code: "invalid_request", message: /only a user message shows images/ },
    );
  });

  it("nothing is billed for a refusal", async () => {
    const fresh = await rig.token();
    await new OpenAI({
      apiKey: fresh.token,
      baseURL: `${rig.server.url}/v1`,
      maxRetries: 0,
    }).chat.completions
      .create({ model: "claude-3-5-haiku-latest", messages: showing(httpsUrl) })
      .catch(() => undefined);
    expect(await ledger(rig, fresh.id)).toEqual([]);
  });
});
