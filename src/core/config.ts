import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { ConfigError } from './errors.ts';
import { DEFAULTS } from './options.ts';

export interface Environment {
	readonly [name: string]: string | undefined;
}

/**
 * The environment with `.env` from `cwd` underneath: a variable already set always wins.
 * dotenv's `parse` is pure; its `config()` would log to stderr (and in debug mode to stdout)
 * and write into process.env, none of which we want.
 */
export function withDotenv(env: Environment, cwd: string): Environment {
	let text: string;
	try {
		text = readFileSync(join(cwd, '.env'), 'utf8');
	} catch {
		return env;
	}
	return { ...parse(text), ...env };
}

/** The model when `-m` is not given. */
export function defaultModel(env: Environment): string {
	return env.PROMPTBATCH_MODEL || DEFAULTS.model;
}

/** How to reach the server. */
export interface Connection {
	readonly apiKey: string;
	readonly baseURL: string | undefined;
	readonly organization: string | undefined;
	readonly project: string | undefined;
}

export function resolveConnection(env: Environment, baseUrl: string | undefined): Connection {
	const apiKey = env.OPENAI_API_KEY;
	if (!apiKey) {
		throw new ConfigError(
			'OPENAI_API_KEY is not set',
			'export OPENAI_API_KEY=sk-... or put OPENAI_API_KEY=sk-... in .env; a server that needs no key accepts any value; --mock needs none',
		);
	}
	const baseURL = baseUrl ?? (env.OPENAI_BASE_URL || undefined);
	if (baseURL !== undefined && !/^https?:\/\/[^/]/i.test(baseURL)) {
		throw new ConfigError(
			`invalid base URL ${JSON.stringify(baseURL)}`,
			'give an http:// or https:// URL, e.g. http://localhost:8000/v1',
		);
	}
	return {
		apiKey,
		baseURL,
		organization: env.OPENAI_ORG_ID || undefined,
		project: env.OPENAI_PROJECT_ID || undefined,
	};
}

/** Replaces every secret in a text, so that nothing we print or write can leak one. */
export function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
	const values = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
	if (values.length === 0) return (text) => text;
	return (text) => values.reduce((out, secret) => out.replaceAll(secret, '[redacted]'), text);
}
