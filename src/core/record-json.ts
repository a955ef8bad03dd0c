import { Memo } from './memo.ts';
import type { ResultRecord } from './types.ts';

const written = new Memo<ResultRecord, string>();

/**
 * A result record as JSON, made once: the journal and the JSON output both write every record,
 * and serializing it was a tenth of a journaled run's CPU.
 */
export function recordJson(record: ResultRecord): string {
	let json = written.get(record);
	if (json === undefined) {
		json = JSON.stringify(record);
		written.set(record, json);
	}
	return json;
}
