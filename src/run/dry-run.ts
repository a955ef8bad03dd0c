import type { Readable, Writable } from 'node:stream';
import { DEFAULTS, type RunOptions } from '../core/options.ts';
import type { ApiRequest, InputFormat, PromptRecord } from '../core/types.ts';
import { type Estimate, estimateText } from '../cost/estimate.ts';
import { type BatchItem, batchLine, type ShardLimits, shardItems } from '../engines/batch/lines.ts';
import { readRecords } from '../input/sources.ts';
import { fileDestination, streamDestination } from '../output/destination.ts';
import { defaultCacheDir } from '../state/cache.ts';
import { acquireLock } from '../state/lock.ts';
import { NO_PROMPTS, type Reporter } from '../terminal/progress.ts';
import { estimator, writeEstimate } from './estimate.ts';
import type { RunIO } from './run.ts';

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
	observe?: (request: ApiRequest) => Promise<void>,
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
			await observe?.(request);
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

/** What a run that sends nothing needs. */
export interface Offline {
	readonly options: RunOptions;
	readonly files: readonly string[];
	readonly io: RunIO;
	readonly build: (record: PromptRecord) => ApiRequest;
	readonly reporter: Reporter;
	/** The model of requests that name none. */
	readonly model: string;
	readonly limits: ShardLimits | undefined;
}

/**
 * `--dry-run` (the bodies on stdout or -o, the estimate on stderr) and `--estimate` (the
 * estimate alone, on stdout): nothing is sent and no key is needed.
 */
export async function sendNothing(run: Offline): Promise<void> {
	const { options, files, io, build, reporter } = run;
	const estimating = options.estimate || !options.quiet;
	const estimate = estimating
		? await estimator(options.prices, run.model, defaultCacheDir(io.env))
		: undefined;
	if (options.estimate && !options.dryRun) {
		let prompts = 0;
		for await (const record of readRecords(files, options.inputFormat, io.stdin)) {
			await estimate?.observe(build(record));
			prompts++;
		}
		if (prompts === 0 && !options.quiet) reporter.warn(NO_PROMPTS);
		writeEstimate(estimate?.result() as Estimate, options.format ?? DEFAULTS.format, io.stdout);
		return;
	}
	const release = options.output === undefined ? undefined : acquireLock(options.output);
	try {
		const done = await dryRun(
			files,
			options.inputFormat,
			options.output,
			io,
			build,
			run.limits,
			estimate?.observe,
		);
		if (done.prompts === 0 && !options.quiet) return reporter.warn(NO_PROMPTS);
		if (options.quiet) return;
		if (run.limits)
			reporter.log(
				`promptbatch: --dry-run --batch: ${done.shards} batch(es), ${done.prompts} lines, ${done.bytes} bytes; nothing was sent`,
			);
		const text = estimateText(estimate?.result() as Estimate);
		for (const line of text.trimEnd().split('\n')) reporter.log(`promptbatch: ${line}`);
	} finally {
		release?.();
	}
}
