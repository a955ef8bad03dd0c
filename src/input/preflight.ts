import type { Readable } from 'node:stream';
import type { ApiRequest } from '../requests/build.ts';
import type { InputFormat, PromptRecord } from './records.ts';
import { readRecords, STDIN } from './sources.ts';

/**
 * Reads every named file and builds every request before the first is sent: a typo on line
 * 90,000 must not cost 89,999 requests. stdin can't be read twice, so it is checked as it
 * streams. Returns the number of prompts when that is known (no stdin among the sources).
 */
export async function preflight(
	files: readonly string[],
	inputFormat: InputFormat | undefined,
	stdin: Readable,
	build: (record: PromptRecord) => ApiRequest,
	check?: (record: PromptRecord, request: ApiRequest) => void,
): Promise<number | undefined> {
	const named = files.filter((file) => file !== STDIN);
	// Indexes only match the real run's when no stdin comes between the files.
	const positional = named.length === files.length;
	let total = 0;
	for await (const record of readRecords(named, inputFormat, stdin)) {
		const request = build(record);
		if (positional) check?.(record, request);
		total++;
	}
	return positional ? total : undefined;
}
