import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { FileLimits } from "../config.ts";
import { ApiError } from "../errors.ts";
import type { FileExtractor } from "../files/extractor.ts";
import { fileKinds, kindOf, type FileKind } from "../files/file-kinds.ts";
import { readUpload } from "../files/read-upload.ts";
import {
  fileListSchema,
  fileSchema,
  fileTotalsSchema,
  type FileSummary,
} from "../files/schemas.ts";
import { defineRoute, type Route } from "../http/route.ts";
import type { FileSummaryRow } from "../store/file-repository.ts";
import type { Store } from "../store/store.ts";

const UPLOAD_FIELD = "file";

function toSummary(row: FileSummaryRow): FileSummary {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as FileKind,
    bytes: row.bytes,
    textChars: row.text_chars,
    detail: row.detail,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

const notFound = (id: string) => new ApiError("not_found", `No file with id ${id}`);

/**
 * Files as context: a token uploads a file, OfficeLLM keeps the text read from it (never the
 * file) for FILE_RETENTION_HOURS, and completions, batch items and conversation messages name it
 * in `fileIds`. Another token's file answers 404.
 */
export function fileRoutes(deps: {
  store: Store;
  clock: Clock;
  extractor: FileExtractor;
  limits: FileLimits;
  bodyTimeoutMs: number;
  retentionMs: number;
}): Route[] {
  const { store, clock } = deps;
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/files",
      access: "llm",
      tag: "Files",
      summary: "Upload a file (CSV, XLSX, PDF, DOCX, TXT, Markdown) whose text models may read",
      description:
        `A multipart/form-data body with the file in the field \`${UPLOAD_FIELD}\`; its kind comes ` +
        "from the file name's extension. The text is read at once and kept (the file is not) until " +
        "`expiresAt`. Too large a file (FILE_MAX_BYTES), too many pages, sheets, cells or " +
        "characters, or a zip that unpacks too large answers 413; an encrypted or malformed file 400; " +
        "another kind 415.",
      upload: {
        field: UPLOAD_FIELD,
        description: `The file; its name must end in .${fileKinds.join(", .")}`,
      },
      response: fileSchema,
      successStatus: 201,
      handle: async ({ caller }, req) => {
        const upload = await readUpload(req, {
          field: UPLOAD_FIELD,
          maxBytes: deps.limits.bytes,
          timeoutMs: deps.bodyTimeoutMs,
        });
        const kind = kindOf(upload.name);
        if (!kind) {
          throw new ApiError(
            "unsupported_media_type",
            `OfficeLLM reads .${fileKinds.join(", .")} files; name the file with one of these extensions`,
          );
        }
        const { text, detail } = await deps.extractor.extract(kind, upload.bytes);
        const now = clock.now();
        const row = {
          id: `file_${randomBytes(12).toString("base64url")}`,
          token_id: caller.tokenId,
          name: upload.name.slice(0, 255),
          kind,
          bytes: upload.bytes.length,
          text,
          text_chars: text.length,
          detail,
          created_at: now.toISOString(),
          expires_at: new Date(now.getTime() + deps.retentionMs).toISOString(),
        };
        // Each upload also deletes every token's expired files: reads never see them anyway.
        await store.files.sweep(row.created_at);
        await store.files.insert(row);
        return { ...toSummary(row), text };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/files",
      access: "llm",
      tag: "Files",
      summary: "The caller's files, newest first (without their text)",
      response: fileListSchema,
      handle: async ({ caller }) => ({
        files: (await store.files.list(caller.tokenId, clock.now().toISOString())).map(toSummary),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/files/:id",
      access: "llm",
      tag: "Files",
      summary: "One of the caller's files, with the text the model receives",
      response: fileSchema,
      handle: async ({ params, caller }) => {
        const row = await store.files.get(caller.tokenId, params.id!, clock.now().toISOString());
        if (!row) throw notFound(params.id!);
        return { ...toSummary(row), text: row.text };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/files/:id",
      access: "llm",
      tag: "Files",
      summary: "Delete a file; answers 204 with no body",
      successStatus: 204,
      handle: async ({ params, caller }, _req, res) => {
        if (!(await store.files.delete(caller.tokenId, params.id!))) throw notFound(params.id!);
        res.status(204).end();
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/admin/files",
      access: "admin",
      tag: "Admin",
      summary: "Files kept for all tokens together: count, tokens holding some, bytes, text",
      response: fileTotalsSchema,
      handle: async () => ({
        ...(await store.files.totals(clock.now().toISOString())),
        retentionHours: deps.retentionMs / 3_600_000,
      }),
    }),
  ];
}
