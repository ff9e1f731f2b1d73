import { createRequire } from "node:module";
import { dirname } from "node:path";
import express, { type Router } from "express";
import { defineRoute, type Route } from "../http/route.ts";

/** swagger-ui-dist's files, served by the backend itself so the reference works offline. */
const swaggerUiDirectory = dirname(
  createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"),
);

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>OfficeLLM API reference</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" />
  </head>
  <body>
    <div id="reference"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

const initScript = `window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  validatorUrl: null,
  // A token typed into the page is forgotten with the page, never kept in the browser's storage.
  persistAuthorization: false,
});
`;

/** The API reference page and its assets (public, no CDN). */
export function docsRoutes(documents: { openApi: () => unknown; connector: () => unknown }): {
  routes: Route[];
  assets: Router;
} {
  const assets = express.Router();
  assets.use("/docs/assets", express.static(swaggerUiDirectory, { index: false, maxAge: "1d" }));
  assets.get("/docs/init.js", (_req, res) => {
    res.type("application/javascript").send(initScript);
  });
  const routes = [
    defineRoute({
      method: "get",
      path: "/api/v1/openapi.json",
      access: "public",
      tag: "Service",
      summary: "This API's OpenAPI 3.1 document",
      handle: () => documents.openApi(),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/connector/swagger.json",
      access: "public",
      tag: "Service",
      summary: "The Power Automate custom connector's Swagger 2.0 document, for this deployment",
      description:
        "Import it as a custom connector (with power-automate/apiProperties.json) to call this " +
        "backend from flows: ask a model, answer many prompts in one step, route free text.",
      handle: () => documents.connector(),
    }),
    defineRoute({
      method: "get",
      path: "/docs",
      access: "public",
      tag: "Service",
      summary: "The API reference page",
      handle: (_input, _req, res) => {
        res.type("html").send(page);
      },
    }),
  ];
  return { routes, assets };
}
