import type { Answer, ChatMessage, Outcome, PromptRecord, ResultRecord } from '../core/types.ts';

/**
 * The only maker of result records, so that every record, however its prompt ended, has the
 * same fields in the same order.
 */
export function resultRecord(
	record: PromptRecord,
	input: string | readonly ChatMessage[],
	outcome: Outcome,
): ResultRecord {
	const { completion, error } = outcome;
	return {
		index: record.index,
		id: record.id ?? record.index,
		file: record.file,
		line: record.line,
		input,
		response: completion?.text ?? null,
		error,
		model: completion?.model ?? null,
		usage: completion?.usage ?? null,
		finish_reason: completion?.finishReason ?? null,
		attempts: outcome.attempts,
		latency_ms: Math.round(outcome.latencyMs),
		cached: false,
	};
}

/** The record of a prompt answered without a request, from an answer given before. */
export function cachedRecord(
	record: PromptRecord,
	input: string | readonly ChatMessage[],
	answer: Answer,
): ResultRecord {
	const completion = {
		text: answer.response ?? '',
		model: answer.model,
		usage: answer.usage,
		finishReason: answer.finish_reason,
	};
	return {
		...resultRecord(record, input, { completion, error: null, attempts: 0, latencyMs: 0 }),
		cached: true,
	};
}

/**
 * The record of a prompt whose result an earlier run recorded (`--resume`): the result is
 * the journal's, where the prompt is (id, file, line) is the input's as it is now.
 */
export function resumedRecord(
	record: PromptRecord,
	input: string | readonly ChatMessage[],
	previous: ResultRecord,
): ResultRecord {
	return {
		index: record.index,
		id: record.id ?? record.index,
		file: record.file,
		line: record.line,
		input,
		response: previous.response,
		error: previous.error,
		model: previous.model,
		usage: previous.usage,
		finish_reason: previous.finish_reason,
		attempts: previous.attempts,
		latency_ms: previous.latency_ms,
		cached: previous.cached,
	};
}
