/**
 * The domain's shared types, from an input record to its result record. Every layer speaks
 * these; this file imports nothing, so that any module can depend on it.
 */

export type InputFormat = 'lines' | 'nul' | 'jsonl' | 'json' | 'csv' | 'tsv';
export type OutputFormat = 'text' | 'json' | 'jsonl';
export type Api = 'chat' | 'responses';

/** OpenAI's processing tiers (`service_tier`); flex costs what the Batch API does. */
export type ServiceTier = 'auto' | 'default' | 'flex' | 'priority';

/** A chat message as the user wrote it; sent on unchanged. */
export interface ChatMessage {
	readonly role: string;
	readonly content: unknown;
	readonly [key: string]: unknown;
}

export type Fields = Readonly<Record<string, unknown>>;

/** What one input record asks for, before options (template, system, model) shape it. */
export type Payload =
	/** A prompt text: a line, a NUL item, a JSON string, or an object's `prompt`. */
	| { readonly kind: 'prompt'; readonly prompt: string; readonly fields: Fields }
	/** A JSONL object of template fields and no prompt of its own. */
	| { readonly kind: 'fields'; readonly fields: Fields }
	/** A whole chat. */
	| { readonly kind: 'messages'; readonly messages: readonly ChatMessage[] }
	/** An OpenAI Batch API request line: its body is sent as is. */
	| {
			readonly kind: 'batch';
			readonly url: string;
			readonly body: Readonly<Record<string, unknown>>;
	  };

/**
 * A number kept as the exact text it was written as (a JSON.rawJSON object), because a double
 * would change it: an id past 2^53, say.
 */
export interface ExactNumber {
	readonly rawJSON: string;
}

/** A record's own id, as written. */
export type RecordId = string | number | ExactNumber;

export interface PromptRecord {
	/** 1-based position among the prompts of the whole input (blank lines do not count). */
	readonly index: number;
	/** The file it came from, `-` for stdin. */
	readonly file: string;
	/** The line it starts on in that file. */
	readonly line: number;
	/** The record's own `id` or `custom_id`, if it has one. */
	readonly id: RecordId | undefined;
	readonly payload: Payload;
}

/** One request, ready to send. Built once per record: nothing here is recomputed on retry. */
export interface ApiRequest {
	readonly api: Api;
	readonly path: '/chat/completions' | '/responses';
	readonly body: Readonly<Record<string, unknown>>;
	/** What the record asked, for the output's `input` field. */
	readonly input: string | readonly ChatMessage[];
	readonly estimatedTokens: number;
}

/** Token usage, the same shape for both APIs. */
export interface Usage {
	readonly prompt_tokens: number;
	readonly completion_tokens: number;
	readonly total_tokens: number;
}

/** What we keep of a successful response. */
export interface Completion {
	readonly text: string;
	readonly model: string | null;
	readonly usage: Usage | null;
	readonly finishReason: string | null;
	/**
	 * What the server says the answer cost, in USD (OpenRouter's `usage.cost`, LiteLLM's
	 * `x-litellm-response-cost`): it knows better than a price table.
	 */
	readonly costUsd?: number | undefined;
	/** The tier that served it, as the response says (`service_tier`). */
	readonly serviceTier?: string | undefined;
}

/** The `error` field of an output record. */
export interface ErrorInfo {
	readonly status: number | null;
	readonly type: string | null;
	readonly code: string | null;
	readonly message: string;
}

/** How one prompt's requests ended: its completion or its error, and what that took. */
export type Outcome = {
	readonly attempts: number;
	readonly latencyMs: number;
} & (
	| { readonly completion: Completion; readonly error: null }
	| { readonly completion: null; readonly error: ErrorInfo }
);

/** Where a prompt's result came from. */
export type ResultSource = 'sent' | 'journal' | 'cache';

/**
 * One output record per input record, success or failure alike (failures have the same shape,
 * with `response: null` and `error` set). The README's "Output" section documents each field;
 * keep the two in step, since scripts parse this.
 */
export interface ResultRecord {
	readonly index: number;
	readonly id: RecordId;
	readonly file: string;
	readonly line: number;
	readonly input: string | readonly ChatMessage[];
	readonly response: string | null;
	readonly error: ErrorInfo | null;
	readonly model: string | null;
	readonly usage: Usage | null;
	readonly finish_reason: string | null;
	readonly attempts: number;
	readonly latency_ms: number;
	/** Answered from the response cache (`--cache`) without a request. */
	readonly cached: boolean;
	/** The Batch API batch that answered it (`--batch`); null in realtime runs. */
	readonly batch_id: string | null;
	/** What the answer cost in USD, at the price of the way it was sent; null when unknown. */
	readonly cost_usd: number | null;
	/** The processing tier that served it, as the response says (`service_tier`); null when it says none. */
	readonly service_tier: string | null;
}

/**
 * The cost in USD of an answer's usage by a model, served by a tier (flex costs what a batch
 * does), or null when its price is unknown.
 */
export type Pricer = (model: string, usage: Usage, tier?: string) => number | null;

/** What a successful result keeps of its answer: enough to answer the same request again. */
export type Answer = Pick<ResultRecord, 'response' | 'model' | 'usage' | 'finish_reason'>;
