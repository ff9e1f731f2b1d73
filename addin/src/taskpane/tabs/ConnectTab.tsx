import { Button, Field, Input, Spinner, Text } from "@fluentui/react-components";
import { useState } from "react";
import { defaultBaseUrl } from "../../shared/connection.ts";
import { ErrorNotice, Notice, useStyles } from "../components.tsx";
import { formatUsd } from "../../shared/money.ts";
import { useSession } from "../session.tsx";

export function ConnectTab() {
  const styles = useStyles();
  const session = useSession();
  const { connection, me, loaded, startupError } = session;
  const [baseUrl, setBaseUrl] = useState(() => connection?.baseUrl ?? defaultBaseUrl());
  const [token, setToken] = useState("");
  const [showToken, setShowToken] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (!loaded) return <Spinner size="small" label="Reading the saved connection…" />;

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.connect({ baseUrl, token });
      setToken("");
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  if (connection && me) {
    return (
      <div className={styles.stack}>
        <div role="status" className={styles.card} data-testid="connected">
          <Text weight="semibold">Connected as {me.name}</Text>
          <Text size={200} className={styles.muted}>
            {connection.baseUrl}
          </Text>
          <Text size={200}>Scopes: {me.scopes.join(", ")}</Text>
          <Text size={200}>
            This month ({me.spend.month}): {formatUsd(me.spend.costUsd)} spent
            {me.limits.monthlyBudgetUsd !== null
              ? ` of ${formatUsd(me.limits.monthlyBudgetUsd)} (${formatUsd(me.spend.remainingUsd ?? 0)} left)`
              : ", no budget limit"}
          </Text>
          <Text size={200}>Limit: {me.limits.requestsPerMinute} requests per minute</Text>
          {me.expiresAt ? (
            <Text size={200}>Token expires {new Date(me.expiresAt).toLocaleDateString()}</Text>
          ) : null}
        </div>
        <div className={styles.row}>
          <Button appearance="primary" onClick={() => session.setTab("ask")}>
            Start asking
          </Button>
          <Button onClick={() => void session.signOut()}>Sign out</Button>
        </div>
      </div>
    );
  }

  return (
    <form className={styles.stack} onSubmit={(event) => void submit(event)} aria-label="Connect">
      <Text>
        Sign in with the token your OfficeLLM administrator gave you. It stays on this computer and
        is shared with the =LLM functions.
      </Text>
      {connection && startupError ? (
        <ErrorNotice error={startupError} title="The saved sign-in no longer works" />
      ) : null}
      <Field label="Backend URL" required hint="Usually the address this add-in was loaded from.">
        <Input
          type="url"
          value={baseUrl}
          onChange={(_event, data) => setBaseUrl(data.value)}
          placeholder="https://officellm.example.com"
          required
        />
      </Field>
      <Field label="Token" required>
        <Input
          type={showToken ? "text" : "password"}
          value={token}
          onChange={(_event, data) => setToken(data.value)}
          autoComplete="off"
          spellCheck={false}
          required
          contentAfter={
            <Button
              appearance="transparent"
              size="small"
              onClick={() => setShowToken((shown) => !shown)}
              aria-pressed={showToken}
            >
              {showToken ? "Hide" : "Show"}
            </Button>
          }
        />
      </Field>
      <div className={styles.row}>
        <Button
          type="submit"
          appearance="primary"
          disabled={busy || !token.trim() || !baseUrl.trim()}
        >
          {busy ? "Checking…" : "Connect"}
        </Button>
        {connection ? <Button onClick={() => void session.signOut()}>Sign out</Button> : null}
      </div>
      {busy ? <Spinner size="tiny" label="Checking the token with the backend…" /> : null}
      <ErrorNotice error={error} title="Could not connect" />
      {!connection ? (
        <Notice intent="info">
          An administrator creates tokens with <code>npm run cli -- token create --name you</code>.
        </Notice>
      ) : null}
    </form>
  );
}
