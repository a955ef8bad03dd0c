import type { BatchInfo } from '../../http/batch-api.ts';
import { formatDuration } from '../../terminal/progress-text.ts';

/**
 * A batch run's progress in one line: each batch's status and counts, then the whole run's,
 * and the time since it started: `batch_a in_progress 117 completed, 3 failed of 500, batch_b
 * finalizing; 420/800 done, 3 failed; elapsed 4m10s`. `finalizing` is shown as such, never as
 * all done.
 */
export function describeBatches(
	batches: ReadonlyMap<string, BatchInfo>,
	elapsedMs: number,
): string {
	let done = 0;
	let failed = 0;
	let total = 0;
	const each: string[] = [];
	for (const info of batches.values()) {
		const finished = info.counts.completed + info.counts.failed;
		done += finished;
		failed += info.counts.failed;
		total += info.counts.total;
		const { completed, failed: bad, total: all } = info.counts;
		const counts =
			info.status === 'finalizing' ? '' : ` ${completed} completed, ${bad} failed of ${all}`;
		each.push(`${info.id} ${info.status}${counts}`);
	}
	const shown = each.length > 4 ? [...each.slice(0, 4), `${each.length - 4} more`] : each;
	return `${shown.join(', ')}; ${done}/${total} done, ${failed} failed; elapsed ${formatDuration(elapsedMs / 1000)}`;
}
