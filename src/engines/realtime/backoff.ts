/** How long to wait before retrying a transient failure. */

/**
 * The longest any server may make us wait at once (retry-after, a rate-limit reset): longer
 * asks are taken for this long, then the server is asked again, so a bad header can't park a
 * run for a day.
 */
export const MAX_WAIT_MS = 600_000;

export interface BackoffOptions {
	/** First delay before jitter. @default 500 */
	readonly baseMs?: number;
	/** Cap on our own backoff. @default 30_000 */
	readonly maxMs?: number;
	/** Cap on a server's hint. @default MAX_WAIT_MS */
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
	const { baseMs = 500, maxMs = 30_000, maxHintMs = MAX_WAIT_MS, random = Math.random } = options;
	const exponential = Math.min(maxMs, baseMs * 2 ** (retry - 1));
	const ours = exponential / 2 + random() * (exponential / 2);
	if (hintMs === undefined) return ours;
	const hint = Math.min(hintMs, maxHintMs);
	return hint + random() * Math.min(1000, hint * 0.1);
}

/** A wait as people say it: 45s, 10m, 30d. */
export function formatWait(ms: number): string {
	const units: [number, string][] = [
		[86_400_000, 'd'],
		[3_600_000, 'h'],
		[60_000, 'm'],
	];
	for (const [size, unit] of units) if (ms >= size) return `${Math.round(ms / size)}${unit}`;
	return `${Math.round(ms / 1000)}s`;
}
