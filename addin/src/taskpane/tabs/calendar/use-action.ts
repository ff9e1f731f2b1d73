import { useCallback, useState } from "react";

/**
 * One action at a time in a part of the tab: which one is running (for its button's label and
 * to disable the others) and the last failure, cleared when the next action starts.
 */
export function useAction<Kind extends string>() {
  const [busy, setBusy] = useState<Kind | null>(null);
  const [error, setError] = useState<unknown>(null);
  const act = useCallback(async (kind: Kind, work: () => Promise<void>) => {
    setBusy(kind);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }, []);
  return { busy, error, setError, act };
}
