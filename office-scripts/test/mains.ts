/**
 * The scripts' `main` signatures and results, as the tests call them. The scripts declare
 * their own interfaces (they cannot export them); these mirror them for the tests' type checks.
 */

export interface PromptItem {
  id: string;
  prompt: string;
  temperature?: number;
}

export interface PromptBatch {
  batch: { items: PromptItem[] };
  more: boolean;
}

export type ReadPrompts = (
  workbook: ExcelScript.Workbook,
  sheetName: string,
  promptColumn: string,
  answerColumn: string,
  firstRow?: number,
  instruction?: string,
  maxItems?: number,
  maxRequestBytes?: number,
  temperature?: number,
) => PromptBatch;

export interface BatchResult {
  id: string;
  ok: boolean;
  text?: string;
  error?: { code: string; message: string };
}

export interface WriteSummary {
  written: number;
  skipped: number;
  failed: { id: string; row: number; code: string; message: string }[];
}

export type WriteAnswers = (
  workbook: ExcelScript.Workbook,
  sheetName: string,
  answerColumn: string,
  results: BatchResult[],
) => WriteSummary;

export interface FillSummary {
  answered: number;
  failed: number;
  skipped: number;
}

export type FillWithAnswers = (
  workbook: ExcelScript.Workbook,
  serverUrl: string,
  token: string,
  instruction?: string,
  answerOffset?: number,
  maxRequestBytes?: number,
  maxItems?: number,
) => Promise<FillSummary>;
