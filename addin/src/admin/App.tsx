import {
  Button,
  Field,
  FluentProvider,
  Input,
  makeStyles,
  Spinner,
  Tab,
  TabList,
  Text,
  tokens,
  webDarkTheme,
  webLightTheme,
} from "@fluentui/react-components";
import { lazy, Suspense, useEffect, useMemo, useState, type FormEvent } from "react";
import { ApiClientError } from "../shared/api-client.ts";
import { AdminApi } from "./api.ts";
import { Failure } from "./parts.tsx";
import { savedToken, saveToken } from "./session.ts";

const screens = {
  tokens: { title: "Tokens", load: lazy(() => import("./screens/Tokens.tsx")) },
  usage: { title: "Usage and cost", load: lazy(() => import("./screens/Usage.tsx")) },
  requests: { title: "Requests", load: lazy(() => import("./screens/Requests.tsx")) },
  audit: { title: "Audit log", load: lazy(() => import("./screens/Audit.tsx")) },
  models: { title: "Providers and models", load: lazy(() => import("./screens/Models.tsx")) },
  system: { title: "System", load: lazy(() => import("./screens/System.tsx")) },
} as const;
type ScreenName = keyof typeof screens;

const isScreen = (name: string): name is ScreenName => Object.hasOwn(screens, name);
const screenInHash = (): ScreenName => {
  const name = location.hash.slice(1);
  return isScreen(name) ? name : "tokens";
};

const useStyles = makeStyles({
  page: {
    minHeight: "100vh",
    backgroundColor: tokens.colorNeutralBackground2,
    color: tokens.colorNeutralForeground1,
  },
  header: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    justifyContent: "space-between",
    gap: "8px",
    padding: "8px 16px",
    backgroundColor: tokens.colorNeutralBackground1,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  tabs: { flexWrap: "wrap" },
  main: { padding: "16px", maxWidth: "1200px", margin: "0 auto", boxSizing: "border-box" },
  signIn: {
    maxWidth: "420px",
    margin: "10vh auto",
    padding: "24px",
    display: "grid",
    gap: "12px",
    backgroundColor: tokens.colorNeutralBackground1,
    borderRadius: tokens.borderRadiusLarge,
  },
});

/** Light or dark as the system prefers, followed live. */
function usePrefersDark(): boolean {
  const media = matchMedia("(prefers-color-scheme: dark)");
  const [dark, setDark] = useState(media.matches);
  useEffect(() => {
    const update = () => setDark(media.matches);
    media.addEventListener("change", update);
    return () => media.removeEventListener("change", update);
  }, [media]);
  return dark;
}

export function App() {
  const dark = usePrefersDark();
  const styles = useStyles();
  const [token, setToken] = useState(savedToken);
  const signOut = () => {
    saveToken(null);
    setToken(null);
  };
  return (
    <FluentProvider theme={dark ? webDarkTheme : webLightTheme} className={styles.page}>
      {token ? (
        <Console token={token} signOut={signOut} />
      ) : (
        <SignIn
          signedIn={(value) => {
            saveToken(value);
            setToken(value);
          }}
        />
      )}
    </FluentProvider>
  );
}

function SignIn(props: { signedIn(token: string): void }) {
  const styles = useStyles();
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // Any admin route proves the scope; the system status is the cheapest.
      await new AdminApi(value.trim()).system();
      props.signedIn(value.trim());
    } catch (failure) {
      setError(
        failure instanceof ApiClientError && failure.status === 403
          ? "This token does not have the admin scope."
          : failure instanceof ApiClientError && failure.status === 401
            ? "This token is not valid (unknown, revoked or expired)."
            : failure instanceof Error
              ? failure.message
              : String(failure),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main>
      <form className={styles.signIn} onSubmit={(event) => void submit(event)}>
        <h1 style={{ margin: 0, fontSize: tokens.fontSizeHero700 }}>OfficeLLM admin</h1>
        <Text>
          Sign in with a token that has the admin scope. It is kept in this browser tab only, until
          you sign out or close the tab.
        </Text>
        <Field label="Admin token" required>
          <Input
            type="password"
            value={value}
            autoComplete="off"
            onChange={(_, data) => setValue(data.value)}
          />
        </Field>
        {error ? <Failure message={error} /> : null}
        <Button appearance="primary" type="submit" disabled={busy || value.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </main>
  );
}

function Console(props: { token: string; signOut(): void }) {
  const styles = useStyles();
  const api = useMemo(() => new AdminApi(props.token), [props.token]);
  const [screen, setScreen] = useState(screenInHash);
  useEffect(() => {
    const follow = () => setScreen(screenInHash());
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  useEffect(() => {
    document.title = `${screens[screen].title} · OfficeLLM admin`;
  }, [screen]);
  const Screen = screens[screen].load;
  return (
    <>
      <header className={styles.header}>
        <Text weight="semibold" size={500}>
          OfficeLLM admin
        </Text>
        <Button onClick={props.signOut}>Sign out</Button>
        <nav aria-label="Screens" style={{ width: "100%" }}>
          <TabList
            className={styles.tabs}
            selectedValue={screen}
            onTabSelect={(_, data) => {
              location.hash = String(data.value);
            }}
          >
            {Object.entries(screens).map(([name, { title }]) => (
              <Tab key={name} value={name}>
                {title}
              </Tab>
            ))}
          </TabList>
        </nav>
      </header>
      <main className={styles.main}>
        <h1 style={{ fontSize: tokens.fontSizeBase600, marginTop: 0 }}>{screens[screen].title}</h1>
        <Suspense fallback={<Spinner size="small" label="Loading the screen…" />}>
          <Screen api={api} />
        </Suspense>
      </main>
    </>
  );
}
