import type {
	Answer,
	ChatMessage,
	Outcome,
	Pricer,
	PromptRecord,
	ResultRecord,
} from '../core/types.ts';

type Input = string | readonly ChatMessage[];

/**
 * The only maker of result records, so that every record, however its prompt ended, has the
 * same fields in the same order: where the prompt is, then how it was answered.
 */
export function resultRecord(
	record: PromptRecord,
	input: Input,
	outcome: Outcome,
	batchId: string | null = null,
	price?: Pricer,
): ResultRecord {
	const { completion, error } = outcome;
	const usage = completion?.usage;
	return {
		...where(record, input),
		response: completion?.text ?? null,
		error,
		model: completion?.model ?? null,
		usage: completion?.usage ?? null,
		finish_reason: completion?.finishReason ?? null,
		attempts: outcome.attempts,
		latency_ms: Math.round(outcome.latencyMs),
		cached: false,
		batch_id: batchId,
		cost_usd:
			completion?.costUsd ??
			(usage && price ? price(completion?.model ?? '', usage, completion?.serviceTier) : null),
		service_tier: completion?.serviceTier ?? null,
	};
}

/** The record of a prompt answered without a request, from an answer given before. */
export function cachedRecord(record: PromptRecord, input: Input, answer: Answer): ResultRecord {
	const { response, model, usage, finish_reason } = answer;
	return {
		...where(record, input),
		response,
		error: null,
		model,
		usage,
		finish_reason,
		attempts: 0,
		latency_ms: 0,
		cached: true,
		batch_id: null,
		// Nothing was paid for it in this run.
		cost_usd: 0,
		service_tier: null,
	};
}

/**
 * The record of a prompt whose result an earlier run recorded (`--resume`): the result is
 * the journal's, where the prompt is (id, file, line) is the input's as it is now.
 */
export function resumedRecord(
	record: PromptRecord,
	input: Input,
	previous: ResultRecord,
): ResultRecord {
	const { response, error, model, usage, finish_reason, attempts, latency_ms, cached } = previous;
	return {
		...where(record, input),
		response,
		error,
		model,
		usage,
		finish_reason,
		attempts,
		latency_ms,
		cached,
		batch_id: previous.batch_id ?? null,
		cost_usd: previous.cost_usd ?? null,
		service_tier: previous.service_tier ?? null,
	};
}

function where(record: PromptRecord, input: Input) {
	return {
		index: record.index,
		id: record.id ?? record.index,
		file: record.file,
		line: record.line,
		input,
	};
}
