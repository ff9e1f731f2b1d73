import { registerCustomFunctions } from "./functions/register.ts";
import { detectHost, isExcelHost, type HostInfo } from "./office/host.ts";
import { officeExcel } from "./office/index.ts";
import { browserStorage } from "./shared/storage.ts";
import type { ExcelState } from "./taskpane/session.tsx";

const storage = browserStorage();

// The =LLM.* functions share this page (the shared runtime) and Excel may load it with the pane
// closed: associate them first, before the task pane's code (React, Fluent UI) has even loaded.
// A failure there must not take the pane down with it.
try {
  registerCustomFunctions({ storage });
} catch (error) {
  console.error("OfficeLLM: the custom functions could not start", error);
}

function fromHost(info: HostInfo): ExcelState {
  return isExcelHost(info) ? { kind: "excel", bridge: officeExcel } : { kind: "outside" };
}

async function startTaskPane(): Promise<void> {
  const [{ createRoot }, { App }] = await Promise.all([
    import("react-dom/client"),
    import("./taskpane/App.tsx"),
  ]);
  const root = createRoot(document.getElementById("root")!);
  const render = (excel: ExcelState) => root.render(<App excel={excel} storage={storage} />);

  // Render at once; office.js answers within moments inside Excel, and never when it did not
  // load (plain browser, offline): after 1.5 s the pane says it is outside Excel, and still
  // switches to Excel mode if a slow host answers later.
  render({ kind: "detecting" });
  const info = await detectHost({ timeoutMs: 1500, onLate: (late) => render(fromHost(late)) });
  render(fromHost(info));
}

void startTaskPane();
