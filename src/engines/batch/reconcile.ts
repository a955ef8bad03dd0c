import type { Api, Completion, ErrorInfo } from '../../core/types.ts';
import { parseCompletion } from '../../http/response.ts';

/** How one line of a batch ended, judged from the output or error file. */
export type LineOutcome =
	| { readonly completion: Completion; readonly error: null; readonly retry: false }
	| { readonly completion: null; readonly error: ErrorInfo; readonly retry: boolean };

/** What a request that ran in no file gets: expired and cancelled batches leave such lines. */
export function notRun(status: string): LineOutcome {
	return {
		completion: null,
		error: {
			status: null,
			type: status === 'cancelled' ? 'cancelled' : 'not_run',
			code: null,
			message: `the batch ended ${status} before this request ran`,
		},
		retry: status !== 'cancelled',
	};
}

/**
 * Reads one output or error line: success only with a 2xx `status_code` (a body alone is no
 * evidence); an HTTP error with its fields from `response.body.error`, retried for 408, 429 and
 * 5xx; a non-HTTP error (`batch_expired`), retried. Undefined for a line that is not JSON.
 */
export function readResultLine(
	text: string,
	api: (customId: string) => Api | undefined,
): { customId: string; outcome: LineOutcome } | undefined {
	let line: {
		custom_id?: unknown;
		response?: { status_code?: unknown; body?: unknown } | null;
		error?: { code?: unknown; message?: unknown } | null;
	};
	try {
		line = JSON.parse(text);
	} catch {
		return undefined;
	}
	if (typeof line?.custom_id !== 'string') return undefined;
	const customId = line.custom_id;
	const status = line.response?.status_code;
	if (typeof status !== 'number') {
		const code = typeof line.error?.code === 'string' ? line.error.code : null;
		const message = typeof line.error?.message === 'string' ? line.error.message : 'no result';
		return {
			customId,
			outcome: {
				completion: null,
				error: { status: null, type: 'batch_error', code, message },
				retry: true,
			},
		};
	}
	if (status >= 200 && status < 300) {
		try {
			const completion = parseCompletion(api(customId) ?? 'chat', line.response?.body);
			return { customId, outcome: { completion, error: null, retry: false } };
		} catch (error) {
			const info = {
				status,
				type: 'invalid_response',
				code: null,
				message: (error as Error).message,
			};
			return { customId, outcome: { completion: null, error: info, retry: true } };
		}
	}
	const body = (line.response?.body ?? {}) as {
		error?: { type?: unknown; code?: unknown; message?: unknown };
	};
	const error: ErrorInfo = {
		status,
		type: typeof body.error?.type === 'string' ? body.error.type : null,
		code: typeof body.error?.code === 'string' ? body.error.code : null,
		message: typeof body.error?.message === 'string' ? body.error.message : `status ${status}`,
	};
	const retry = status === 408 || status === 429 || status >= 500;
	return { customId, outcome: { completion: null, error, retry } };
}
