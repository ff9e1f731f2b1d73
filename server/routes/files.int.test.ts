/**
 * /api/v1/files over HTTP: each kind read from a fixture made here, hostile files refused with a
 * 4xx (a zip bomb XLSX, one lying about its sizes, a PDF claiming a billion pages, encrypted and
 * malformed files, too large an upload), each token's own files, retention and the admin totals.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type ErrorBody } from "../test/api.ts";
import {
  docxFixture,
  encryptedOfficeFixture,
  encryptedPdfFixture,
  pdfFixture,
  xlsxFixture,
  zipBombXlsx,
} from "../test/file-fixtures.ts";
import { startTestServer, type TestServer } from "../test/harness.ts";

interface StoredFile {
  id: string;
  name: string;
  kind: string;
  bytes: number;
  textChars: number;
  detail: string | null;
  createdAt: string;
  expiresAt: string;
  text: string;
}

let server: TestServer;
let owner: string;
let other: string;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      RATE_LIMIT_RPM: "100000",
      FILE_MAX_BYTES: "256kb",
      FILE_MAX_UNZIPPED_BYTES: "1mb",
      FILE_MAX_PAGES: "20",
      FILE_MAX_TEXT_CHARS: "50000",
      FILE_RETENTION_HOURS: "24",
    },
  });
  owner = (await server.token({ name: "owner" })).token;
  other = (await server.token({ name: "other" })).token;
});
afterAll(() => server.close());

async function upload<T = StoredFile>(name: string, bytes: Buffer | string, token = owner) {
  const form = new FormData();
  form.append("file", new Blob([typeof bytes === "string" ? bytes : new Uint8Array(bytes)]), name);
  const response = await server.fetch("/api/v1/files", { method: "POST", token, body: form });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as T };
}

async function stored(name: string, bytes: Buffer | string, token = owner): Promise<StoredFile> {
  const reply = await upload(name, bytes, token);
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

async function refused(name: string, bytes: Buffer | string, status: number, message: RegExp) {
  const reply = await upload<ErrorBody>(name, bytes);
  expect(reply.status, reply.text).toBe(status);
  expect(reply.body.error.message).toMatch(message);
}

describe("reading each kind of file", () => {
  it("reads an XLSX's sheets as CSV, sheet by sheet", async () => {
    const file = await stored("sales.xlsx", await xlsxFixture());
    expect(file).toMatchObject({ kind: "xlsx", detail: "2 sheets, 7 cells" });
    expect(file.text).toBe(
      '## Sheet: Sales\nRegion,Revenue\nNorth,1200\n"South, East",800\n\n## Sheet: Notes\nChecked by Ada',
    );
    expect(file.id).toMatch(/^file_/);
    expect(Date.parse(file.expiresAt) - Date.parse(file.createdAt)).toBe(24 * 3_600_000);
  });

  it("reads a DOCX's paragraphs", async () => {
    const file = await stored("memo.docx", await docxFixture(["Quarterly memo", "Sales rose."]));
    expect(file.kind).toBe("docx");
    expect(file.text).toBe("Quarterly memo\n\nSales rose.");
  });

  it("reads a PDF's pages", async () => {
    const file = await stored("report.pdf", pdfFixture(["First page", "Second page"]));
    expect(file).toMatchObject({ kind: "pdf", detail: "2 pages" });
    expect(file.text).toContain("First page");
    expect(file.text).toContain("Second page");
  });

  it("keeps CSV, text and Markdown as they are", async () => {
    expect((await stored("a.csv", "name,score\nAda,3\n")).text).toBe("name,score\nAda,3\n");
    expect((await stored("a.txt", "plain words")).text).toBe("plain words");
    expect(await stored("a.md", "# Title\n\n- item")).toMatchObject({
      kind: "md",
      text: "# Title\n\n- item",
      detail: "3 lines",
    });
  });
});

describe("refusing files it will not read", () => {
  it("refuses a zip bomb XLSX by its declared sizes", async () => {
    const bomb = await zipBombXlsx(20 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(256 * 1024);
    await refused("bomb.xlsx", bomb, 413, /unpacks to more than 1048576 bytes/);
  });

  it("refuses a zip bomb XLSX that declares small sizes, by inflating no more than the limit", async () => {
    await refused("liar.xlsx", await zipBombXlsx(20 * 1024 * 1024, true), 413, /unpacks to more/);
  });

  it("refuses a PDF claiming a billion pages before reading any", async () => {
    const claim = pdfFixture(["only one really"], { claimPages: 1_000_000_000 });
    await refused("huge.pdf", claim, 413, /more than 20 pages/);
  });

  it("refuses encrypted PDFs, workbooks and documents with 400", async () => {
    await refused("locked.pdf", encryptedPdfFixture(), 400, /PDF is encrypted/);
    await refused("locked.xlsx", encryptedOfficeFixture(), 400, /encrypted/);
    await refused("locked.docx", encryptedOfficeFixture(), 400, /encrypted/);
  });

  it("refuses malformed files with 400", async () => {
    await refused("broken.xlsx", Buffer.from("not a zip at all"), 400, /not a valid XLSX/);
    await refused("broken.docx", Buffer.from("PK\u0003\u0004 truncated"), 400, /not a valid DOCX/);
    await refused("broken.pdf", Buffer.from("%PDF-1.4 garbage"), 400, /not a valid PDF/);
    await refused("latin1.txt", Buffer.from([0x63, 0x61, 0x66, 0xe9]), 400, /not UTF-8/);
  });

  it("refuses an upload over FILE_MAX_BYTES while it streams, and other kinds with 415", async () => {
    await refused("big.txt", "x".repeat(300 * 1024), 413, /larger than the limit of 262144/);
    await refused("too-much.txt", "x".repeat(60_000), 413, /FILE_MAX_TEXT_CHARS/);
    await refused("photo.png", Buffer.from([0x89, 0x50]), 415, /reads \.csv/);
  });

  it("refuses a multipart body without a boundary, or cut short, with 400", async () => {
    const send = (type: string, body: string) =>
      server.fetch("/api/v1/files", {
        method: "POST",
        token: owner,
        headers: { "content-type": type },
        body,
      });
    const unbounded = await send("multipart/form-data", "hello");
    expect(unbounded.status).toBe(400);
    const cut = await send(
      "multipart/form-data; boundary=x",
      '--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello',
    );
    expect(cut.status).toBe(400);
    expect(((await cut.json()) as ErrorBody).error.message).toMatch(/malformed/);
  });

  it("refuses a body that is not multipart, or has no file", async () => {
    const json = await api<ErrorBody>(server, owner, "POST", "/api/v1/files", { text: "hi" });
    expect(json.status).toBe(415);
    const form = new FormData();
    form.append("note", "no file here");
    const empty = await server.fetch("/api/v1/files", { method: "POST", token: owner, body: form });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as ErrorBody).error.message).toMatch(
      /no file in the field 'file'/,
    );
  });
});

describe("each token's own files", () => {
  it("lists, reads and deletes the caller's files; another token's answer 404", async () => {
    const mine = await stored("mine.txt", "my notes");
    const theirs = await stored("theirs.txt", "their notes", other);

    const listed = await api<{ files: StoredFile[] }>(server, other, "GET", "/api/v1/files");
    expect(listed.body.files.map((f) => f.id)).toEqual([theirs.id]);
    expect(listed.body.files[0]).not.toHaveProperty("text");

    expect((await api(server, other, "GET", `/api/v1/files/${mine.id}`)).status).toBe(404);
    expect((await api(server, other, "DELETE", `/api/v1/files/${mine.id}`)).status).toBe(404);
    const read = await api<StoredFile>(server, owner, "GET", `/api/v1/files/${mine.id}`);
    expect(read.body).toMatchObject({ id: mine.id, text: "my notes" });

    expect((await api(server, owner, "DELETE", `/api/v1/files/${mine.id}`)).status).toBe(204);
    expect((await api(server, owner, "GET", `/api/v1/files/${mine.id}`)).status).toBe(404);
  });

  it("forgets files after FILE_RETENTION_HOURS, and the next upload deletes them", async () => {
    const retained = await stored("old.txt", "old notes", other);
    server.clock.advance(24 * 3_600_000);
    expect((await api(server, other, "GET", `/api/v1/files/${retained.id}`)).status).toBe(404);
    await stored("new.txt", "new notes");
    const row = await server.store.db
      .selectFrom("files")
      .select("id")
      .where("id", "=", retained.id)
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it("shows an admin the totals, and only an admin", async () => {
    const admin = (await server.token({ name: "admin", scopes: ["admin"] })).token;
    expect((await api(server, owner, "GET", "/api/v1/admin/files")).status).toBe(403);
    const totals = await api<Record<string, number>>(server, admin, "GET", "/api/v1/admin/files");
    expect(totals.status).toBe(200);
    expect(totals.body).toMatchObject({ files: 1, tokens: 1, retentionHours: 24 });
    expect(totals.body.bytes).toBe("new notes".length);
  });
});

describe("reading off the event loop", () => {
  it("stops a reading that outlasts FILE_EXTRACT_TIMEOUT_MS and answers 413", async () => {
    const hurried = await startTestServer({ env: { FILE_EXTRACT_TIMEOUT_MS: "1" } });
    try {
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array(await xlsxFixture())]), "sales.xlsx");
      const { token } = await hurried.token();
      const reply = await hurried.fetch("/api/v1/files", { method: "POST", token, body: form });
      expect(reply.status).toBe(413);
      expect(((await reply.json()) as ErrorBody).error.message).toMatch(
        /could not be read within 1 ms and 256 MB of memory/,
      );
      // The server goes on reading files when given the time.
      const health = await hurried.fetch("/health");
      expect(health.status).toBe(200);
    } finally {
      await hurried.close();
    }
  });
});
