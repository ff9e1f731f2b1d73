/** An image part's URL, as the adapters that cannot take a `data:` URL whole need it. */
import { DATA_IMAGE_URL } from "../../types.ts";

/** A base64 `data:image/…` URL's media type and data; undefined for an https: URL. */
export function inlineImage(url: string): { mediaType: string; data: string } | undefined {
  const match = DATA_IMAGE_URL.exec(url);
  return match ? { mediaType: match[1]!, data: url.slice(match[0].length) } : undefined;
}

/**
 * The media type an https: image URL's name suggests, for an API that asks for one beside the
 * URL (Gemini's fileData); JPEG, the commonest, when the name does not say.
 */
export function imageTypeOfUrl(url: string): string {
  const extension = /\.(png|gif|webp|jpe?g)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  if (extension === "png" || extension === "gif" || extension === "webp")
    return `image/${extension}`;
  return "image/jpeg";
}
