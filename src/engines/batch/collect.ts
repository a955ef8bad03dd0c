import { FatalRunError } from '../../core/errors.ts';
import type { ApiRequest, PromptRecord } from '../../core/types.ts';
import type { BatchApi, BatchInfo } from '../../http/batch-api.ts';
import { indexOfCustomId } from './lines.ts';
import { type LineOutcome, notRun, readResultLine } from './reconcile.ts';
import type { Active } from './submit.ts';

/**
 * Every line of an ended batch, by prompt index: from its output and error files, matched by
 * `custom_id` (never by counts), and for a line in neither file, not run.
 */
export async function readOutcomes(
	run: string,
	batch: Active,
	info: BatchInfo,
	api: BatchApi,
	prompts: ReadonlyMap<number, { request: ApiRequest }>,
): Promise<Map<number, LineOutcome>> {
	const outcomes = new Map<number, LineOutcome>();
	const mine = new Set(batch.indexes);
	for (const fileId of [info.outputFileId, info.errorFileId]) {
		if (fileId === undefined) continue;
		for await (const text of api.lines(fileId)) {
			const line = readResultLine(
				text,
				(id) => prompts.get(indexOfCustomId(run, id) ?? 0)?.request.api,
			);
			const index = line && indexOfCustomId(run, line.customId);
			if (line && index !== undefined && mine.has(index)) outcomes.set(index, line.outcome);
		}
	}
	for (const index of batch.indexes)
		if (!outcomes.has(index)) outcomes.set(index, notRun(info.status));
	return outcomes;
}

/** A batch that failed validation: the server's reason, and the input line it names. */
export function validationFailure(
	info: BatchInfo,
	batch: Active,
	prompts: ReadonlyMap<number, { record: PromptRecord }>,
): FatalRunError {
	const first = info.errors[0];
	const record = first?.line ? prompts.get(batch.indexes[first.line - 1] ?? 0)?.record : undefined;
	const where = record ? ` (${record.file}:${record.line})` : '';
	return new FatalRunError(
		`batch ${info.id} failed validation: ${first?.code ? `[${first.code}] ` : ''}${first?.message ?? 'no reason given'}${where}`,
		'fix what the message names; the failed batch cost nothing',
	);
}
