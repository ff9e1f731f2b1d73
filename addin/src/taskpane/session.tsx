/**
 * What every tab shares: the connection (backend URL, token, who that is), the API client,
 * the models, whether Excel is there, and moving between tabs.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ExcelBridge } from "../office/index.ts";
import { ApiClient } from "../shared/api-client.ts";
import {
  clearConnection,
  loadConnection,
  saveConnection,
  type Connection,
} from "../shared/connection.ts";
import type { KeyValueStorage } from "../shared/storage.ts";
import {
  getMe,
  getModels,
  getSettings,
  putSettings,
  type Me,
  type ModelsResponse,
  type Settings,
  type SettingsChange,
} from "./api.ts";
import { clearCustomFunctionCache } from "../functions/register.ts";

export type TabId =
  | "connect"
  | "ask"
  | "fill"
  | "freeze"
  | "migrate"
  | "chat"
  | "templates"
  | "usage"
  | "calendar"
  | "settings";

/** Where Excel stands: still asking office.js, there, or not. */
export type ExcelState =
  { kind: "detecting" } | { kind: "excel"; bridge: ExcelBridge } | { kind: "outside" };

export interface Session {
  storage: KeyValueStorage;
  excel: ExcelState;
  /** Null until the saved connection has been read. */
  loaded: boolean;
  connection: Connection | null;
  client: ApiClient | null;
  me: Me | null;
  /** Why the saved connection could not be checked at start, if it could not. */
  startupError: unknown;
  /** Checks the token against /api/v1/me, then stores it; throws what went wrong. */
  connect(connection: Connection): Promise<Me>;
  signOut(): Promise<void>;
  refreshMe(): Promise<void>;
  models: ModelsResponse | null;
  modelsError: unknown;
  /** The user's saved defaults (model, temperature, system prompt); null until loaded. */
  settings: Settings | null;
  saveSettings(change: SettingsChange): Promise<Settings>;
  /** True while the last call to the backend could not reach it at all. */
  backendDown: boolean;
  /** Asks the backend again; on success, tabs reload what they show (they watch retryVersion). */
  retry(): Promise<void>;
  retryVersion: number;
  /** Bumped when templates change, so lists elsewhere reload. */
  templatesVersion: number;
  templatesChanged(): void;
  tab: TabId;
  setTab(tab: TabId): void;
  /** A template to open in Ask (set by Templates' "Use"). */
  askTemplateId: string | null;
  openTemplate(id: string | null): void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

/** The session with a connected client, for tabs that only render when connected. */
export function useClient(): ApiClient {
  const { client } = useSession();
  if (!client) throw new Error("Not connected");
  return client;
}

export function normaliseBaseUrl(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

export function SessionProvider(props: {
  storage: KeyValueStorage;
  excel: ExcelState;
  fetch?: typeof fetch;
  children: React.ReactNode;
}) {
  const { storage, excel } = props;
  const [loaded, setLoaded] = useState(false);
  const [connection, setConnection] = useState<Connection | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [startupError, setStartupError] = useState<unknown>(null);
  const [models, setModels] = useState<ModelsResponse | null>(null);
  const [modelsError, setModelsError] = useState<unknown>(null);
  const [templatesVersion, setTemplatesVersion] = useState(0);
  const [tab, setTab] = useState<TabId>("connect");
  const [askTemplateId, setAskTemplateId] = useState<string | null>(null);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [backendDown, setBackendDown] = useState(false);
  const [retryVersion, setRetryVersion] = useState(0);

  // Every call goes through here, so any tab's failure to reach the backend (not an error answer,
  // and not a call the user stopped) raises the one "backend down" message, and any answer clears it.
  const givenFetch = props.fetch;
  const fetchImpl = useMemo<typeof fetch>(
    () => async (input, init) => {
      try {
        const response = await (givenFetch ?? fetch)(input, init);
        setBackendDown(false);
        return response;
      } catch (error) {
        if (!init?.signal?.aborted) setBackendDown(true);
        throw error;
      }
    },
    [givenFetch],
  );
  const client = useMemo(
    () => (connection ? new ApiClient(connection, fetchImpl) : null),
    [connection, fetchImpl],
  );

  // The saved connection, checked once at start.
  useEffect(() => {
    let live = true;
    void (async () => {
      const saved = await loadConnection(storage).catch(() => null);
      if (!live) return;
      if (saved) {
        setConnection(saved);
        setTab("ask");
        try {
          const who = await getMe(new ApiClient(saved, fetchImpl));
          if (live) setMe(who);
        } catch (error) {
          if (live) setStartupError(error);
        }
      }
      if (live) setLoaded(true);
    })();
    return () => {
      live = false;
    };
  }, [storage, fetchImpl]);

  // Models, whenever the connection changes.
  useEffect(() => {
    setModels(null);
    setModelsError(null);
    if (!client) return;
    const controller = new AbortController();
    getModels(client, controller.signal).then(setModels, (error: unknown) => {
      if (!controller.signal.aborted) setModelsError(error);
    });
    return () => controller.abort();
  }, [client, retryVersion]);

  // The user's defaults, whenever the connection changes.
  useEffect(() => {
    setSettings(null);
    if (!client) return;
    const controller = new AbortController();
    getSettings(client, controller.signal).then(setSettings, () => {});
    return () => controller.abort();
  }, [client, retryVersion]);

  const saveSettings = useCallback(
    async (change: SettingsChange) => {
      if (!client) throw new Error("Not connected");
      const saved = await putSettings(client, change);
      setSettings(saved);
      return saved;
    },
    [client],
  );

  const retry = useCallback(async () => {
    if (client) {
      const who = await getMe(client);
      setMe(who);
      setStartupError(null);
    }
    setRetryVersion((v) => v + 1);
  }, [client]);

  const connect = useCallback(
    async (next: Connection) => {
      const normalised = { baseUrl: normaliseBaseUrl(next.baseUrl), token: next.token.trim() };
      const who = await getMe(new ApiClient(normalised, fetchImpl));
      await saveConnection(storage, normalised);
      setConnection(normalised);
      setMe(who);
      setStartupError(null);
      return who;
    },
    [storage, fetchImpl],
  );

  const signOut = useCallback(async () => {
    await clearConnection(storage);
    // Answers cached by the =LLM.* functions belong to the user signing out.
    await clearCustomFunctionCache(storage);
    setConnection(null);
    setMe(null);
    setStartupError(null);
    setTab("connect");
  }, [storage]);

  const refreshMe = useCallback(async () => {
    if (client) setMe(await getMe(client));
  }, [client]);

  const value: Session = {
    storage,
    excel,
    loaded,
    connection,
    client,
    me,
    startupError,
    connect,
    signOut,
    refreshMe,
    models,
    modelsError,
    settings,
    saveSettings,
    backendDown,
    retry,
    retryVersion,
    templatesVersion,
    templatesChanged: useCallback(() => setTemplatesVersion((v) => v + 1), []),
    tab,
    setTab,
    askTemplateId,
    openTemplate: useCallback((id: string | null) => {
      setAskTemplateId(id);
      if (id) setTab("ask");
    }, []),
  };
  return <SessionContext value={value}>{props.children}</SessionContext>;
}
