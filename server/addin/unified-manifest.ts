import { addinFacts as facts } from "./addin-facts.ts";

/**
 * The unified manifest for Microsoft 365 (manifest.json) for a deployment, built from the same
 * facts as manifest.xml with `baseUrl` (checked by `manifestBaseUrl`) in every URL. Field names
 * follow Microsoft's published schema for this manifest version.
 */

export const unifiedManifestVersion = "1.29";
export const unifiedManifestSchema = `https://developer.microsoft.com/json-schemas/teams/v${unifiedManifestVersion}/MicrosoftTeams.schema.json`;

/** The runtime's one action: the ribbon button opens the task pane on the shared page. */
const showTaskpaneAction = "ShowTaskpane";

export function unifiedManifest(baseUrl: string) {
  const url = (path: string) => `${baseUrl}${path}`;
  const icons = facts.ribbonIconSizes.map((size) => ({ size, url: url(facts.paths.icon(size)) }));
  const capabilities = facts.requirementSets.map((name) => ({ name, minVersion: "1.1" }));
  return {
    $schema: unifiedManifestSchema,
    manifestVersion: unifiedManifestVersion,
    id: facts.id,
    version: facts.version,
    name: { short: facts.name, full: facts.name },
    description: { short: facts.shortDescription, full: facts.description },
    developer: {
      name: facts.name,
      websiteUrl: url(facts.paths.support),
      privacyUrl: url(facts.paths.support),
      termsOfUseUrl: url(facts.paths.support),
    },
    icons: { color: url(facts.paths.icon(192)), outline: url(facts.paths.icon(32)) },
    accentColor: facts.accentColor,
    localizationInfo: { defaultLanguageTag: "en-us" },
    validDomains: [...facts.dialogDomains],
    // manifest.xml's ReadWriteDocument.
    authorization: {
      permissions: { resourceSpecific: [{ name: "Document.ReadWrite.User", type: "Delegated" }] },
    },
    extensions: [
      {
        requirements: { scopes: ["workbook"], capabilities },
        runtimes: [
          {
            requirements: { capabilities },
            id: "SharedRuntime",
            type: "general",
            code: { page: url(facts.paths.sharedRuntimePage) },
            lifetime: "long",
            actions: [{ id: showTaskpaneAction, type: "openPage", displayName: facts.name }],
            customFunctions: {
              namespace: { id: facts.functionsNamespace, name: facts.functionsNamespace },
              metadataUrl: url(facts.paths.functionsMetadata),
            },
          },
        ],
        ribbons: [
          {
            tabs: [
              {
                builtInTabId: "TabHome",
                groups: [
                  {
                    id: facts.ribbon.groupId,
                    label: facts.ribbon.label,
                    icons,
                    controls: [
                      {
                        id: facts.ribbon.buttonId,
                        type: "button",
                        label: facts.ribbon.label,
                        icons,
                        supertip: { title: facts.ribbon.label, description: facts.ribbon.tooltip },
                        actionId: showTaskpaneAction,
                      },
                    ],
                  },
                ],
              },
            ],
          },
        ],
        getStartedMessages: [
          {
            title: facts.getStarted.title,
            description: facts.getStarted.description,
            learnMoreUrl: url(facts.paths.support),
          },
        ],
      },
    ],
  };
}
