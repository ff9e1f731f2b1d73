/**
 * Small files of each kind OfficeLLM reads, made here rather than checked in, and hostile ones:
 * a zip bomb XLSX, one whose zip lies about its sizes, a PDF claiming a billion pages, encrypted
 * files.
 */
import ExcelJS from "exceljs";
import JSZip from "jszip";

export async function xlsxFixture(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sales = workbook.addWorksheet("Sales");
  sales.addRow(["Region", "Revenue"]);
  sales.addRow(["North", 1200]);
  sales.addRow(["South, East", 800]);
  workbook.addWorksheet("Notes").addRow(["Checked by Ada"]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const docxParts: Record<string, string> = {
  "[Content_Types].xml":
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  "_rels/.rels":
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
};

/** A DOCX of one paragraph per line, as a minimal zip of WordprocessingML. */
export async function docxFixture(lines: string[]): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, xml] of Object.entries(docxParts)) zip.file(name, xml);
  const paragraphs = lines.map((line) => `<w:p><w:r><w:t>${line}</w:t></w:r></w:p>`).join("");
  zip.file(
    "word/document.xml",
    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
      `<w:body>${paragraphs}</w:body></w:document>`,
  );
  return zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
}

/** A PDF written by hand: one page per text, a correct cross-reference table. */
export function pdfFixture(
  pages: string[],
  options: { claimPages?: number; trailer?: string } = {},
): Buffer {
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 3 + i * 2);
  const fontId = 3 + pages.length * 2;
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${options.claimPages ?? pages.length} >>`;
  pages.forEach((text, i) => {
    const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
    objects[pageIds[i]!] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${pageIds[i]! + 1} 0 R ` +
      `/Resources << /Font << /F1 ${fontId} 0 R >> >> >>`;
    objects[pageIds[i]! + 1] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  });
  objects[fontId] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = body.length;
    body += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = body.length;
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) {
    body += `${String(offsets[id]).padStart(10, "0")} 00000 n \n`;
  }
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R ${options.trailer ?? ""}>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}

/**
 * A PDF encrypted with the standard handler whose user password is not empty: the /Encrypt
 * dictionary is inline in the trailer, its /U check value random, so no password opens it.
 */
export function encryptedPdfFixture(): Buffer {
  const hex32 = "ab".repeat(32);
  return pdfFixture(["secret"], {
    trailer: `/Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <${hex32}> /U <${hex32}> >> /ID [<${"01".repeat(16)}> <${"01".repeat(16)}>] `,
  });
}

/**
 * An XLSX whose first sheet's XML inflates to `inflatedBytes` of spaces: a few kB on the wire.
 * With `lie`, its zip also declares every entry 1 byte large, as a crafted bomb would.
 */
export async function zipBombXlsx(inflatedBytes: number, lie = false): Promise<Buffer> {
  const zip = await JSZip.loadAsync(await xlsxFixture());
  const sheet = "xl/worksheets/sheet1.xml";
  const xml = await zip.file(sheet)!.async("string");
  zip.file(sheet, xml.replace("<sheetData>", `<sheetData>${" ".repeat(inflatedBytes)}`));
  const bomb = await zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
  if (lie) {
    // Each central directory entry's and local header's uncompressed size becomes 1.
    for (let at = 0; at + 30 < bomb.length; at++) {
      const signature = bomb.readUInt32LE(at);
      if (signature === 0x02014b50) bomb.writeUInt32LE(1, at + 24);
      if (signature === 0x04034b50) bomb.writeUInt32LE(1, at + 22);
    }
  }
  return bomb;
}

/** What a password-protected XLSX or DOCX starts with: an OLE compound file's signature. */
export function encryptedOfficeFixture(): Buffer {
  return Buffer.concat([
    Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
    Buffer.alloc(504),
  ]);
}
