/** How long to wait before retrying a transient failure. */
export interface BackoffOptions {
	/** First delay before jitter. @default 500 */
	readonly baseMs?: number;
	/** Cap on our own backoff. @default 30_000 */
	readonly maxMs?: number;
	/** Cap on a server's hint, so a bad header can't park the run for a day. @default 600_000 */
	readonly maxHintMs?: number;
	readonly random?: () => number;
}

/**
 * Delay before retry number `retry` (1 for the first). Exponential with "equal jitter" (half
 * fixed, half random), capped; a server's hint wins when it asks for longer, and still gets a
 * little jitter so that every waiting request doesn't return in the same millisecond.
 */
export function backoffDelay(
	retry: number,
	hintMs: number | undefined,
	options: BackoffOptions = {},
): number {
	const { baseMs = 500, maxMs = 30_000, maxHintMs = 600_000, random = Math.random } = options;
	const exponential = Math.min(maxMs, baseMs * 2 ** (retry - 1));
	const ours = exponential / 2 + random() * (exponential / 2);
	if (hintMs === undefined) return ours;
	const hint = Math.min(hintMs, maxHintMs);
	return hint + random() * Math.min(1000, hint * 0.1);
}
