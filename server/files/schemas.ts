import { z } from "zod";
import { fileKinds } from "./file-kinds.ts";

/** A stored file as the API shows it; `text` only when one file is asked for. */
export const fileSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(fileKinds),
  bytes: z.number().describe("Size of the upload"),
  textChars: z.number().describe("Characters of text read from it"),
  detail: z.string().nullable().describe('What was read, e.g. "3 pages"'),
  createdAt: z.string(),
  expiresAt: z.string().describe("When it is deleted (FILE_RETENTION_HOURS after upload)"),
});

export const fileSchema = fileSummarySchema.extend({
  text: z.string().describe("The text the model receives"),
});

export const fileListSchema = z.object({ files: z.array(fileSummarySchema) });

export const fileTotalsSchema = z.object({
  files: z.number(),
  tokens: z.number().describe("Tokens holding at least one file"),
  bytes: z.number().describe("Uploaded bytes, all files together"),
  textChars: z.number(),
  retentionHours: z.number(),
});

/** How completions, batch items and conversation messages name the files the model reads. */
export const fileIdsField = z
  .array(z.string().min(1).max(100))
  .min(1)
  .max(10)
  .optional()
  .describe("Files (from POST /api/v1/files) whose text the model receives");

export type FileSummary = z.output<typeof fileSummarySchema>;
