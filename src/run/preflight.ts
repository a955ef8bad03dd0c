import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { UsageError } from '../core/errors.ts';
import type { ApiRequest, InputFormat, PromptRecord } from '../core/types.ts';
import { readRecords, STDIN } from '../input/sources.ts';

/**
 * Reads every named file and builds every request before the first is sent: a typo on line
 * 90,000 must not cost 89,999 requests. stdin can't be read twice, so it is checked as it
 * streams. Returns the number of prompts when that is known (no stdin among the sources).
 * `check` sees each request only when its index is the real run's (no stdin before it).
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

/** Writing the output would truncate an input before it is read: refuse, as `sort -o` would not. */
export function refuseOverwritingInput(output: string, files: readonly string[]): void {
	const target = identity(output);
	if (target === undefined) return;
	const input = files.find((file) => file !== STDIN && identity(file) === target);
	if (input !== undefined) {
		throw new UsageError(
			`-o ${output} is also an input file (${input}); writing it would destroy the input`,
			'write the results to another file',
		);
	}
}

function identity(path: string): string | undefined {
	try {
		const { dev, ino } = statSync(path);
		return `${dev}:${ino}`;
	} catch {
		return undefined;
	}
}
