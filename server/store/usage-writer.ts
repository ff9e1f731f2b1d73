import { GroupCommit } from "../util/group-commit.ts";
import type { UsageRepository, UsageRow } from "./usage-repository.ts";

/** 14 columns a row: 3,584 parameters an INSERT, well within SQLite's and PostgreSQL's limits. */
export const MAX_ROWS_PER_INSERT = 256;

interface Queued {
  row: UsageRow;
  /** The budget reservation of the call the row records, released when the row is written. */
  releasing: string | undefined;
}

/**
 * Writes the ledger with group commit: the rows recorded in one turn of the event loop go to the
 * database in one INSERT, with the release of their calls' budget reservations. Until then those
 * reservations stand for the rows' cost in budget checks, on every instance.
 */
export class UsageWriter {
  readonly #commits: GroupCommit<Queued>;

  constructor(usage: UsageRepository) {
    this.#commits = new GroupCommit(
      (queued) =>
        usage.insertMany(
          queued.map((each) => each.row),
          queued.flatMap((each) => (each.releasing === undefined ? [] : [each.releasing])),
        ),
      MAX_ROWS_PER_INSERT,
    );
  }

  /** Resolves once the row is committed; rejects, with the rows written with it, if it is not. */
  write(row: UsageRow, releasing?: string): Promise<void> {
    return this.#commits.add({ row, releasing });
  }

  /** Writes every queued row; the rows of a failed write are reported to their writers only. */
  flush(): Promise<void> {
    return this.#commits.flush();
  }
}
