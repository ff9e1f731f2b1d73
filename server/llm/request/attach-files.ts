import type { ChatMessage } from "../types.ts";

/** A file's text as the model receives it. */
export interface FileText {
  id: string;
  name: string;
  text: string;
}

/** Characters a file's wrapping and its note take, beyond its text: a safe overestimate. */
const WRAPPING_CHARS = 400;
/** About four characters a token, as token-estimate.ts counts. */
const CHARS_PER_TOKEN = 4;

function wrap(file: FileText, sent: string, modelId: string): string {
  const note =
    sent.length < file.text.length
      ? `\n[OfficeLLM: only the first ${sent.length} of ${file.text.length} characters of this file ` +
        `are included; the rest did not fit ${modelId}'s context window]`
      : "";
  const name = file.name.replace(/["<>\n]/g, "_");
  return `<file name="${name}" id="${file.id}">\n${sent}${note}\n</file>`;
}

/**
 * Puts the files' text in front of the last user message, in the order named, within
 * `roomTokens`: the first files whole as long as they fit, then the one that does not fit cut
 * with a note saying how much of it is included, and any after it named with a note that none of
 * it is. The files go with the user's turn, not the system prompt: their text is the user's
 * content, and must not gain a system prompt's authority.
 */
export function attachFiles(
  messages: ChatMessage[],
  files: readonly FileText[],
  roomTokens: number,
  modelId: string,
): ChatMessage[] {
  let room = Math.max(0, roomTokens * CHARS_PER_TOKEN);
  const parts = files.map((file) => {
    const fits = Math.max(0, Math.min(file.text.length, room - WRAPPING_CHARS));
    room = Math.max(0, room - fits - WRAPPING_CHARS);
    return wrap(file, file.text.slice(0, fits), modelId);
  });
  const last = messages.findLastIndex((message) => message.role === "user");
  if (last < 0 || parts.length === 0) return messages;
  return messages.map((message, index) =>
    index === last
      ? { ...message, content: `${parts.join("\n\n")}\n\n${message.content}` }
      : message,
  );
}
