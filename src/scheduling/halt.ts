import { UsageError } from '../errors.ts';

/**
 * `--halt` in GNU parallel's sense: after `fail` failed prompts (a count, or a percentage of
 * the prompts finished so far, once at least 3 have), stop dispatching; `soon` lets requests in
 * flight finish, `now` aborts them.
 */
export interface HaltPolicy {
	readonly when: 'soon' | 'now';
	readonly count?: number;
	readonly percent?: number;
	/** As the user wrote it, for messages. */
	readonly text: string;
}

const MIN_FOR_PERCENT = 3;

export function parseHalt(text: string): HaltPolicy | undefined {
	if (text === 'never') return undefined;
	const match = /^(soon|now),fail=(\d+(?:\.\d+)?)(%)?$/.exec(text);
	const amount = Number(match?.[2]);
	if (
		!match ||
		(match[3] ? amount <= 0 || amount > 100 : !Number.isInteger(amount) || amount < 1)
	) {
		throw new UsageError(
			`invalid --halt ${JSON.stringify(text)}`,
			'write soon,fail=N, soon,fail=P%, now,fail=N, now,fail=P% or never',
		);
	}
	const when = match[1] as HaltPolicy['when'];
	return match[3] ? { when, percent: amount, text } : { when, count: amount, text };
}

/** Whether `failed` out of `finished` prompts trips the policy. */
export function shouldHalt(
	policy: HaltPolicy | undefined,
	failed: number,
	finished: number,
): boolean {
	if (!policy || failed === 0) return false;
	if (policy.count !== undefined) return failed >= policy.count;
	return finished >= MIN_FOR_PERCENT && (failed / finished) * 100 >= (policy.percent as number);
}
