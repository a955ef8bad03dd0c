import type { HaltPolicy } from '../../core/options.ts';

/** A percentage is judged once this many prompts have finished: 1 of 1 is not 100% failing. */
const MIN_FOR_PERCENT = 3;

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
