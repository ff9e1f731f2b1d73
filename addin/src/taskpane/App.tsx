import {
  Badge,
  FluentProvider,
  Text,
  makeStyles,
  tokens,
  webDarkTheme,
  webLightTheme,
} from "@fluentui/react-components";
import { useEffect, useState } from "react";
import type { KeyValueStorage } from "../shared/storage.ts";
import { BackendDown, Notice } from "./components.tsx";
import { SessionProvider, useSession, type ExcelState, type TabId } from "./session.tsx";
import { AskTab } from "./tabs/AskTab.tsx";
import { CalendarTab } from "./tabs/calendar/CalendarTab.tsx";
import { ChatTab } from "./tabs/ChatTab.tsx";
import { ConnectTab } from "./tabs/ConnectTab.tsx";
import { FillTab } from "./tabs/FillTab.tsx";
import { FreezeTab } from "./tabs/FreezeTab.tsx";
import { MigrateTab } from "./tabs/MigrateTab.tsx";
import { SettingsTab } from "./tabs/SettingsTab.tsx";
import { TabBar } from "./TabBar.tsx";
import { TemplatesTab } from "./tabs/TemplatesTab.tsx";
import { UsageTab } from "./tabs/UsageTab.tsx";
import { useDarkMode } from "./theme.ts";

const useStyles = makeStyles({
  root: {
    minHeight: "100vh",
    boxSizing: "border-box",
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    backgroundColor: tokens.colorNeutralBackground2,
    color: tokens.colorNeutralForeground1,
  },
  header: {
    display: "flex",
    alignItems: "center",
    gap: tokens.spacingHorizontalS,
    flexWrap: "wrap",
  },
  title: { marginRight: "auto" },
  main: { display: "flex", flexDirection: "column", flexGrow: 1 },
  panel: { paddingTop: tokens.spacingVerticalS, paddingBottom: tokens.spacingVerticalXL },
});

const TABS: { id: TabId; label: string; render: () => React.ReactNode }[] = [
  { id: "connect", label: "Connect", render: () => <ConnectTab /> },
  { id: "ask", label: "Ask", render: () => <AskTab /> },
  { id: "fill", label: "Fill", render: () => <FillTab /> },
  { id: "freeze", label: "Freeze", render: () => <FreezeTab /> },
  { id: "migrate", label: "Migrate", render: () => <MigrateTab /> },
  { id: "chat", label: "Chat", render: () => <ChatTab /> },
  { id: "templates", label: "Templates", render: () => <TemplatesTab /> },
  { id: "calendar", label: "Calendar", render: () => <CalendarTab /> },
  { id: "usage", label: "Usage", render: () => <UsageTab /> },
  { id: "settings", label: "Settings", render: () => <SettingsTab /> },
];

export function App(props: { excel: ExcelState; storage: KeyValueStorage; fetch?: typeof fetch }) {
  const dark = useDarkMode(props.excel.kind !== "detecting");
  useEffect(() => {
    document.documentElement.style.colorScheme = dark ? "dark" : "light";
    document.body.style.margin = "0";
  }, [dark]);
  return (
    <FluentProvider
      theme={dark ? webDarkTheme : webLightTheme}
      data-theme={dark ? "dark" : "light"}
    >
      <SessionProvider storage={props.storage} excel={props.excel} fetch={props.fetch}>
        <Shell />
      </SessionProvider>
    </FluentProvider>
  );
}

function Shell() {
  const styles = useStyles();
  const session = useSession();
  const { tab, setTab, excel, me } = session;
  const [outsideDismissed, setOutsideDismissed] = useState(false);
  // Panels stay mounted once opened, so a running fill or a streaming answer survives a tab switch.
  const [opened, setOpened] = useState<Set<TabId>>(() => new Set([tab]));
  useEffect(() => setOpened((set) => (set.has(tab) ? set : new Set(set).add(tab))), [tab]);

  return (
    <div className={styles.root}>
      <header className={styles.header}>
        <Text as="h1" weight="semibold" size={500} className={styles.title}>
          OfficeLLM
        </Text>
        <Badge
          appearance="tint"
          color={excel.kind === "excel" ? "success" : "informative"}
          data-testid="host-badge"
        >
          {excel.kind === "excel" ? "Excel" : excel.kind === "detecting" ? "Starting…" : "Browser"}
        </Badge>
        <Badge appearance="outline" color={me ? "brand" : "informative"}>
          {me ? me.name : "Not connected"}
        </Badge>
      </header>
      {excel.kind === "outside" && !outsideDismissed ? (
        <div data-testid="outside-excel">
          <Notice
            intent="info"
            title="OfficeLLM is not running inside Excel"
            onDismiss={() => setOutsideDismissed(true)}
          >
            Ask, Chat, Templates and Usage work here; Fill, Freeze and Migrate need the add-in open
            in Excel.
          </Notice>
        </div>
      ) : null}
      <TabBar tabs={TABS} selected={tab} opened={opened} onSelect={setTab} />
      {session.backendDown && session.connection ? <BackendDown /> : null}
      <main className={styles.main}>
        {TABS.map(({ id, render }) =>
          opened.has(id) ? (
            <section
              key={id}
              id={`panel-${id}`}
              role="tabpanel"
              aria-labelledby={`tab-${id}`}
              hidden={tab !== id}
              className={styles.panel}
            >
              {render()}
            </section>
          ) : null,
        )}
      </main>
    </div>
  );
}
