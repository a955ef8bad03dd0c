/** Exit codes, in one place: the README's table is this object, and each error class takes its own from here. */
export const ExitCode = {
	ok: 0,
	someFailed: 1,
	usage: 2,
	aborted: 3,
	/** EX_TEMPFAIL: with --no-wait, batches still run; run the printed command later. */
	pending: 75,
	/** SIGHUP: the terminal closed. */
	hangup: 129,
	interrupted: 130,
	/** stdout was closed before every result was written (`| head`), as a shell reports SIGPIPE. */
	brokenPipe: 141,
	terminated: 143,
} as const;

/**
 * Every failure a user can cause or must act on is one of these classes. Each carries a
 * user-facing message and a hint; the CLI prints them as one stderr line (`errorLine`) and
 * exits with `exitCode`, so no stack trace ever reaches a user for their own mistake.
 */
export abstract class PromptbatchError extends Error {
	abstract readonly exitCode: number;
	readonly hint: string | undefined;

	constructor(message: string, hint?: string) {
		super(message);
		this.name = new.target.name;
		this.hint = hint;
	}
}

/** A flag or argument is wrong. Nothing was sent. */
export class UsageError extends PromptbatchError {
	readonly exitCode = ExitCode.usage;
}

/** Configuration is missing or wrong (API key, base URL). Nothing was sent. */
export class ConfigError extends PromptbatchError {
	readonly exitCode = ExitCode.usage;
}

/** An input record is malformed; the message starts with `file:line:`. Nothing was sent. */
export class InputError extends PromptbatchError {
	readonly exitCode = ExitCode.usage;
	readonly file: string;
	readonly line: number;

	constructor(file: string, line: number, problem: string, hint?: string) {
		super(`${file}:${line}: ${problem}`, hint);
		this.file = file;
		this.line = line;
	}
}

/** `--resume` can't continue: the journal belongs to other input or options. Nothing was sent. */
export class ResumeError extends PromptbatchError {
	readonly exitCode = ExitCode.usage;
}

/** A condition that dooms every request (rejected key, exhausted quota, a full disk): the run stops. */
export class FatalRunError extends PromptbatchError {
	readonly exitCode = ExitCode.aborted;
}

/** The reader of our output went away (`| head`): nothing more can be written, or needs to be. */
export class OutputClosedError extends PromptbatchError {
	readonly exitCode = ExitCode.brokenPipe;
}

/** `--halt` stopped the run after too many failed prompts. */
export class HaltError extends PromptbatchError {
	readonly exitCode = ExitCode.someFailed;
}

/** One line for stderr: what is wrong, then how to fix it. */
export function errorLine(error: PromptbatchError): string {
	return error.hint ? `${error.message} (${error.hint})` : error.message;
}
