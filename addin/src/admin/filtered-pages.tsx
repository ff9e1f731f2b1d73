/**
 * A server-side list behind a filter bar, read a page at a time by cursor (Audit, Requests):
 * the filters being edited, the filters applied, and the cursors of the pages read so far.
 */
import { Button, Field, Select } from "@fluentui/react-components";
import { useState, type FormEvent, type ReactNode } from "react";
import { Pager, Toolbar } from "./parts.tsx";

export interface FilteredPages<F> {
  /** The filters as edited in the bar, not applied until submitted. */
  draft: F;
  edit(change: Partial<F>): void;
  /** The filters applied to the list on show. */
  filters: F;
  /** The cursor of the page on show; undefined on the first. */
  cursor: string | undefined;
  /** Changes whenever the page to load does: the filters applied or the cursor. */
  key: string;
  apply(): void;
  clear(): void;
  /** 0 for the first page. */
  page: number;
  previous(): void;
  next(cursor: string): void;
}

export function useFilteredPages<F>(none: F): FilteredPages<F> {
  const [draft, setDraft] = useState<F>(none);
  const [filters, setFilters] = useState<F>(none);
  /** The cursors of the pages before this one; this page's is the last. */
  const [cursors, setCursors] = useState<string[]>([""]);
  const cursor = cursors.at(-1)!;
  const show = (applied: F) => {
    setFilters(applied);
    setCursors([""]);
  };
  return {
    draft,
    edit: (change) => setDraft((old) => ({ ...old, ...change })),
    filters,
    cursor: cursor || undefined,
    key: JSON.stringify([filters, cursor]),
    apply: () => show(draft),
    clear: () => {
      setDraft(none);
      show(none);
    },
    page: cursors.length - 1,
    previous: () => setCursors(cursors.slice(0, -1)),
    next: (next) => setCursors([...cursors, next]),
  };
}

/** The filter fields in a bar, applied by the submit button; Clear too where `clearable`. */
export function FilterBar<F>(props: {
  label: string;
  submit: string;
  pages: FilteredPages<F>;
  clearable?: boolean;
  children: ReactNode;
}) {
  const { pages } = props;
  const apply = (event: FormEvent) => {
    event.preventDefault();
    pages.apply();
  };
  return (
    <form onSubmit={apply}>
      <Toolbar label={props.label}>
        {props.children}
        <Button appearance="primary" type="submit">
          {props.submit}
        </Button>
        {props.clearable ? <Button onClick={pages.clear}>Clear</Button> : null}
      </Toolbar>
    </form>
  );
}

/** Previous and next page of a list read by cursor; `nextCursor` is null on the last page. */
export function CursorPager<F>(props: {
  label: string;
  pages: FilteredPages<F>;
  nextCursor: string | null;
}) {
  const { pages, nextCursor } = props;
  return (
    <Pager
      label={props.label}
      page={pages.page}
      hasNext={nextCursor !== null}
      previous={pages.previous}
      next={() => pages.next(nextCursor!)}
    />
  );
}

/** A choice offered by a filter: a value shown as itself, or a value and what it reads as. */
export type Choice = string | { value: string; label: string };

/** A filter field that offers its choices, and "Any" (or `any`), the empty value, first. */
export function ChoiceFilter(props: {
  label: string;
  any?: string;
  value: string;
  choices: readonly Choice[];
  onChange(value: string): void;
}) {
  return (
    <Field label={props.label}>
      <Select value={props.value} onChange={(_, d) => props.onChange(d.value)}>
        <option value="">{props.any ?? "Any"}</option>
        {props.choices.map((choice) =>
          typeof choice === "string" ? (
            <option key={choice}>{choice}</option>
          ) : (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ),
        )}
      </Select>
    </Field>
  );
}
