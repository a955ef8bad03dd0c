import type { Readable, Writable } from 'node:stream';
import type { ApiRequest, InputFormat, PromptRecord } from '../core/types.ts';
import { type BatchItem, batchLine, type ShardLimits, shardItems } from '../engines/batch/lines.ts';
import { readRecords } from '../input/sources.ts';
import { fileDestination, streamDestination } from '../output/destination.ts';

/** The run tag in `custom_id`s a dry run prints: a real run draws its own. */
const DRY_RUN_TAG = 'dryrun';

/**
 * `--dry-run`: the request bodies, one JSON line each, to `output` or stdout; nothing is sent.
 * With `batch`, the Batch API input lines instead, shard after shard, exactly as they would be
 * uploaded but for the run tag in `custom_id`. Resolves with the number of prompts, and of
 * shards and bytes for a batch.
 */
export async function dryRun(
	files: readonly string[],
	inputFormat: InputFormat | undefined,
	output: string | undefined,
	io: { readonly stdin: Readable; readonly stdout: Writable },
	build: (record: PromptRecord) => ApiRequest,
	batch?: ShardLimits,
): Promise<{ prompts: number; shards: number; bytes: number }> {
	let prompts = 0;
	let bytes = 0;
	const items: BatchItem[] = [];
	const destination = output === undefined ? streamDestination(io.stdout) : fileDestination(output);
	const write = async (text: string) => {
		bytes += Buffer.byteLength(text);
		await destination.write(text);
	};
	try {
		for await (const record of readRecords(files, inputFormat, io.stdin)) {
			const request = build(record);
			prompts++;
			if (batch) items.push({ index: record.index, request });
			else await write(`${JSON.stringify(request.body)}\n`);
		}
		const shards = batch ? shardItems(DRY_RUN_TAG, items, batch) : [];
		for (const shard of shards)
			for (const item of shard.items) await write(`${batchLine(DRY_RUN_TAG, item)}\n`);
		return { prompts, shards: shards.length, bytes };
	} finally {
		await destination.close();
	}
}
