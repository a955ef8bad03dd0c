import type { PromptbatchError } from '../../core/errors.ts';
import type {
	ApiRequest,
	Pricer,
	PromptRecord,
	ResultRecord,
	ResultSource,
} from '../../core/types.ts';
import type { Budget } from '../../cost/budget.ts';
import type { BatchApi } from '../../http/batch-api.ts';
import type { BatchNote } from '../../state/journal.ts';
import type { Ledger } from '../../state/ledger.ts';
import type { ShardLimits } from './lines.ts';

/** What the batch engine is told, what it is given to work with, and how it ends. */

export interface BatchOptions {
	readonly limits: ShardLimits;
	/** Resubmissions of a line that failed in passing (429, 5xx, expired, not run). */
	readonly retries: number;
	/** Between polls; undefined: a few seconds at first, backing off to a minute. */
	readonly pollMs?: number | undefined;
	/** Wait for every batch to end; false (`--no-wait`): submit, collect what is done, return. */
	readonly wait: boolean;
	/** Cancel the run's batches and submit nothing (`--resume --cancel`). */
	readonly cancel?: boolean | undefined;
	/**
	 * When (epoch ms) batches still running are cancelled and the prompts they leave go to
	 * `finish` (`--batch-deadline`). A deadline the journal holds wins: it is the first run's.
	 */
	readonly deadline?: number | undefined;
}

/** How a batch run ended: as a realtime one, or `pending` when batches still run (`--no-wait`). */
export type BatchEnd =
	| { readonly kind: 'complete' | 'interrupted' | 'pending' }
	| { readonly kind: 'aborted' | 'invalid' | 'halted'; readonly error: PromptbatchError };

/** A prompt the deadline left, as the batch engine built it. */
export interface LatePrompt {
	readonly record: PromptRecord;
	readonly request: ApiRequest;
}

export interface BatchDeps {
	readonly build: (record: PromptRecord) => ApiRequest;
	readonly api: BatchApi;
	/** Receives every result once, in input order, as soon as all before it are known. */
	readonly emit: (result: ResultRecord) => void | Promise<void>;
	readonly ledger: Ledger;
	/** What the journal says of batches so far, and where new notes go. */
	readonly previous: readonly BatchNote[];
	readonly note: (note: BatchNote) => void;
	readonly events: { settled(result: ResultRecord, source: ResultSource): void };
	/** Prices an answer at the Batch API's price, for its record's `cost_usd`. */
	readonly price?: Pricer | undefined;
	/** A directory for the input files to upload. */
	readonly workDir: string;
	/** A line for stderr: a batch created, reattached, waiting. */
	readonly log: (line: string) => void;
	/** What progress shows now: every batch's status and counts. */
	readonly status: (text: string) => void;
	readonly redact: (text: string) => string;
	/** `--max-cost`: shards reserve their worst case, settled when collected. */
	readonly budget?: Pick<Budget, 'reservePrefix' | 'settleShard' | 'reached'> | undefined;
	/**
	 * Answers the prompts the deadline left some other way (realtime flex), handing each
	 * result to `settle`; resolves with how that ended.
	 */
	readonly finish?: (
		late: readonly LatePrompt[],
		settle: (index: number, result: ResultRecord) => void,
	) => Promise<BatchEnd>;
}
