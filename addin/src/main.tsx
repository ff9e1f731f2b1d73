import { createRoot } from "react-dom/client";
import { App } from "./taskpane/App.tsx";

function render(host: string | null) {
  createRoot(document.getElementById("root")!).render(<App host={host} />);
}

// office.js may be missing (plain browser, offline): render outside-Excel mode after a short wait.
if (typeof Office !== "undefined") {
  Office.onReady((info) => render(info.host ? String(info.host) : null));
} else {
  render(null);
}
