import { makeStyles, tokens } from "@fluentui/react-components";

const useStyles = makeStyles({
  list: { listStyle: "none", margin: 0, padding: 0, display: "grid", gap: "6px" },
  item: {
    display: "grid",
    gridTemplateColumns: "minmax(6em, 12em) 1fr auto",
    gap: "8px",
    alignItems: "center",
  },
  label: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" },
  track: { height: "10px", backgroundColor: tokens.colorNeutralBackground3, borderRadius: "2px" },
  bar: { height: "100%", backgroundColor: tokens.colorBrandBackground, borderRadius: "2px" },
  value: { fontVariantNumeric: "tabular-nums" },
});

/**
 * Labelled horizontal bars as a plain list: each entry reads "label: value" to assistive
 * technology, the bar itself is decoration.
 */
export function HorizontalBars(props: {
  label: string;
  entries: { key: string; label: string; value: number }[];
  format(value: number): string;
}) {
  const styles = useStyles();
  const max = Math.max(...props.entries.map((entry) => entry.value), 0);
  return (
    <ul className={styles.list} aria-label={props.label}>
      {props.entries.map((entry) => (
        <li key={entry.key} className={styles.item}>
          <span className={styles.label} title={entry.label}>
            {entry.label}
          </span>
          <span className={styles.track} aria-hidden="true">
            <span
              className={styles.bar}
              style={{ display: "block", width: `${max > 0 ? (entry.value / max) * 100 : 0}%` }}
            />
          </span>
          <span className={styles.value}>{props.format(entry.value)}</span>
        </li>
      ))}
    </ul>
  );
}
