/**
 * Every failure a user can cause or must act on is one of these classes. Each carries a
 * user-facing message and a hint; the CLI turns them into one stderr line and an exit code
 * (see `exitCodeFor`), so no stack trace ever reaches a user for their own mistake.
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
	readonly exitCode = 2;
}

/** Configuration is missing or wrong (API key, base URL). Nothing was sent. */
export class ConfigError extends PromptbatchError {
	readonly exitCode = 2;
}

/** An input record is malformed; the message starts with `file:line:`. Nothing was sent. */
export class InputError extends PromptbatchError {
	readonly exitCode = 2;
	readonly file: string;
	readonly line: number;

	constructor(file: string, line: number, problem: string, hint?: string) {
		super(`${file}:${line}: ${problem}`, hint);
		this.file = file;
		this.line = line;
	}
}

/** A condition that dooms every request (rejected key, exhausted quota): the run stops. */
export class FatalRunError extends PromptbatchError {
	readonly exitCode = 3;
}

/** `--resume` can't continue: the journal belongs to other input or options. Nothing was sent. */
export class ResumeError extends PromptbatchError {
	readonly exitCode = 2;
}

/** `--halt` stopped the run after too many failed prompts. */
export class HaltError extends PromptbatchError {
	readonly exitCode = 1;
}

/** Exit codes, in one place: the README's table is this object. */
export const ExitCode = {
	ok: 0,
	someFailed: 1,
	usage: 2,
	aborted: 3,
	interrupted: 130,
	terminated: 143,
} as const;

/** One line for stderr: what is wrong, then how to fix it. */
export function describeError(error: PromptbatchError): string {
	return error.hint ? `${error.message} (${error.hint})` : error.message;
}
