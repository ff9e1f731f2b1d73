import { Button, Text } from "@fluentui/react-components";
import { useState } from "react";
import type { ExcelBridge, FreezeResult } from "../../office/index.ts";
import { ErrorNotice, NeedsExcel, useStyles } from "../components.tsx";
import { useSession } from "../session.tsx";

export function FreezeTab() {
  const session = useSession();
  if (session.excel.kind !== "excel") return <NeedsExcel feature="Freeze" />;
  return <Freeze bridge={session.excel.bridge} />;
}

function Freeze(props: { bridge: ExcelBridge }) {
  const styles = useStyles();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<FreezeResult | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function freeze(scope: "selection" | "sheet") {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await props.bridge.freezeLlmFormulas(scope));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className={styles.stack}>
      <Text>
        Freezing replaces the <code>=LLM.*</code> formulas with the answers they show now, so they
        never recalculate or cost anything again. Cells showing an error or still calculating keep
        their formulas. Other formulas are not touched.
      </Text>
      <div className={styles.row}>
        <Button appearance="primary" disabled={busy} onClick={() => void freeze("selection")}>
          Freeze the selection
        </Button>
        <Button disabled={busy} onClick={() => void freeze("sheet")}>
          Freeze the whole sheet
        </Button>
      </div>
      <div role="status" data-testid="freeze-status">
        {busy ? <Text>Freezing…</Text> : null}
        {result ? (
          <Text>
            {result.frozen === 0
              ? `No =LLM formulas with answers in ${result.address}.`
              : `Froze ${result.frozen} formula${result.frozen === 1 ? "" : "s"} in ${result.address}.`}
            {result.skipped > 0
              ? ` ${result.skipped} showing an error or still calculating kept their formulas.`
              : ""}
          </Text>
        ) : null}
      </div>
      <ErrorNotice error={error} title="Could not freeze" />
    </div>
  );
}
