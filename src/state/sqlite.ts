import { UsageError } from '../core/errors.ts';

/**
 * node:sqlite, without the ExperimentalWarning Node 22 prints at its import (Node 24 prints
 * none): stderr is for what the user needs to know. Other warnings pass.
 */
export async function loadSqlite(): Promise<typeof import('node:sqlite')> {
	const emitWarning = process.emitWarning;
	process.emitWarning = ((warning: string | Error, ...rest: never[]) => {
		if (!String(warning).includes('SQLite is an experimental feature'))
			emitWarning.call(process, warning, ...rest);
	}) as typeof process.emitWarning;
	try {
		return await import('node:sqlite');
	} catch (error) {
		throw new UsageError(
			`--cache needs node:sqlite, which Node.js ${process.versions.node} does not have: ${(error as Error).message}`,
			'use Node.js 22.13 or later (24 is what promptbatch is tested on)',
		);
	} finally {
		process.emitWarning = emitWarning;
	}
}
