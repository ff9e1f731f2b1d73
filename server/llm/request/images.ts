import { z } from "zod";
import type { Limits } from "../../config.ts";
import { LlmError } from "../errors.ts";
import type { ModelInfo } from "../model-registry.ts";
import { DATA_IMAGE_URL, type ChatMessage, type ContentPart } from "../types.ts";

/** An https: URL longer than this is no image address. */
const maxHttpsUrlChars = 8192;

/**
 * An image part's URL: https: (the provider fetches it; OfficeLLM never does) or a base64
 * `data:image/…` URL. Only the URL's form is checked here; its size against IMAGE_MAX_BYTES in
 * `checkImages`, once the limits are known.
 */
export const imageUrlSchema = z.string().superRefine((url, ctx) => {
  if (url.startsWith("data:")) {
    if (!DATA_IMAGE_URL.test(url.slice(0, 40)))
      ctx.addIssue({
        code: "custom",
        message:
          "a data: URL must be a base64 PNG, JPEG, GIF or WebP image (data:image/png;base64,…)",
      });
    return;
  }
  const https =
    url.length <= maxHttpsUrlChars && URL.canParse(url) && new URL(url).protocol === "https:";
  if (!https)
    ctx.addIssue({
      code: "custom",
      message: `must be an https: URL (at most ${maxHttpsUrlChars} characters) or a data:image/… URL`,
    });
});

/** OpenAI's `detail`: how closely the model looks (and so what the image costs). */
export const imageDetailSchema = z.enum(["auto", "low", "high"]).optional();

/**
 * Bounds a request's images before any work (IMAGES_MAX, IMAGE_MAX_BYTES for each `data:` URL)
 * and answers how many it shows.
 */
export function checkImageBounds(
  messages: readonly ChatMessage[],
  limits: Limits["images"],
): number {
  let count = 0;
  for (const message of messages)
    for (const part of message.parts ?? []) {
      if (part.type !== "image") continue;
      if (++count > limits.perRequest)
        throw new LlmError(
          "invalid_request",
          `body.messages: at most ${limits.perRequest} images in one request (IMAGES_MAX)`,
        );
      if (part.url.startsWith("data:") && part.url.length > limits.dataUrlBytes)
        throw new LlmError(
          "invalid_request",
          `body.messages: an image's data: URL holds ${part.url.length} bytes, more than the ` +
            `${limits.dataUrlBytes} allowed (IMAGE_MAX_BYTES); send a smaller image or an https: URL`,
        );
    }
  return count;
}

/** Refuses images to a model (the one asked, or a fallback) that cannot read them. */
export function checkVision(models: readonly ModelInfo[]): void {
  const blind = models.find((model) => !model.vision);
  if (blind)
    throw new LlmError(
      "vision_unsupported",
      `${blind.id} does not read images; ask a model that does (GET /api/v1/models: vision)`,
    );
}

/**
 * A turn from its parts: its text parts joined by line breaks as `content`, and the parts kept
 * when it shows an image.
 */
export function turnOfParts(role: ChatMessage["role"], parts: ContentPart[]): ChatMessage {
  const content = parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
  return parts.some((part) => part.type === "image") ? { role, content, parts } : { role, content };
}
