import { once } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { FatalRunError, OutputClosedError, UsageError } from '../core/errors.ts';

/** Where formatted text goes: stdout, or a file. */
export interface Destination {
	write(text: string): void | Promise<void>;
	close(): void | Promise<void>;
}

/**
 * A stream (stdout), waited on when full so that a slow reader holds the run back. The stream's
 * errors are caught while it is in use: a reader that went away (EPIPE) is an
 * OutputClosedError, anything else a FatalRunError, each at the next write.
 */
export function streamDestination(stream: Writable): Destination {
	let failure: unknown;
	const onError = (error: unknown) => {
		failure ??= error;
	};
	stream.on('error', onError);
	return {
		async write(text) {
			if (failure !== undefined) throw streamError(failure);
			try {
				if (!stream.write(text)) await once(stream, 'drain');
			} catch (error) {
				throw streamError(failure ?? error);
			}
		},
		close() {
			stream.off('error', onError);
		},
	};
}

function streamError(error: unknown): OutputClosedError | FatalRunError {
	const { code, message } = error as NodeJS.ErrnoException;
	if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED')
		return new OutputClosedError('the output was closed before every result was written');
	return new FatalRunError(
		`cannot write the output: ${message}`,
		code === 'ENOSPC'
			? 'the disk is full: make room, or send the results elsewhere'
			: 'check where stdout goes',
	);
}

/**
 * A file, truncated now (so an unwritable path is refused before anything is sent) and written
 * synchronously, so that a failure (a full disk) surfaces at the record that met it.
 */
export function fileDestination(path: string): Destination {
	let fd: number;
	try {
		fd = openSync(path, 'w');
	} catch (error) {
		throw new UsageError(
			`cannot write ${path}: ${(error as Error).message}`,
			'check that its directory exists and is writable',
		);
	}
	return {
		write(text) {
			try {
				writeSync(fd, text);
			} catch (error) {
				throw new FatalRunError(
					`cannot write ${path}: ${(error as Error).message}`,
					'make room or fix permissions, then rerun with --resume',
				);
			}
		},
		close() {
			try {
				closeSync(fd);
			} catch (error) {
				throw new FatalRunError(
					`cannot write ${path}: ${(error as Error).message}`,
					'make room or fix permissions, then rerun with --resume',
				);
			}
		},
	};
}
