import { readFileSync } from "node:fs";
import { manifestBaseUrl, manifestFile, rewriteManifest } from "../addin/manifest.ts";
import { unifiedManifest } from "../addin/unified-manifest.ts";
import { defineRoute, type Route } from "../http/route.ts";

/**
 * `GET /manifest.xml` and `GET /manifest.json`: the add-in manifest for this deployment, XML and
 * unified (JSON), with PUBLIC_URL in every URL.
 */
export function manifestRoutes(publicUrl: string, file = manifestFile): Route[] {
  let manifest: string | undefined;
  return [
    defineRoute({
      method: "get",
      path: "/manifest.xml",
      access: "public",
      tag: "Add-in",
      summary: "The Excel add-in manifest for this deployment",
      description:
        "The add-in's XML manifest with this backend's public URL (PUBLIC_URL) in every URL, as a " +
        "download: sideload it in Excel, or upload it in the Microsoft 365 admin center. Office " +
        "loads add-ins only over HTTPS, so PUBLIC_URL must be an https:// URL for it to work.",
      handle: (_input, _req, res) => {
        manifest ??= rewriteManifest(
          readFileSync(file, "utf8"),
          manifestBaseUrl(publicUrl, { allowHttp: true }),
        );
        res
          .type("application/xml")
          .set("content-disposition", 'attachment; filename="officellm-manifest.xml"')
          .set("cache-control", "no-cache")
          .send(manifest);
      },
    }),
    defineRoute({
      method: "get",
      path: "/manifest.json",
      access: "public",
      tag: "Add-in",
      summary: "The unified manifest for Microsoft 365 for this deployment",
      description:
        "The add-in's unified (JSON) manifest, built from the same facts as /manifest.xml, with " +
        "this backend's public URL (PUBLIC_URL) in every URL, as a download.",
      handle: (_input, _req, res) => {
        res
          .set("content-disposition", 'attachment; filename="manifest.json"')
          .set("cache-control", "no-cache")
          .json(unifiedManifest(manifestBaseUrl(publicUrl, { allowHttp: true })));
      },
    }),
  ];
}
