import type { HaltPolicy } from '../../core/options.ts';
import type {
	ApiRequest,
	Pricer,
	PromptRecord,
	ResultRecord,
	ResultSource,
} from '../../core/types.ts';
import type { Budget } from '../../cost/budget.ts';
import type { Transport } from '../../http/transport.ts';
import type { Ledger } from '../../state/ledger.ts';
import type { RequestEvents } from './attempt.ts';
import type { BackoffOptions } from './backoff.ts';

/** How the realtime engine sends: concurrency, retries, pacing, when to stop. */
export interface DispatchOptions {
	/** Requests in flight at most. */
	readonly concurrency: number;
	/** Attempts after the first, for transient failures. */
	readonly retries: number;
	/** How long a prompt keeps retrying while flex processing has no capacity (not counted in `retries`). */
	readonly unavailableMs: number;
	/** Results held for an earlier, slower one before dispatch waits. */
	readonly window: number;
	/** After an interrupt, how long requests in flight may take before they are cancelled. */
	readonly graceMs: number;
	readonly halt?: HaltPolicy | undefined;
	readonly backoff?: BackoffOptions;
	/** Requests per minute; undefined: what the server advertises, if anything. */
	readonly rpm?: number | undefined;
	/** Estimated tokens per minute; undefined: what the server advertises, if anything. */
	readonly tpm?: number | undefined;
}

/** What the engine tells its caller as it goes, for progress and the summary. */
export interface DispatchEvents extends RequestEvents {
	/** A prompt has its result, in the order results arrive. */
	settled(result: ResultRecord, source: ResultSource): void;
	/** The pace requests keep (given, or learned from the server), to read at any time. */
	pacing?(pace: { readonly rpm: number | undefined; readonly tpm: number | undefined }): void;
}

/** What the realtime engine works with: building requests, sending them, where results go. */
export interface DispatchDeps {
	readonly build: (record: PromptRecord) => ApiRequest;
	readonly transport: Transport;
	/** Where the transport sends requests, for messages. */
	readonly baseURL: string;
	/** Receives every result once, in input order. */
	readonly emit: (result: ResultRecord) => void | Promise<void>;
	/** Answers what is already answered (resume, cache) and records what gets answered. */
	readonly ledger?: Ledger | undefined;
	readonly events: DispatchEvents;
	/** `--max-cost`: what each request may cost is reserved before it is sent. */
	readonly budget?: Budget | undefined;
	/** Prices an answer at the realtime price, for its record's `cost_usd`. */
	readonly price?: Pricer | undefined;
	readonly verbose: (line: string) => void;
	/** A warning for the user. */
	readonly warn: (line: string) => void;
	readonly redact: (text: string) => string;
}
