/**
 * An in-memory stand-in for the Excel host, injected into the page before the add-in loads
 * (`page.addInitScript(installFakeExcel, seed)`). It defines `Office` (onReady answering
 * host Excel, requirement sets, theme) and `Excel.run` over a grid, with Office.js's
 * queue-then-sync semantics: loads and writes are queued and run in order at `context.sync()`,
 * and reading a property that was not loaded and synced throws, as in Excel.
 *
 * It supports what addin/src/office uses: getSelectedRange, getActiveCell (ExcelApi 1.7),
 * worksheets.getItem / getActiveWorksheet, getRange, getUsedRange, Range.getCell,
 * getUsedRangeOrNullObject, getSpillingToRangeOrNullObject (ExcelApi 1.12), and the address,
 * values, formulas, valueTypes, rowCount, columnCount and isNullObject properties; for Migrate,
 * worksheets.load("items/name"), Worksheet.getCell and getUsedRangeOrNullObject, and
 * workbook.settings (add, getItem, getItemOrNullObject, delete, load("items/key")), with
 * optional limits on the cells one request may read and the settings text it may send or
 * receive, refused as Excel refuses a payload that is too large, and a settings write refused on
 * demand.
 *
 * The page gets `window.__fakeExcel` for tests: read cells, move the selection.
 *
 * This function is serialised into the page: it must not refer to anything outside itself.
 */

export type FakeCellValue = string | number | boolean;

export interface FakeFormulaCell {
  formula: string;
  value: FakeCellValue;
  /** Values an anchor spills into (its own value at [0][0]). */
  spill?: FakeCellValue[][];
}

export interface FakeExcelSeed {
  /** The highest ExcelApi version the fake host claims (default 1.12). */
  excelApi?: string;
  dark?: boolean;
  /** Cells by address (`Sheet1!B2` or `B2` on Sheet1). */
  cells?: Record<string, FakeCellValue | FakeFormulaCell>;
  selection?: string;
  active?: string;
  /** The worksheets in order (default: Sheet1, then the sheets the cells name). */
  sheets?: string[];
  /** The most cells one request may load; more fails as ResponsePayloadSizeLimitExceeded. */
  maxCellsPerRequest?: number;
  /**
   * Keep a written formula in Excel's own form rather than as sent: outside quoted text and
   * sheet names, function names and references in capitals (`=llm.prompt(a2)` is kept as
   * `=LLM.PROMPT(A2)`). Seeded cells are kept as given.
   */
  capitalizeFormulas?: boolean;
  /**
   * The most characters of settings one request may send or receive; more fails as
   * RequestPayloadSizeLimitExceeded (sending, nothing applied) or ResponsePayloadSizeLimitExceeded.
   */
  maxSettingCharsPerRequest?: number;
}

/** What tests reach through `window.__fakeExcel`. */
export interface FakeExcelHandle {
  get(address: string): FakeCellValue;
  formula(address: string): string;
  values(address: string): FakeCellValue[][];
  select(address: string, active?: string): void;
  writes: number;
  /** The workbook's settings (Workbook.settings), by key. */
  settings: Record<string, unknown>;
  /** Requests refused for loading too many cells. */
  refusedLoads: number;
  /**
   * Refuse the request carrying the Nth settings write from now (1: the next), nothing in it
   * applied, as Excel refuses a request; null (the default): none refused.
   */
  refuseSettingWrite: number | null;
}

export function installFakeExcel(seed: FakeExcelSeed): void {
  const SHEET = "Sheet1";
  const maxApi = seed.excelApi ?? "1.12";
  type Cell = { value: FakeCellValue; formula: string; spill?: FakeCellValue[][] };
  const grid = new Map<string, Cell>(); // "Sheet1|r|c"
  const sheetNames = [...(seed.sheets ?? [SHEET])];
  const state = { selection: seed.selection ?? `${SHEET}!A1`, active: seed.active ?? "" };

  const colIndex = (letters: string) => {
    let n = 0;
    for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
    return n - 1;
  };
  const colLetter = (index: number) => {
    let s = "";
    for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
      s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
    return s;
  };
  const quote = (sheet: string) =>
    /^[A-Za-z_][A-Za-z0-9_.]*$/.test(sheet) ? sheet : `'${sheet.replace(/'/g, "''")}'`;
  type Geo = { sheet: string; r1: number; c1: number; r2: number; c2: number };
  const parse = (address: string, defaultSheet = SHEET): Geo => {
    let sheet = defaultSheet;
    let cells = address;
    const bang = address.lastIndexOf("!");
    if (bang >= 0) {
      sheet = address
        .slice(0, bang)
        .replace(/^'(.*)'$/, "$1")
        .replace(/''/g, "'");
      cells = address.slice(bang + 1);
    }
    const [a, b = a] = cells.replace(/\$/g, "").split(":");
    const one = (text: string, end: boolean) => {
      const m = /^([A-Za-z]*)(\d*)$/.exec(text);
      if (!m) throw new Error(`fake Excel: bad address ${address}`);
      return {
        c: m[1] ? colIndex(m[1]) : end ? 16_383 : 0,
        r: m[2] ? Number(m[2]) - 1 : end ? 1_048_575 : 0,
      };
    };
    const p = one(a!, false);
    const q = one(b!, true);
    return {
      sheet,
      r1: Math.min(p.r, q.r),
      c1: Math.min(p.c, q.c),
      r2: Math.max(p.r, q.r),
      c2: Math.max(p.c, q.c),
    };
  };
  const format = (g: Geo) => {
    const start = `${colLetter(g.c1)}${g.r1 + 1}`;
    const end = `${colLetter(g.c2)}${g.r2 + 1}`;
    return `${quote(g.sheet)}!${start === end ? start : `${start}:${end}`}`;
  };
  const key = (sheet: string, r: number, c: number) => `${sheet}|${r}|${c}`;

  /** A cell as Excel shows it: stored, or spilled into by an anchor. */
  const read = (sheet: string, r: number, c: number): { value: FakeCellValue; formula: string } => {
    const own = grid.get(key(sheet, r, c));
    if (own) return own;
    for (const [k, cell] of grid) {
      if (!cell.spill) continue;
      const [s, ar, ac] = k.split("|");
      const dr = r - Number(ar);
      const dc = c - Number(ac);
      if (
        s === sheet &&
        dr >= 0 &&
        dc >= 0 &&
        dr < cell.spill.length &&
        dc < cell.spill[0]!.length
      ) {
        const v = cell.spill[dr]![dc]!;
        return { value: v, formula: String(v) };
      }
    }
    return { value: "", formula: "" };
  };
  /** Puts a value or formula cell into the grid as it is (the seed's cells). */
  const store = (sheet: string, r: number, c: number, input: FakeCellValue | FakeFormulaCell) => {
    if (typeof input === "object") grid.set(key(sheet, r, c), { ...input });
    else if (input === "") grid.delete(key(sheet, r, c));
    else grid.set(key(sheet, r, c), { value: input, formula: String(input) });
  };
  /** A formula with what lies outside quotes ("text", 'sheet') and brackets in capitals. */
  const capitalized = (formula: string) => {
    let quote = "";
    let depth = 0;
    return formula.replace(/./gs, (ch) => {
      if (quote) {
        if (ch === quote) quote = "";
        return ch;
      }
      if (ch === '"' || ch === "'") quote = depth === 0 ? ch : "";
      if (ch === "[") depth++;
      if (ch === "]") depth--;
      return depth === 0 ? ch.toUpperCase() : ch;
    });
  };
  /**
   * Enters a value the add-in writes, as Excel does: a leading apostrophe keeps text as text;
   * without one, text is converted as if it were typed. This fake converts formulas (showing
   * the error Excel shows for text that is no formula; it evaluates none), numbers, percentages
   * and booleans, and refuses dates and times, whose serial numbers it does not compute.
   */
  const enter = (sheet: string, r: number, c: number, input: FakeCellValue) => {
    if (typeof input !== "string" || input === "") return store(sheet, r, c, input);
    if (input.startsWith("'")) return store(sheet, r, c, input.slice(1));
    const number = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(input);
    if (/^[=+-]/.test(input) && !number) {
      const formula = input.startsWith("=") ? input : `=${input}`;
      return store(sheet, r, c, {
        value: "#NAME?",
        formula: seed.capitalizeFormulas ? capitalized(formula) : formula,
      });
    }
    if (/^\d{1,4}[/-]\d{1,2}([/-]\d{1,4})?$|^\d{1,2}:\d{2}/.test(input))
      throw new Error(`fake Excel: "${input}" would be entered as a date or time`);
    // Excel keeps 15 significant digits of a number.
    if (number) return store(sheet, r, c, Number(Number(input).toPrecision(15)));
    if (/^[+-]?\d+(\.\d+)?%$/.test(input))
      return store(sheet, r, c, Number(input.slice(0, -1)) / 100);
    if (/^(true|false)$/i.test(input)) return store(sheet, r, c, input.toLowerCase() === "true");
    store(sheet, r, c, input);
  };
  const valueType = (v: FakeCellValue) =>
    v === ""
      ? "Empty"
      : typeof v === "boolean"
        ? "Boolean"
        : typeof v === "number"
          ? "Double"
          : /^#(VALUE!|N\/A|BUSY!|NAME\?|REF!|DIV\/0!|CALC!|SPILL!|NUM!|NULL!)$/.test(v)
            ? "Error"
            : "String";
  const apiAtMost = (version: string, max: string) => {
    const [a = 0, b = 0] = version.split(".").map(Number);
    const [x = 0, y = 0] = max.split(".").map(Number);
    return a < x || (a === x && b <= y);
  };
  const requireApi = (version: string, what: string) => {
    if (!apiAtMost(version, maxApi))
      throw new Error(`fake Excel: ${what} needs ExcelApi ${version}`);
  };

  /** The smallest block holding every stored cell inside `g`, or null. */
  const usedWithin = (g: Geo): Geo | null => {
    let found: Geo | null = null;
    for (const k of grid.keys()) {
      const [s, r, c] = k.split("|");
      const rr = Number(r);
      const cc = Number(c);
      if (s !== g.sheet || rr < g.r1 || rr > g.r2 || cc < g.c1 || cc > g.c2) continue;
      found = found
        ? {
            sheet: g.sheet,
            r1: Math.min(found.r1, rr),
            c1: Math.min(found.c1, cc),
            r2: Math.max(found.r2, rr),
            c2: Math.max(found.c2, cc),
          }
        : { sheet: g.sheet, r1: rr, c1: cc, r2: rr, c2: cc };
    }
    return found;
  };

  for (const [address, input] of Object.entries(seed.cells ?? {})) {
    const g = parse(address);
    if (!sheetNames.includes(g.sheet)) sheetNames.push(g.sheet);
    store(g.sheet, g.r1, g.c1, input);
  }

  const handle: FakeExcelHandle = {
    get: (address) => {
      const g = parse(address);
      return read(g.sheet, g.r1, g.c1).value;
    },
    formula: (address) => {
      const g = parse(address);
      return read(g.sheet, g.r1, g.c1).formula;
    },
    values: (address) => {
      const g = parse(address);
      const rows: FakeCellValue[][] = [];
      for (let r = g.r1; r <= g.r2; r++) {
        const row: FakeCellValue[] = [];
        for (let c = g.c1; c <= g.c2; c++) row.push(read(g.sheet, r, c).value);
        rows.push(row);
      }
      return rows;
    },
    select: (address, active) => {
      state.selection = address;
      state.active = active ?? "";
    },
    writes: 0,
    settings: {},
    refusedLoads: 0,
    refuseSettingWrite: null,
  };

  const settingLimit = seed.maxSettingCharsPerRequest ?? Infinity;
  const tooLarge = (code: string) =>
    Object.assign(new Error("The request payload size has exceeded the limit."), { code });

  class Context {
    queue: (() => void)[] = [];
    workbook: Workbook;
    /** Characters of settings this request sends, and those it has received so far. */
    settingCharsSent = 0;
    /** Settings this request writes. */
    settingWrites = 0;
    settingCharsReceived = 0;
    constructor() {
      this.workbook = new Workbook(this);
    }
    async sync() {
      const ops = this.queue;
      const sent = this.settingCharsSent;
      const writes = this.settingWrites;
      this.queue = [];
      this.settingCharsSent = 0;
      this.settingWrites = 0;
      this.settingCharsReceived = 0;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (sent > settingLimit) throw tooLarge("RequestPayloadSizeLimitExceeded");
      if (handle.refuseSettingWrite !== null && writes > 0) {
        handle.refuseSettingWrite -= writes;
        if (handle.refuseSettingWrite <= 0) {
          handle.refuseSettingWrite = null;
          throw Object.assign(new Error("The settings could not be saved."), {
            code: "GeneralException",
          });
        }
      }
      for (const op of ops) op();
    }
    receiveSetting(value: unknown) {
      this.settingCharsReceived += JSON.stringify(value ?? null).length;
      if (this.settingCharsReceived > settingLimit)
        throw tooLarge("ResponsePayloadSizeLimitExceeded");
    }
  }

  class Range {
    ctx: Context;
    geo: Geo | null;
    loaded: Record<string, unknown> = {};
    constructor(ctx: Context, geo: Geo | null) {
      this.ctx = ctx;
      this.geo = geo;
    }
    load(props?: string | string[]) {
      const names = (Array.isArray(props) ? props : (props ?? "").split(","))
        .map((p) => p.trim())
        .filter(Boolean);
      this.ctx.queue.push(() => {
        const g = this.geo;
        const size = g ? (g.r2 - g.r1 + 1) * (g.c2 - g.c1 + 1) : 0;
        const heavy = names.some((n) => ["values", "formulas", "valueTypes"].includes(n));
        if (heavy && seed.maxCellsPerRequest !== undefined && size > seed.maxCellsPerRequest) {
          handle.refusedLoads++;
          throw Object.assign(new Error("The response payload size has exceeded the limit."), {
            code: "ResponsePayloadSizeLimitExceeded",
          });
        }
        for (const name of names) {
          // A null object's properties stay unloaded (reading them throws), as in Excel.
          if (name === "isNullObject" || !g) continue;
          const cells = () => {
            const rows: { value: FakeCellValue; formula: string }[][] = [];
            for (let r = g.r1; r <= g.r2; r++) {
              const row = [];
              for (let c = g.c1; c <= g.c2; c++) row.push(read(g.sheet, r, c));
              rows.push(row);
            }
            return rows;
          };
          if (name === "address") this.loaded.address = format(g);
          else if (name === "rowCount") this.loaded.rowCount = g.r2 - g.r1 + 1;
          else if (name === "columnCount") this.loaded.columnCount = g.c2 - g.c1 + 1;
          else if (name === "rowIndex") this.loaded.rowIndex = g.r1;
          else if (name === "columnIndex") this.loaded.columnIndex = g.c1;
          else if (name === "values")
            this.loaded.values = cells().map((row) => row.map((x) => x.value));
          else if (name === "formulas")
            this.loaded.formulas = cells().map((row) => row.map((x) => x.formula));
          else if (name === "valueTypes")
            this.loaded.valueTypes = cells().map((row) => row.map((x) => valueType(x.value)));
          else throw new Error(`fake Excel: cannot load ${name}`);
        }
      });
      return this;
    }
    prop(name: string) {
      if (!(name in this.loaded))
        throw new Error(`PropertyNotLoaded: ${name} was not loaded and synced (fake Excel)`);
      return this.loaded[name];
    }
    get isNullObject() {
      return this.geo === null;
    }
    get address() {
      return this.prop("address");
    }
    get rowCount() {
      return this.prop("rowCount");
    }
    get columnCount() {
      return this.prop("columnCount");
    }
    get rowIndex() {
      return this.prop("rowIndex");
    }
    get columnIndex() {
      return this.prop("columnIndex");
    }
    get formulas(): FakeCellValue[][] {
      return this.prop("formulas") as FakeCellValue[][];
    }
    get valueTypes() {
      return this.prop("valueTypes");
    }
    get values(): FakeCellValue[][] {
      return this.prop("values") as FakeCellValue[][];
    }
    set values(rows: FakeCellValue[][]) {
      this.assign(rows);
    }
    set formulas(rows: FakeCellValue[][]) {
      this.assign(rows);
    }
    assign(rows: FakeCellValue[][]) {
      const g = this.geo;
      if (!g) throw new Error("fake Excel: write to a null object");
      if (rows.length !== g.r2 - g.r1 + 1 || rows.some((row) => row.length !== g.c2 - g.c1 + 1))
        throw new Error(`fake Excel: InvalidArgument: ${rows.length} rows for ${format(g)}`);
      const copy = rows.map((row) => [...row]);
      this.ctx.queue.push(() => {
        handle.writes++;
        copy.forEach((row, dr) => row.forEach((v, dc) => enter(g.sheet, g.r1 + dr, g.c1 + dc, v)));
      });
    }
    getCell(row: number, column: number) {
      const g = this.geo!;
      return new Range(this.ctx, {
        sheet: g.sheet,
        r1: g.r1 + row,
        c1: g.c1 + column,
        r2: g.r1 + row,
        c2: g.c1 + column,
      });
    }
    getUsedRangeOrNullObject() {
      requireApi("1.4", "getUsedRangeOrNullObject");
      return new Range(this.ctx, usedWithin(this.geo!));
    }
    getSpillingToRangeOrNullObject() {
      requireApi("1.12", "getSpillingToRangeOrNullObject");
      const g = this.geo!;
      const anchor = grid.get(key(g.sheet, g.r1, g.c1));
      if (!anchor?.spill) return new Range(this.ctx, null);
      return new Range(this.ctx, {
        sheet: g.sheet,
        r1: g.r1,
        c1: g.c1,
        r2: g.r1 + anchor.spill.length - 1,
        c2: g.c1 + anchor.spill[0]!.length - 1,
      });
    }
  }

  class Worksheet {
    ctx: Context;
    name: string;
    constructor(ctx: Context, name: string) {
      this.ctx = ctx;
      this.name = name;
    }
    getRange(address: string) {
      return new Range(this.ctx, parse(address, this.name));
    }
    getUsedRange() {
      const all = { sheet: this.name, r1: 0, c1: 0, r2: 1_048_575, c2: 16_383 };
      return new Range(this.ctx, usedWithin(all) ?? parse("A1", this.name));
    }
    getUsedRangeOrNullObject() {
      requireApi("1.4", "getUsedRangeOrNullObject");
      const all = { sheet: this.name, r1: 0, c1: 0, r2: 1_048_575, c2: 16_383 };
      return new Range(this.ctx, usedWithin(all));
    }
    getCell(row: number, column: number) {
      return new Range(this.ctx, { sheet: this.name, r1: row, c1: column, r2: row, c2: column });
    }
  }

  /** A setting as Office.js gives it: loaded at sync, null object when the key is not there. */
  class Setting {
    ctx: Context;
    key: string;
    orNull: boolean;
    loaded: { value?: unknown; isNullObject?: boolean } = {};
    constructor(ctx: Context, key: string, orNull: boolean) {
      this.ctx = ctx;
      this.key = key;
      this.orNull = orNull;
    }
    load() {
      this.ctx.queue.push(() => {
        const present = this.key in handle.settings;
        if (!present && !this.orNull) throw new Error(`ItemNotFound: setting ${this.key}`);
        this.ctx.receiveSetting(handle.settings[this.key]);
        this.loaded = { isNullObject: !present, value: handle.settings[this.key] };
      });
      return this;
    }
    get isNullObject() {
      if (this.loaded.isNullObject === undefined)
        throw new Error("PropertyNotLoaded: isNullObject (fake Excel)");
      return this.loaded.isNullObject;
    }
    get value() {
      if (!("value" in this.loaded)) throw new Error("PropertyNotLoaded: value (fake Excel)");
      return this.loaded.value;
    }
    delete() {
      this.ctx.queue.push(() => void delete handle.settings[this.key]);
    }
  }

  class Workbook {
    ctx: Context;
    worksheets: {
      getItem(name: string): Worksheet;
      getActiveWorksheet(): Worksheet;
      load(props: string): unknown;
      readonly items: Worksheet[];
    };
    settings: {
      add(key: string, value: unknown): void;
      getItem(key: string): Setting;
      getItemOrNullObject(key: string): Setting;
      load(props: string): unknown;
      readonly items: Setting[];
    };
    constructor(ctx: Context) {
      this.ctx = ctx;
      let items: Worksheet[] | undefined;
      const worksheets = {
        getItem: (name: string) => new Worksheet(ctx, name),
        getActiveWorksheet: () => new Worksheet(ctx, parse(state.selection).sheet),
        load: () => {
          ctx.queue.push(() => (items = sheetNames.map((name) => new Worksheet(ctx, name))));
          return worksheets;
        },
        get items(): Worksheet[] {
          if (!items) throw new Error("PropertyNotLoaded: items (fake Excel)");
          return items;
        },
      };
      this.worksheets = worksheets;
      let settingItems: Setting[] | undefined;
      const settings = {
        add: (key: string, value: unknown) => {
          requireApi("1.4", "settings");
          const copy = JSON.parse(JSON.stringify(value)) as unknown;
          ctx.settingCharsSent += JSON.stringify(copy).length;
          ctx.settingWrites++;
          ctx.queue.push(() => (handle.settings[key] = copy));
        },
        getItem: (key: string) => new Setting(ctx, key, false),
        getItemOrNullObject: (key: string) => new Setting(ctx, key, true),
        // The keys only ("items/key"): the values are loaded one setting at a time.
        load: () => {
          requireApi("1.4", "settings");
          ctx.queue.push(
            () =>
              (settingItems = Object.keys(handle.settings).map(
                (key) => new Setting(ctx, key, false),
              )),
          );
          return settings;
        },
        get items(): Setting[] {
          if (!settingItems) throw new Error("PropertyNotLoaded: items (fake Excel)");
          return settingItems;
        },
      };
      this.settings = settings;
    }
    getSelectedRange() {
      return new Range(this.ctx, parse(state.selection));
    }
    getActiveCell() {
      requireApi("1.7", "getActiveCell");
      const g = parse(state.active || state.selection);
      return new Range(this.ctx, { sheet: g.sheet, r1: g.r1, c1: g.c1, r2: g.r1, c2: g.c1 });
    }
  }

  const dark = seed.dark === true;
  const w = window as unknown as Record<string, unknown>;
  w.__fakeExcel = handle;
  w.Office = {
    HostType: { Excel: "Excel" },
    PlatformType: { OfficeOnline: "OfficeOnline" },
    onReady(callback?: (info: unknown) => void) {
      const info = { host: "Excel", platform: "OfficeOnline" };
      callback?.(info);
      return Promise.resolve(info);
    },
    context: {
      requirements: {
        isSetSupported: (name: string, version = "1.1") =>
          name === "ExcelApi" && apiAtMost(version, maxApi),
      },
      officeTheme: {
        isDarkTheme: dark,
        bodyBackgroundColor: dark ? "#262626" : "#ffffff",
        bodyForegroundColor: dark ? "#ffffff" : "#000000",
        controlBackgroundColor: dark ? "#333333" : "#ffffff",
        controlForegroundColor: dark ? "#ffffff" : "#000000",
      },
    },
  };
  w.Excel = {
    async run<T>(batch: (context: Context) => Promise<T>): Promise<T> {
      const context = new Context();
      const result = await batch(context);
      await context.sync();
      return result;
    },
  };
}
