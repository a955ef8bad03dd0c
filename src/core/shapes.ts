import type { Answer, ResultRecord, Usage } from './types.ts';

/**
 * Checks of what we read back from disk (the journal, the cache): a file another version, a
 * crash or a hand edited can hold anything, and a wrong shape must be a miss, not a crash.
 */
export function isUsage(value: unknown): value is Usage {
	const u = value as Record<string, unknown> | null;
	return (
		typeof u === 'object' &&
		u !== null &&
		typeof u.prompt_tokens === 'number' &&
		typeof u.completion_tokens === 'number' &&
		typeof u.total_tokens === 'number'
	);
}

export function isAnswer(value: unknown): value is Answer {
	const a = value as Record<string, unknown> | null;
	return (
		typeof a === 'object' &&
		a !== null &&
		typeof a.response === 'string' &&
		(a.model === null || typeof a.model === 'string') &&
		(a.usage === null || isUsage(a.usage)) &&
		(a.finish_reason === null || typeof a.finish_reason === 'string')
	);
}

export function isResultRecord(value: unknown): value is ResultRecord {
	const r = value as Record<string, unknown> | null;
	if (typeof r !== 'object' || r === null || !Number.isInteger(r.index)) return false;
	const e = r.error as Record<string, unknown> | null;
	const error =
		e === null ||
		(typeof e === 'object' &&
			typeof e.message === 'string' &&
			(e.status === null || typeof e.status === 'number'));
	const answered = e !== null || isAnswer(value);
	return (
		error &&
		answered &&
		typeof r.attempts === 'number' &&
		typeof r.latency_ms === 'number' &&
		typeof r.cached === 'boolean'
	);
}
