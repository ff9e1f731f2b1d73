import { addinFacts as facts } from "./addin-facts.ts";
import { developmentBaseUrl, escapeXml } from "./manifest.ts";

/**
 * manifest.xml, the XML add-in manifest, written from the facts both manifests share
 * (addin-facts.ts) with every URL on the development base URL. `npm run manifest --
 * --development` writes it to the repository's root; a test keeps the committed file equal to
 * it, and deployments get it with their own base URL (manifest.ts).
 */

const leadingComment = `<!--
  OfficeLLM add-in manifest (XML, add-in only) for development: every URL points at
  https://localhost:3000, where \`npm run dev\` serves the backend and the add-in over HTTPS.
  For a deployment, download /manifest.xml from the running backend (it carries PUBLIC_URL in
  every URL), or write one with \`npm run manifest\` and the deployment's https URL. See
  docs/sideloading.md.

  One shared runtime (taskpane.html) hosts the task pane, the ribbon button and the =LLM.*
  custom functions, so they share state (the connection, the caches) and stay alive while the
  task pane is closed.
-->`;

export function developmentManifest(): string {
  const url = (path: string) => escapeXml(`${developmentBaseUrl}${path}`);
  const text = escapeXml;
  const icons = (indent: string) =>
    facts.ribbonIconSizes
      .map((size) => `${indent}<bt:Image size="${size}" resid="Icon.${size}x${size}"/>`)
      .join("\n");
  const lines = [
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`,
    leadingComment,
    `<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0"
  xsi:type="TaskPaneApp">
  <Id>${facts.id}</Id>
  <Version>${facts.version}.0</Version>
  <ProviderName>${text(facts.name)}</ProviderName>
  <DefaultLocale>en-US</DefaultLocale>
  <DisplayName DefaultValue="${text(facts.name)}"/>
  <Description DefaultValue="${text(facts.description)}"/>
  <IconUrl DefaultValue="${url(facts.paths.icon(32))}"/>
  <HighResolutionIconUrl DefaultValue="${url(facts.paths.icon(64))}"/>
  <SupportUrl DefaultValue="${url(facts.paths.support)}"/>
  <!-- Google's consent page may open in an Office dialog (the Calendar tab's Connect). -->
  <AppDomains>
${facts.dialogDomains.map((domain) => `    <AppDomain>https://${domain}</AppDomain>`).join("\n")}
  </AppDomains>
  <Hosts>
    <Host Name="Workbook"/>
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.1">
${facts.requirementSets.map((name) => `      <Set Name="${name}" MinVersion="1.1"/>`).join("\n")}
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue="${url(facts.paths.sharedRuntimePage)}"/>
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="VersionOverridesV1_0">
    <Hosts>
      <Host xsi:type="Workbook">
        <Runtimes>
          <Runtime resid="Taskpane.Url" lifetime="long"/>
        </Runtimes>
        <AllFormFactors>
          <ExtensionPoint xsi:type="CustomFunctions">
            <Script>
              <SourceLocation resid="Taskpane.Url"/>
            </Script>
            <Page>
              <SourceLocation resid="Taskpane.Url"/>
            </Page>
            <Metadata>
              <SourceLocation resid="Functions.Metadata.Url"/>
            </Metadata>
            <Namespace resid="Functions.Namespace"/>
          </ExtensionPoint>
        </AllFormFactors>
        <DesktopFormFactor>
          <GetStarted>
            <Title resid="GetStarted.Title"/>
            <Description resid="GetStarted.Description"/>
            <LearnMoreUrl resid="GetStarted.LearnMoreUrl"/>
          </GetStarted>
          <FunctionFile resid="Taskpane.Url"/>
          <ExtensionPoint xsi:type="PrimaryCommandSurface">
            <OfficeTab id="TabHome">
              <Group id="${facts.ribbon.groupId}">
                <Label resid="Group.Label"/>
                <Icon>
${icons("                  ")}
                </Icon>
                <Control xsi:type="Button" id="${facts.ribbon.buttonId}">
                  <Label resid="TaskpaneButton.Label"/>
                  <Supertip>
                    <Title resid="TaskpaneButton.Label"/>
                    <Description resid="TaskpaneButton.Tooltip"/>
                  </Supertip>
                  <Icon>
${icons("                    ")}
                  </Icon>
                  <Action xsi:type="ShowTaskpane">
                    <TaskpaneId>OfficeLLM.Taskpane</TaskpaneId>
                    <SourceLocation resid="Taskpane.Url"/>
                  </Action>
                </Control>
              </Group>
            </OfficeTab>
          </ExtensionPoint>
        </DesktopFormFactor>
      </Host>
    </Hosts>
    <Resources>
      <bt:Images>
${facts.ribbonIconSizes
  .map(
    (size) =>
      `        <bt:Image id="Icon.${size}x${size}" DefaultValue="${url(facts.paths.icon(size))}"/>`,
  )
  .join("\n")}
      </bt:Images>
      <bt:Urls>
        <bt:Url id="Taskpane.Url" DefaultValue="${url(facts.paths.sharedRuntimePage)}"/>
        <bt:Url id="Functions.Metadata.Url" DefaultValue="${url(facts.paths.functionsMetadata)}"/>
        <bt:Url id="GetStarted.LearnMoreUrl" DefaultValue="${url(facts.paths.support)}"/>
      </bt:Urls>
      <bt:ShortStrings>
        <bt:String id="Functions.Namespace" DefaultValue="${text(facts.functionsNamespace)}"/>
        <bt:String id="GetStarted.Title" DefaultValue="${text(facts.getStarted.title)}"/>
        <bt:String id="Group.Label" DefaultValue="${text(facts.ribbon.label)}"/>
        <bt:String id="TaskpaneButton.Label" DefaultValue="${text(facts.ribbon.label)}"/>
      </bt:ShortStrings>
      <bt:LongStrings>
        <bt:String id="GetStarted.Description" DefaultValue="${text(facts.getStarted.description)}"/>
        <bt:String id="TaskpaneButton.Tooltip" DefaultValue="${text(facts.ribbon.tooltip)}"/>
      </bt:LongStrings>
    </Resources>
  </VersionOverrides>
</OfficeApp>`,
  ];
  return `${lines.join("\n")}\n`;
}
