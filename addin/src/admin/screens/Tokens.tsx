import {
  Badge,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  ProgressBar,
  Select,
  Text,
} from "@fluentui/react-components";
import { useState, type FormEvent, type ReactNode } from "react";
import { formatUsd } from "../../shared/money.ts";
import { scopes, type AdminApi, type Scope, type TokenChange, type TokenSummary } from "../api.ts";
import { useLoad } from "../load.ts";
import { DataTable, Failure, formatTime, LoadedView, Pager, Toolbar } from "../parts.tsx";

const PAGE = 20;
const DAY = 86_400_000;

type Filters = { search: string; scope: string; state: string; expiring: string };

function matches(token: TokenSummary, filters: Filters, now: number): boolean {
  const search = filters.search.trim().toLowerCase();
  if (search && ![token.name, token.prefix, token.id].some((v) => v.toLowerCase().includes(search)))
    return false;
  if (filters.scope && !token.scopes.includes(filters.scope as Scope)) return false;
  if (filters.state === "active" && token.revokedAt) return false;
  if (filters.state === "revoked" && !token.revokedAt) return false;
  if (filters.expiring) {
    const expires = token.expiresAt ? Date.parse(token.expiresAt) : Infinity;
    if (filters.expiring === "expired") return expires <= now;
    return expires > now && expires <= now + Number(filters.expiring) * DAY;
  }
  return true;
}

/** A secret as the API gave it, once: shown with its Authorization header and a copy button. */
function SecretDialog(props: { secret: { name: string; token: string } | null; close(): void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const secret = props.secret;
  const header = secret ? `Authorization: Bearer ${secret.token}` : "";
  const copy = async (what: string, text: string) => {
    await navigator.clipboard.writeText(text);
    setCopied(what);
  };
  return (
    <Dialog open={secret !== null} onOpenChange={(_, data) => !data.open && props.close()}>
      <DialogSurface aria-describedby="secret-once">
        <DialogBody>
          <DialogTitle>Secret of {secret?.name}</DialogTitle>
          <DialogContent style={{ display: "grid", gap: 12 }}>
            <MessageBar intent="warning" id="secret-once">
              <MessageBarBody>
                This secret is shown only now. Copy it to where it will be used; OfficeLLM keeps
                only its hash.
              </MessageBarBody>
            </MessageBar>
            <Field label="Secret">
              <Input readOnly value={secret?.token ?? ""} data-testid="new-secret" />
            </Field>
            <Field label="Authorization header">
              <Input readOnly value={header} data-testid="authorization-header" />
            </Field>
            <div style={{ display: "flex", gap: 8, flexWrap: "wrap" }}>
              <Button onClick={() => void copy("secret", secret?.token ?? "")}>Copy secret</Button>
              <Button onClick={() => void copy("header", header)}>Copy header</Button>
              <Text role="status">{copied ? `Copied the ${copied}.` : ""}</Text>
            </div>
          </DialogContent>
          <DialogActions>
            <Button appearance="primary" onClick={props.close}>
              Done
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

interface FormValues {
  name: string;
  scopes: Scope[];
  rpm: string;
  budgetUsd: string;
  /** YYYY-MM-DD, or "" for never. */
  expires: string;
}

function valuesOf(token: TokenSummary | null): FormValues {
  return {
    name: token?.name ?? "",
    scopes: token?.scopes ?? ["llm"],
    rpm: token?.rpm === null || token === null ? "" : String(token.rpm),
    budgetUsd: token?.budgetUsd === null || token === null ? "" : String(token.budgetUsd),
    expires: token?.expiresAt?.slice(0, 10) ?? "",
  };
}

/** Creating (token null) or changing a token: the same fields. */
function TokenForm(props: {
  token: TokenSummary | null;
  open: boolean;
  close(): void;
  save(values: FormValues): Promise<void>;
}) {
  const [values, setValues] = useState(() => valuesOf(props.token));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<FormValues>) => setValues((old) => ({ ...old, ...change }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.save(values);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  const title = props.token ? `Edit ${props.token.name}` : "New token";
  return (
    <Dialog open={props.open} onOpenChange={(_, data) => !data.open && props.close()}>
      <DialogSurface>
        <form onSubmit={(event) => void submit(event)}>
          <DialogBody>
            <DialogTitle>{title}</DialogTitle>
            <DialogContent style={{ display: "grid", gap: 12 }}>
              <Field label="Name" required>
                <Input value={values.name} onChange={(_, d) => set({ name: d.value })} />
              </Field>
              <fieldset style={{ border: "none", padding: 0, margin: 0 }}>
                <legend>Scopes</legend>
                {scopes.map((scope) => (
                  <Checkbox
                    key={scope}
                    label={scope}
                    checked={values.scopes.includes(scope)}
                    onChange={(_, d) =>
                      set({
                        scopes: d.checked
                          ? [...values.scopes, scope]
                          : values.scopes.filter((s) => s !== scope),
                      })
                    }
                  />
                ))}
              </fieldset>
              <Field label="Rate limit (requests per minute)" hint="Empty: the server's default">
                <Input
                  type="number"
                  min={1}
                  value={values.rpm}
                  onChange={(_, d) => set({ rpm: d.value })}
                />
              </Field>
              <Field label="Monthly budget (USD)" hint="Empty: no budget">
                <Input
                  type="number"
                  min={0}
                  step="0.01"
                  value={values.budgetUsd}
                  onChange={(_, d) => set({ budgetUsd: d.value })}
                />
              </Field>
              <Field label="Expires on (UTC, end of day)" hint="Empty: never">
                <Input
                  type="date"
                  value={values.expires}
                  onChange={(_, d) => set({ expires: d.value })}
                />
              </Field>
              {error ? <Failure message={error} /> : null}
            </DialogContent>
            <DialogActions>
              <Button onClick={props.close}>Cancel</Button>
              <Button appearance="primary" type="submit" disabled={busy}>
                {busy ? "Saving…" : props.token ? "Save" : "Create"}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

const endOfDay = (day: string) => `${day}T23:59:59.000Z`;
const numberOrNull = (text: string) => (text.trim() === "" ? null : Number(text));

/** The fields that differ from the token's, as PATCH takes them. */
function changeFrom(token: TokenSummary, values: FormValues): TokenChange {
  const change: TokenChange = {};
  if (values.name !== token.name) change.name = values.name;
  if (values.scopes.join() !== token.scopes.join()) change.scopes = values.scopes;
  if (numberOrNull(values.rpm) !== token.rpm) change.rpm = numberOrNull(values.rpm);
  if (numberOrNull(values.budgetUsd) !== token.budgetUsd)
    change.budgetUsd = numberOrNull(values.budgetUsd);
  if (values.expires !== (token.expiresAt?.slice(0, 10) ?? ""))
    change.expiresAt = values.expires ? endOfDay(values.expires) : null;
  return change;
}

function Confirm(props: {
  title: string;
  body: string;
  action: string;
  open: boolean;
  children?: ReactNode;
  close(): void;
  confirm(): Promise<void>;
}) {
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    try {
      await props.confirm();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return (
    <Dialog open={props.open} onOpenChange={(_, data) => !data.open && props.close()}>
      <DialogSurface>
        <DialogBody>
          <DialogTitle>{props.title}</DialogTitle>
          <DialogContent style={{ display: "grid", gap: 12 }}>
            <Text>{props.body}</Text>
            {props.children}
            {error ? <Failure message={error} /> : null}
          </DialogContent>
          <DialogActions>
            <Button onClick={props.close}>Cancel</Button>
            <Button appearance="primary" onClick={() => void run()}>
              {props.action}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

function Spend(props: { spent: number; budget: number | null }) {
  if (props.budget === null) return <Text>{formatUsd(props.spent)}</Text>;
  const share = props.budget > 0 ? props.spent / props.budget : 1;
  return (
    <div style={{ minWidth: 140 }}>
      <Text>
        {formatUsd(props.spent)} of {formatUsd(props.budget)}
      </Text>
      <ProgressBar
        value={Math.min(share, 1)}
        color={share >= 1 ? "error" : share >= 0.8 ? "warning" : "brand"}
        aria-label={`${Math.round(share * 100)}% of the monthly budget spent`}
      />
    </div>
  );
}

type Dialogs =
  | { kind: "none" }
  | { kind: "create" }
  | { kind: "edit" | "rotate" | "revoke"; token: TokenSummary };

export default function Tokens(props: { api: AdminApi }) {
  const { api } = props;
  const [loaded, reload] = useLoad(async () => {
    const [list, usage] = await Promise.all([api.tokens(), api.usage({})]);
    return {
      tokens: list.tokens,
      spent: new Map(usage.byToken.map((entry) => [entry.tokenId, entry.costUsd])),
    };
  }, "tokens");
  const [filters, setFilters] = useState<Filters>({
    search: "",
    scope: "",
    state: "active",
    expiring: "",
  });
  const [page, setPage] = useState(0);
  const [dialog, setDialog] = useState<Dialogs>({ kind: "none" });
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [grace, setGrace] = useState("3600");
  const setFilter = (change: Partial<Filters>) => {
    setFilters((old) => ({ ...old, ...change }));
    setPage(0);
  };
  const close = () => setDialog({ kind: "none" });
  const done = () => {
    close();
    reload();
  };

  return (
    <>
      <Toolbar label="Token filters">
        <Field label="Search">
          <Input
            value={filters.search}
            placeholder="Name, prefix or id"
            onChange={(_, d) => setFilter({ search: d.value })}
          />
        </Field>
        <Field label="Scope">
          <Select value={filters.scope} onChange={(_, d) => setFilter({ scope: d.value })}>
            <option value="">Any</option>
            {scopes.map((scope) => (
              <option key={scope}>{scope}</option>
            ))}
          </Select>
        </Field>
        <Field label="State">
          <Select value={filters.state} onChange={(_, d) => setFilter({ state: d.value })}>
            <option value="active">Not revoked</option>
            <option value="revoked">Revoked</option>
            <option value="">All</option>
          </Select>
        </Field>
        <Field label="Expiry">
          <Select value={filters.expiring} onChange={(_, d) => setFilter({ expiring: d.value })}>
            <option value="">Any</option>
            <option value="7">Expiring within 7 days</option>
            <option value="30">Expiring within 30 days</option>
            <option value="expired">Expired</option>
          </Select>
        </Field>
        <Button appearance="primary" onClick={() => setDialog({ kind: "create" })}>
          New token
        </Button>
      </Toolbar>
      <LoadedView loaded={loaded} what="tokens" retry={reload}>
        {({ tokens, spent }) => {
          const now = Date.now();
          const shown = tokens.filter((token) => matches(token, filters, now));
          const rows = shown.slice(page * PAGE, (page + 1) * PAGE);
          return (
            <>
              <Text role="status">
                {shown.length} of {tokens.length} tokens
              </Text>
              <DataTable
                caption="Tokens"
                rows={rows}
                rowKey={(token) => token.id}
                empty={
                  tokens.length === 0
                    ? "No tokens yet. Create one with New token."
                    : "No token matches these filters."
                }
                columns={[
                  { title: "Name", text: (t) => t.name },
                  { title: "Prefix", text: (t) => t.prefix },
                  { title: "Scopes", text: (t) => t.scopes.join(", ") },
                  {
                    title: "Rate limit",
                    text: (t) =>
                      `${t.limits.requestsPerMinute}/min${t.rpm === null ? " (default)" : ""}`,
                  },
                  {
                    title: "Spend this month",
                    text: (t) => formatUsd(spent.get(t.id) ?? 0),
                    render: (t) => (
                      <Spend spent={spent.get(t.id) ?? 0} budget={t.limits.monthlyBudgetUsd} />
                    ),
                  },
                  { title: "Expires", text: (t) => formatTime(t.expiresAt) },
                  { title: "Last used", text: (t) => formatTime(t.lastUsedAt) },
                  {
                    title: "State",
                    text: (t) => (t.revokedAt ? "revoked" : "active"),
                    render: (t) =>
                      t.revokedAt ? (
                        <Badge color="danger">revoked</Badge>
                      ) : t.previousSecretValidUntil ? (
                        <Badge color="warning">
                          old secret until {formatTime(t.previousSecretValidUntil)}
                        </Badge>
                      ) : (
                        <Badge color="success">active</Badge>
                      ),
                  },
                  {
                    title: "Actions",
                    text: () => "",
                    render: (t) =>
                      t.revokedAt ? null : (
                        <div style={{ display: "flex", gap: 4, flexWrap: "wrap" }}>
                          <Button
                            size="small"
                            aria-label={`Edit ${t.name}`}
                            onClick={() => setDialog({ kind: "edit", token: t })}
                          >
                            Edit
                          </Button>
                          <Button
                            size="small"
                            aria-label={`Rotate ${t.name}`}
                            onClick={() => setDialog({ kind: "rotate", token: t })}
                          >
                            Rotate
                          </Button>
                          <Button
                            size="small"
                            aria-label={`Revoke ${t.name}`}
                            onClick={() => setDialog({ kind: "revoke", token: t })}
                          >
                            Revoke
                          </Button>
                        </div>
                      ),
                  },
                ]}
              />
              {shown.length > PAGE ? (
                <Pager
                  label="Tokens"
                  page={page}
                  hasNext={(page + 1) * PAGE < shown.length}
                  previous={() => setPage(page - 1)}
                  next={() => setPage(page + 1)}
                />
              ) : null}
            </>
          );
        }}
      </LoadedView>

      {dialog.kind === "create" ? (
        <TokenForm
          token={null}
          open
          close={close}
          save={async (values) => {
            const budget = numberOrNull(values.budgetUsd);
            const rpm = numberOrNull(values.rpm);
            const expiresInDays = values.expires
              ? (Date.parse(endOfDay(values.expires)) - Date.now()) / DAY
              : undefined;
            const issued = await api.createToken({
              name: values.name,
              scopes: values.scopes,
              ...(budget === null ? {} : { budgetUsd: budget }),
              ...(rpm === null ? {} : { rpm }),
              ...(expiresInDays === undefined ? {} : { expiresInDays }),
            });
            setSecret({ name: values.name, token: issued.token });
            done();
          }}
        />
      ) : null}
      {dialog.kind === "edit" ? (
        <TokenForm
          token={dialog.token}
          open
          close={close}
          save={async (values) => {
            const change = changeFrom(dialog.token, values);
            if (Object.keys(change).length > 0) await api.updateToken(dialog.token.id, change);
            done();
          }}
        />
      ) : null}
      {dialog.kind === "rotate" ? (
        <Confirm
          open
          title={`Rotate ${dialog.token.name}`}
          body="A new secret replaces the current one. The current secret keeps working for the grace period, so that its users can switch."
          action="Rotate"
          close={close}
          confirm={async () => {
            const rotated = await api.rotateToken(dialog.token.id, Number(grace));
            setSecret({ name: dialog.token.name, token: rotated.token });
            done();
          }}
        >
          <Field label="Grace period for the current secret">
            <Select value={grace} onChange={(_, d) => setGrace(d.value)}>
              <option value="0">None: it stops at once</option>
              <option value="3600">1 hour</option>
              <option value="86400">1 day</option>
              <option value="604800">7 days</option>
              <option value="2592000">30 days</option>
            </Select>
          </Field>
        </Confirm>
      ) : null}
      {dialog.kind === "revoke" ? (
        <Confirm
          open
          title={`Revoke ${dialog.token.name}?`}
          body="Every request with this token is refused from now on, on every instance. This cannot be undone."
          action="Revoke"
          close={close}
          confirm={async () => {
            await api.revokeToken(dialog.token.id);
            done();
          }}
        />
      ) : null}
      <SecretDialog secret={secret} close={() => setSecret(null)} />
    </>
  );
}
