import { Field, Select, Text } from "@fluentui/react-components";
import { columnLetter } from "../../../office/address.ts";
import type { RowsSnapshot, RowsTable } from "../../calendar-rows-runner.ts";
import { CALENDAR_FIELDS, type CalendarField, type ColumnMapping } from "../../calendar-rows.ts";
import { useStyles } from "../../components.tsx";

/** A column of the table for each event field, and what is still missing. */
export function ColumnMappingFields(props: {
  table: RowsTable;
  mapping: ColumnMapping;
  missing: RowsSnapshot["missing"];
  onColumn(field: CalendarField, column: number | undefined): void;
}) {
  const { table, mapping, missing } = props;
  const styles = useStyles();
  return (
    <fieldset className={styles.stack} style={{ border: "none", margin: 0, padding: 0 }}>
      <legend>
        <Text weight="semibold">Columns</Text>
      </legend>
      {CALENDAR_FIELDS.map(({ field, label, required }) => (
        <Field key={field} label={`${label} column`} required={required}>
          <Select
            value={mapping[field] === undefined ? "" : String(mapping[field])}
            onChange={(_event, data) =>
              props.onColumn(field, data.value === "" ? undefined : Number(data.value))
            }
          >
            <option value="">{required ? "Choose a column" : "Not used"}</option>
            {table.headers.map(({ column, name }) => (
              <option key={column} value={String(column)}>
                {name ? `${name} (${columnLetter(column)})` : `Column ${columnLetter(column)}`}
              </option>
            ))}
          </Select>
        </Field>
      ))}
      {mapping.end !== undefined && mapping.duration !== undefined ? (
        <Text size={200} className={styles.muted}>
          Rows with an end use it; rows without one use the duration.
        </Text>
      ) : null}
      {missing.length ? (
        <Text size={200} data-testid="calendar-rows-missing">
          Choose a column for {missing.map((f) => f.label).join(" and ")}.
        </Text>
      ) : null}
    </fieldset>
  );
}
