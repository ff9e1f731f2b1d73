import { defineRoute, type Route } from "../http/route.ts";

/**
 * `/` for a person who typed the backend's address: where the task pane, the API reference and
 * the admin console are, and the help the task pane links to (Google Calendar not set up).
 * Static text, no script and no styles, so the default content security policy holds.
 */
const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>OfficeLLM</title>
    <link rel="icon" type="image/png" href="/addin/assets/icon-32.png" />
  </head>
  <body>
    <main>
      <h1>OfficeLLM</h1>
      <p>This is an OfficeLLM backend: it answers Excel's <code>=LLM.*</code> functions and the
        OfficeLLM task pane for the people of this organisation.</p>
      <ul>
        <li><a href="/addin/">The task pane</a>: open it here in a browser, or in Excel once your
          administrator has deployed the add-in (<a href="/manifest.xml">manifest</a>).</li>
        <li><a href="/docs">The API reference</a>, for scripts, flows and other programs.</li>
        <li><a href="/admin/">The admin console</a>, for the people who run this backend.</li>
        <li><a href="/health">Health</a>.</li>
      </ul>
      <h2 id="google-calendar">Google Calendar is not set up</h2>
      <p>The task pane's Calendar tab creates events in Google Calendar once this backend's
        administrator has registered it with Google and set <code>GOOGLE_CLIENT_ID</code>,
        <code>GOOGLE_CLIENT_SECRET</code> and <code>ENCRYPTION_KEY</code> (the project's
        <em>Google Calendar</em> guide says how). Until then the tab shows why it is unavailable.</p>
    </main>
  </body>
</html>
`;

export function homeRoutes(): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/",
      access: "public",
      tag: "Service",
      summary:
        "A small page for people: links to the task pane, the API reference and the admin console",
      handle: (_input, _req, res) => {
        res.type("html").send(page);
      },
    }),
  ];
}
