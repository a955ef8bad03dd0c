import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import type { HaltPolicy } from '../core/options.ts';

// Flag values, parsed and checked: commander reports what these throw as a usage error (exit 2).

export function duration(value: string): number {
	const ms = parseDuration(value);
	if (ms === undefined || ms <= 0 || !Number.isFinite(ms))
		throw new InvalidArgumentError('expected a duration such as 90s, 30m, 12h or 7d');
	return ms;
}

export function halt(value: string) {
	try {
		return parseHalt(value);
	} catch (error) {
		throw new InvalidArgumentError((error as UsageError).hint ?? (error as Error).message);
	}
}

/** `@FILE` is the file's text, without its final line breaks (as `$(cat FILE)`); else the text. */
export function textOrFile(value: string): string {
	if (!value.startsWith('@')) return value;
	const path = value.slice(1);
	try {
		return readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		const why = code === 'ENOENT' ? 'no such file' : (error as Error).message;
		throw new InvalidArgumentError(`cannot read ${path}: ${why}`);
	}
}

/** `-s`: as `textOrFile`, but never empty, which would send an empty system message. */
export function systemPrompt(value: string): string {
	const text = textOrFile(value);
	if (text.trim() === '')
		throw new InvalidArgumentError(
			`${value.startsWith('@') ? `${value.slice(1)} is empty` : 'the system prompt is empty'}: leave -s out to send none`,
		);
	return text;
}

/** A whole number from `min` to `max`. */
export function integerIn(min: number, max: number) {
	return (value: string): number => {
		const n = Number(value);
		if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
			throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
		return n;
	};
}

/** A number above `min`, and at most `max`. */
export function numberAbove(min: number, max: number) {
	return (value: string): number => {
		const n = Number(value);
		if (value.trim() === '' || !Number.isFinite(n) || n <= min || n > max)
			throw new InvalidArgumentError(`expected a number above ${min} and at most ${max}`);
		return n;
	};
}

export function numberIn(min: number, max: number) {
	return (value: string): number => {
		const n = Number(value);
		if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
			throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
		}
		return n;
	};
}

/** `-p key=value`, repeatable: the value as JSON if it parses, else as a string; dots nest keys. */
export function collectParam(
	pair: string,
	previous: Record<string, unknown> | undefined,
): Record<string, unknown> {
	const at = pair.indexOf('=');
	if (at <= 0)
		throw new InvalidArgumentError(
			'expected key=value, e.g. -p top_p=0.9 or -p reasoning.effort=low',
		);
	const raw = pair.slice(at + 1);
	let value: unknown;
	try {
		value = JSON.parse(raw);
	} catch {
		value = raw;
	}
	const params: Record<string, unknown> = structuredClone(previous ?? {});
	const keys = pair.slice(0, at).split('.');
	if (keys.some((key) => key === '' || key === '__proto__'))
		throw new InvalidArgumentError(
			`no body field can be called ${JSON.stringify(pair.slice(0, at))}`,
		);
	let node = params;
	for (const key of keys.slice(0, -1)) {
		if (!Object.hasOwn(node, key) || node[key] === null || typeof node[key] !== 'object')
			node[key] = {};
		node = node[key] as Record<string, unknown>;
	}
	node[keys.at(-1) as string] = value;
	return params;
}

/** `--halt` as GNU parallel writes it: `soon,fail=3`, `now,fail=10%`, `never`. */
export function parseHalt(text: string): HaltPolicy | undefined {
	if (text === 'never') return undefined;
	const match = /^(soon|now),fail=(\d+(?:\.\d+)?)(%)?$/.exec(text);
	const amount = Number(match?.[2]);
	if (
		!match ||
		(match[3] ? amount <= 0 || amount > 100 : !Number.isInteger(amount) || amount < 1)
	) {
		throw new UsageError(
			`invalid --halt ${JSON.stringify(text)}`,
			'write soon,fail=N, soon,fail=P%, now,fail=N, now,fail=P% or never',
		);
	}
	const when = match[1] as HaltPolicy['when'];
	return match[3] ? { when, percent: amount, text } : { when, count: amount, text };
}
