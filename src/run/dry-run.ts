import type { Readable, Writable } from 'node:stream';
import type { ApiRequest, InputFormat, PromptRecord } from '../core/types.ts';
import { readRecords } from '../input/sources.ts';
import { fileDestination, streamDestination } from '../output/destination.ts';

/**
 * `--dry-run`: the request bodies, one JSON line each, to `output` or stdout; nothing is sent.
 * Resolves with the number of prompts.
 */
export async function dryRun(
	files: readonly string[],
	inputFormat: InputFormat | undefined,
	output: string | undefined,
	io: { readonly stdin: Readable; readonly stdout: Writable },
	build: (record: PromptRecord) => ApiRequest,
): Promise<number> {
	let count = 0;
	const destination = output === undefined ? streamDestination(io.stdout) : fileDestination(output);
	try {
		for await (const record of readRecords(files, inputFormat, io.stdin)) {
			await destination.write(`${JSON.stringify(build(record).body)}\n`);
			count++;
		}
	} finally {
		await destination.close();
	}
	return count;
}
