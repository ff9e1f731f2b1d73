/** The kinds of file OfficeLLM reads, by the extension of the name they are uploaded with. */
export const fileKinds = ["csv", "xlsx", "pdf", "docx", "txt", "md"] as const;
export type FileKind = (typeof fileKinds)[number];

const byExtension: Record<string, FileKind> = {
  csv: "csv",
  xlsx: "xlsx",
  pdf: "pdf",
  docx: "docx",
  txt: "txt",
  text: "txt",
  md: "md",
  markdown: "md",
};

/** The kind a file name says, or undefined for one OfficeLLM does not read. */
export function kindOf(fileName: string): FileKind | undefined {
  const extension = /\.([a-z]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  return extension === undefined ? undefined : byExtension[extension];
}
