import type { ChatMessage, PromptRecord } from '../input/records.ts';
import type { Usage } from '../requests/response.ts';
import type { ErrorInfo } from '../scheduling/retry.ts';

/**
 * One output record per input record, success or failure alike (failures have the same shape,
 * with `response: null` and `error` set). The README's "Output" section documents each field;
 * keep the two in step, since scripts parse this.
 */
export interface ResultRecord {
	readonly index: number;
	readonly id: string | number;
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
}

export function resultRecord(
	record: PromptRecord,
	input: ResultRecord['input'],
	fields: Pick<
		ResultRecord,
		'response' | 'error' | 'model' | 'usage' | 'finish_reason' | 'attempts' | 'latency_ms'
	>,
	cached = false,
): ResultRecord {
	return {
		index: record.index,
		id: record.id ?? record.index,
		file: record.file,
		line: record.line,
		input,
		...fields,
		cached,
	};
}

/** The record of a prompt answered without a request, from an answer given before. */
export function cachedResult(
	record: PromptRecord,
	input: ResultRecord['input'],
	answer: Pick<ResultRecord, 'response' | 'model' | 'usage' | 'finish_reason'>,
): ResultRecord {
	const { response, model, usage, finish_reason } = answer;
	return resultRecord(
		record,
		input,
		{ response, error: null, model, usage, finish_reason, attempts: 0, latency_ms: 0 },
		true,
	);
}
