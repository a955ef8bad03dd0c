import type { Api, InputFormat, OutputFormat, ServiceTier } from './types.ts';

/** Where requests go without --base-url or $OPENAI_BASE_URL. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * Every default, written once: `--help` shows these and the run applies them. Durations are in
 * milliseconds.
 */
export const DEFAULTS = {
	api: 'chat',
	model: 'gpt-4o-mini',
	concurrency: 8,
	retries: 5,
	timeoutMs: 600_000,
	/** Per attempt with flex processing, which queues: OpenAI's own advice. */
	flexTimeoutMs: 900_000,
	format: 'text',
	graceMs: 5000,
	/** Between progress lines when stderr is not a terminal. */
	progressIntervalMs: 10_000,
	/** Results held for an earlier, slower one: at least this many, else 4 × concurrency. */
	reorderWindow: 1024,
	/** Lines in one Batch API input file: the service's limit. */
	batchSize: 50_000,
	/** Bytes in one Batch API input file: the service takes 200 MB; a margin for multipart. */
	batchBytes: 190_000_000,
} as const satisfies Partial<Record<keyof RunOptions, unknown>> & {
	flexTimeoutMs: number;
	reorderWindow: number;
	batchBytes: number;
};

/**
 * `--halt` in GNU parallel's sense: after `fail` failed prompts (a count, or a percentage of
 * the prompts finished so far, once at least 3 have), stop dispatching; `soon` lets requests in
 * flight finish, `now` aborts them.
 */
export interface HaltPolicy {
	readonly when: 'soon' | 'now';
	readonly count?: number;
	readonly percent?: number;
	/** As the user wrote it, for messages. */
	readonly text: string;
}

/** How every request is shaped. */
export interface RequestOptions {
	/** @default 'chat' (Chat Completions) */
	readonly api: Api;
	readonly model: string;
	/** System prompt (`instructions` on the Responses API). */
	readonly system?: string | undefined;
	/** `{{input}}` is the prompt, `{{name}}` a JSONL record's field. */
	readonly template?: string | undefined;
	readonly temperature?: number | undefined;
	readonly maxTokens?: number | undefined;
	/** Ask for a JSON object response. */
	readonly json?: boolean | undefined;
	/** `service_tier` on every request. @default the server's (auto) */
	readonly serviceTier?: ServiceTier | undefined;
	/** Extra body fields, merged last, so they override everything above. */
	readonly params?: Readonly<Record<string, unknown>> | undefined;
	/**
	 * The server the requests go to: it decides the field `maxTokens` is sent as.
	 * @default $OPENAI_BASE_URL, else OPENAI_BASE_URL
	 */
	readonly baseUrl?: string | undefined;
}

/** Everything a run can be told; the README's Usage section says the same for each flag. */
export interface RunOptions extends Omit<RequestOptions, 'api' | 'model'> {
	/** Input files in order; `-` is stdin. @default stdin */
	readonly files?: readonly string[];
	/** @default by extension (`.jsonl`, `.ndjson`: jsonl), else `lines` */
	readonly inputFormat?: InputFormat | undefined;
	/** @default DEFAULTS.api */
	readonly api?: Api;
	/** @default $PROMPTBATCH_MODEL, else DEFAULTS.model */
	readonly model?: string | undefined;
	/** Requests in flight at most. @default DEFAULTS.concurrency */
	readonly concurrency?: number;
	/** Requests per minute. @default learned from the server's headers */
	readonly rpm?: number | undefined;
	/** Estimated tokens per minute. @default learned from the server's headers */
	readonly tpm?: number | undefined;
	/** Retries of a transient failure. @default DEFAULTS.retries */
	readonly retries?: number;
	/** Per attempt. @default DEFAULTS.timeoutMs, DEFAULTS.flexTimeoutMs with flex */
	readonly timeoutMs?: number;
	/** @default DEFAULTS.format */
	readonly format?: OutputFormat;
	/** With a file, results are also journaled, which makes the run resumable. @default stdout */
	readonly output?: string | undefined;
	/**
	 * Continue the run recorded in the output's journal: send what has no result, or failed
	 * in passing; keep successes and permanent (4xx) failures. Needs `output`.
	 */
	readonly resume?: boolean | undefined;
	/** As `resume`, and send every recorded failure again, permanent ones too. */
	readonly resumeFailed?: boolean | undefined;
	/** Answer identical requests from a response cache: `true` for the default directory. */
	readonly cache?: string | boolean | undefined;
	/** Cache entries older than this are not used, and are deleted. @default no limit */
	readonly cacheTtlMs?: number | undefined;
	/** Stop after too many failed prompts. @default never */
	readonly halt?: HaltPolicy | undefined;
	/** After an interrupt, how long requests in flight may take. @default DEFAULTS.graceMs */
	readonly graceMs?: number;
	/** No progress and no summary on stderr. */
	readonly quiet?: boolean;
	/** A stderr line for every retry and its reason. */
	readonly verbose?: boolean;
	/** Between progress lines when stderr is not a terminal. @default DEFAULTS.progressIntervalMs */
	readonly progressIntervalMs?: number | undefined;
	/** Where to write the run's summary as one JSON object when it ends. @default none */
	readonly summaryJson?: string | undefined;
	/** Write the request bodies instead of sending them (and the estimate on stderr). */
	readonly dryRun?: boolean;
	/** Write what the run would cost instead of sending anything. */
	readonly estimate?: boolean;
	/** Spend at most this many USD: requests are sent only while their worst case fits. @default no cap */
	readonly maxCost?: number | undefined;
	/** A JSON file of prices over the built-in ones: `{"MODEL": {"input", "output", ...}}`. */
	readonly prices?: string | undefined;
	/** Run against the built-in mock server. */
	readonly mock?: boolean;
	/** Send the prompts through the Batch API instead of one request each. */
	readonly batch?: boolean;
	/** Lines in one batch at most. @default DEFAULTS.batchSize */
	readonly batchSize?: number;
	/** Estimated input tokens in one batch at most (the enqueued-token limit). @default none */
	readonly batchTokens?: number | undefined;
	/** Between polls of a batch. @default a few seconds, backing off to a minute */
	readonly pollMs?: number | undefined;
	/** Wait for every batch to end; false: submit, write what is known, and return. @default true */
	readonly wait?: boolean;
	/**
	 * `--batch-deadline`: batches still running this long after the run began are cancelled,
	 * and what they did not answer goes through realtime flex processing. @default none
	 */
	readonly batchDeadlineMs?: number | undefined;
	/** With `resume` and `batch`: cancel the run's batches, keep what they finished. */
	readonly cancel?: boolean;
}

/** The time each attempt may take: flex processing queues, so it is given longer by default. */
export function attemptTimeoutMs(options: Pick<RunOptions, 'timeoutMs' | 'serviceTier'>): number {
	return (
		options.timeoutMs ??
		(options.serviceTier === 'flex' ? DEFAULTS.flexTimeoutMs : DEFAULTS.timeoutMs)
	);
}
