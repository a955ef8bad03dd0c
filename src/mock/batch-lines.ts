import { parseDirectives } from './faults.ts';
import { apiError, chatBody, promptOf, responsesBody } from './responses.ts';

/** The prompt of a batch input line, as the realtime routes read a body's. */
export function promptOfLine(line: Record<string, unknown>): string {
	return promptOf((line.body ?? {}) as Record<string, unknown>);
}

/** Input tokens of some lines, counted as the mock counts them: characters / 4. */
export function tokensOf(lines: Record<string, unknown>[]): number {
	return lines.reduce((sum, line) => sum + Math.ceil(promptOfLine(line).length / 4), 0);
}

/**
 * One line's `response` in an output or error file: the echo of its prompt, or the status a
 * `[[fault:...]]` directive scripts for this `attempt` (its submissions so far).
 */
export function answerLine(
	line: Record<string, unknown>,
	attempt: number,
	requestId: string,
): { status_code: number; request_id: string; body: unknown } {
	const body = line.body as Record<string, unknown>;
	const prompt = promptOfLine(line);
	const directives = parseDirectives(prompt);
	const fault =
		directives.fault && attempt <= directives.fault.times ? directives.fault.kind : undefined;
	const scripted = ['400', '404', '429', '500', '503'];
	const status = fault !== undefined && scripted.includes(fault) ? Number(fault) : 200;
	const tokens = Math.ceil(prompt.length / 4);
	return {
		status_code: status,
		request_id: requestId,
		body:
			status !== 200
				? apiError(
						`Scripted ${status}.`,
						status >= 500 ? 'server_error' : 'invalid_request_error',
						null,
					)
				: String(line.url).endsWith('/responses')
					? responsesBody(body, prompt, tokens)
					: chatBody(body, prompt, tokens),
	};
}

/**
 * Why a batch fails validation, as `errors.data[]` says it, or undefined: a full enqueued-token
 * queue, a `[[batch:invalid]]` line, a line whose url is not the batch's, mixed models.
 */
export function validateLines(
	endpoint: string,
	lines: Record<string, unknown>[],
	queue: { readonly queued: number; readonly limit: number } | undefined,
): unknown {
	if (queue && queue.queued + tokensOf(lines) > queue.limit)
		return {
			code: 'token_limit_exceeded',
			message: `Enqueued token limit reached for mock in organization org-mock. Limit: ${queue.limit.toLocaleString('en-US')} enqueued tokens. Please try again once some in_progress batches have been completed.`,
			param: null,
			line: null,
		};
	const scripted = lines.findIndex((line) => promptOfLine(line).includes('[[batch:invalid]]'));
	if (scripted !== -1)
		return {
			code: 'invalid_value',
			message: 'Scripted validation failure.',
			param: 'body',
			line: scripted + 1,
		};
	const url = `/v1${endpoint.replace(/^\/v1/, '')}`;
	const wrong = lines.findIndex((line) => line.url !== url);
	if (wrong !== -1)
		return {
			code: 'invalid_request',
			message: `The url of line ${wrong + 1} does not match the batch endpoint.`,
			param: 'url',
			line: wrong + 1,
		};
	const models = new Set(lines.map((line) => (line.body as { model?: unknown })?.model));
	if (models.size > 1)
		return {
			code: 'model_mismatch',
			message: 'All lines in a batch must use the same model.',
			param: 'body.model',
			line: null,
		};
	return undefined;
}
