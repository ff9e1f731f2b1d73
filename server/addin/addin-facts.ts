/**
 * What both add-in manifests say about OfficeLLM: the XML manifest (manifest.xml, rewritten per
 * deployment by manifest.ts) and the unified JSON manifest (unified-manifest.ts). The JSON one is
 * built from these facts; a test checks that manifest.xml carries the same ones.
 */
export const addinFacts = {
  /** Office keys an installed add-in by this; the same for every deployment. */
  id: "cc33bda4-6502-46f2-a8b0-f3112dd121b1",
  /** Three parts; manifest.xml's <Version> adds a fourth, 0. */
  version: "0.1.0",
  name: "OfficeLLM",
  description:
    "Language models in Excel through your organisation's OfficeLLM backend: =LLM.PROMPT and " +
    "its family, and a task pane to ask, fill ranges, chat and see usage.",
  shortDescription: "Language models in Excel through your organisation's OfficeLLM backend.",
  accentColor: "#4F46E5",
  /** Paths on the deployment's base URL. */
  paths: {
    /** The one shared-runtime page: task pane, ribbon command and custom functions. */
    sharedRuntimePage: "/addin/taskpane.html",
    functionsMetadata: "/addin/functions.json",
    support: "/docs",
    icon: (size: number) => `/addin/assets/icon-${size}.png`,
  },
  /** Ribbon icon sizes; 32 is also the small icon, 192 the unified manifest's colour icon. */
  ribbonIconSizes: [16, 32, 80],
  functionsNamespace: "LLM",
  /** Office requirement sets, each at version 1.1. */
  requirementSets: ["SharedRuntime", "CustomFunctionsRuntime"],
  /** Google's consent page may open in an Office dialog (the Calendar tab's Connect). */
  dialogDomains: ["accounts.google.com"],
  ribbon: {
    groupId: "OfficeLLM.Group",
    buttonId: "OfficeLLM.TaskpaneButton",
    label: "OfficeLLM",
    tooltip:
      "Open the OfficeLLM pane: connect, ask, fill a range, freeze results, chat, templates and usage.",
  },
  getStarted: {
    title: "OfficeLLM is ready",
    description:
      "Open OfficeLLM from the Home tab to connect to your backend, then use =LLM.PROMPT() and " +
      "the other LLM functions in any cell.",
  },
} as const;
