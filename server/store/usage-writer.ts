import { GroupCommit } from "../util/group-commit.ts";
import type { UsageRepository, UsageRow } from "./usage-repository.ts";

/** 13 columns a row: 3,328 parameters an INSERT, well within SQLite's and PostgreSQL's limits. */
export const MAX_ROWS_PER_INSERT = 256;

/**
 * Writes the ledger with group commit: the rows recorded in one turn of the event loop go to the
 * database in one INSERT. Keeps, per token, the cost of its rows not yet committed, for budgets.
 */
export class UsageWriter {
  readonly #commits: GroupCommit<UsageRow>;
  readonly #uncommitted = new Map<string, { rows: number; costNanoUsd: number }>();

  constructor(usage: UsageRepository) {
    this.#commits = new GroupCommit((rows) => usage.insertMany(rows), MAX_ROWS_PER_INSERT);
  }

  /** Resolves once the row is committed; rejects, with the rows written with it, if it is not. */
  async write(row: UsageRow): Promise<void> {
    this.#count(row.token_id, 1, row.cost_nano_usd);
    try {
      await this.#commits.add(row);
    } finally {
      this.#count(row.token_id, -1, -row.cost_nano_usd);
    }
  }

  /** The cost in nano-dollars of a token's rows queued or being written. */
  uncommittedNanoUsd(tokenId: string): number {
    return this.#uncommitted.get(tokenId)?.costNanoUsd ?? 0;
  }

  /** Writes every queued row; the rows of a failed write are reported to their writers only. */
  flush(): Promise<void> {
    return this.#commits.flush();
  }

  #count(tokenId: string, rows: number, costNanoUsd: number): void {
    const sum = this.#uncommitted.get(tokenId) ?? { rows: 0, costNanoUsd: 0 };
    sum.rows += rows;
    sum.costNanoUsd += costNanoUsd;
    if (sum.rows === 0) this.#uncommitted.delete(tokenId);
    else this.#uncommitted.set(tokenId, sum);
  }
}
