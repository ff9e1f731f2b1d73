import { Field, Input } from "@fluentui/react-components";
import { useId, useState } from "react";

function knownTimezones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return [];
  }
}

/**
 * Whether this browser knows the zone: its list holds only canonical names (no "UTC", no
 * aliases such as "Europe/Kiev"), so a name off the list is tried on the formatter too.
 */
export function isKnownTimezone(zone: string, listed: readonly string[]): boolean {
  if (listed.includes(zone)) return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An IANA timezone, suggested from the browser's list and warned about when it is not on it. */
export function TimezoneField(props: { value: string; onChange(value: string): void }) {
  const [zones] = useState(knownTimezones);
  const zoneListId = useId();
  const zone = props.value.trim();
  const unknown = zone !== "" && !isKnownTimezone(zone, zones);
  return (
    <>
      <Field
        label="Timezone"
        hint="An IANA name such as Europe/Berlin: times without a zone are read in it."
        validationState={unknown ? "warning" : "none"}
        validationMessage={
          unknown
            ? "This browser does not know that timezone; the backend will check it."
            : undefined
        }
      >
        <Input
          value={props.value}
          onChange={(_event, data) => props.onChange(data.value)}
          list={zoneListId}
          autoComplete="off"
        />
      </Field>
      <datalist id={zoneListId}>
        {zones.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
    </>
  );
}
