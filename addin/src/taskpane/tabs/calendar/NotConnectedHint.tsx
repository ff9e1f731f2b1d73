import { Text } from "@fluentui/react-components";
import { useStyles } from "../../components.tsx";

/** Under a preview while Google Calendar is not connected. */
export function NotConnectedHint(props: { connected: boolean }) {
  const styles = useStyles();
  return props.connected ? null : (
    <Text size={200} className={styles.muted}>
      Creating events needs Google Calendar connected (above); previews work without it.
    </Text>
  );
}
