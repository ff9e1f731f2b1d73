/**
 * The small pages the browser shows at the end of Google's consent. No script (the CSP allows
 * none inline); the task pane learns the outcome by polling GET /api/v1/calendar/status.
 */

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function page(title: string, lines: string[], ok: boolean): string {
  const color = ok ? "#107c10" : "#a4262c";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · OfficeLLM</title>
<style>
body { font-family: "Segoe UI", system-ui, sans-serif; margin: 0; display: flex; min-height: 100vh;
  align-items: center; justify-content: center; background: #f5f5f5; color: #242424; }
main { background: #fff; padding: 32px 40px; border-radius: 8px; max-width: 420px;
  box-shadow: 0 2px 8px rgba(0,0,0,.12); }
h1 { font-size: 20px; margin: 0 0 12px; color: ${color}; }
p { line-height: 1.5; margin: 8px 0; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join("\n")}
</main>
</body>
</html>
`;
}

/**
 * Names the OfficeLLM token the calendar was connected to, so that someone who consented through
 * a link sent by someone else sees whose it is.
 */
export function connectedPage(email: string | null, token: { id: string; name: string }): string {
  return page(
    "Connected",
    [
      `${email ? `Google Calendar (${email})` : "Google Calendar"} is connected to the OfficeLLM token “${token.name}” (${token.id}).`,
      "If that is not your token, remove OfficeLLM's access in your Google Account (Security, third-party connections) and tell your OfficeLLM administrator.",
      "You can close this window and return to Excel.",
    ],
    true,
  );
}

export function failedPage(message: string): string {
  return page("Not connected", [message, "You can close this window."], false);
}
