import { FatalRunError, type PromptbatchError, UsageError } from '../../core/errors.ts';

/**
 * A failed call to the Batch API as the user must hear it. Nothing is retried blindly: a
 * creation has no idempotency key, so the next run reattaches rather than pay twice.
 */
export function apiFailure(
	error: unknown,
	redact: (text: string) => string,
): PromptbatchError | undefined {
	const { status, message, name } = error as {
		status?: unknown;
		message?: unknown;
		name?: unknown;
	};
	// Anything else is a bug of ours, and must show as one.
	if (typeof status !== 'number' && !String(name).startsWith('APIConnection')) return undefined;
	const text = redact(String(message ?? error));
	if (status === 404)
		return new UsageError(`the server has no Batch API: ${text}`, 'run without --batch');
	if (status === 401 || status === 403)
		return new FatalRunError(`the Batch API refused the key: ${text}`, 'check OPENAI_API_KEY');
	return new FatalRunError(
		`the Batch API call failed: ${text}`,
		'rerun the same command with --resume: batches already created are collected, not sent again',
	);
}
