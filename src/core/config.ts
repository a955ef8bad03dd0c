import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { ConfigError } from './errors.ts';
import { DEFAULTS, OPENAI_BASE_URL } from './options.ts';

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
	/** Trimmed; undefined for a local server that needs none (no Authorization header). */
	readonly apiKey: string | undefined;
	readonly baseURL: string | undefined;
	readonly organization: string | undefined;
	readonly project: string | undefined;
}

/** Where requests go: `--base-url`, else $OPENAI_BASE_URL, else OpenAI. */
export function targetBaseURL(baseUrl: string | undefined, env: Environment): string {
	return baseUrl ?? (env.OPENAI_BASE_URL || OPENAI_BASE_URL);
}

/**
 * The connection the environment and `--base-url` describe. Throws ConfigError for a key or
 * URL no request could succeed with: nothing is sent with them.
 */
export function resolveConnection(env: Environment, baseUrl: string | undefined): Connection {
	const baseURL = baseUrl ?? (env.OPENAI_BASE_URL || undefined);
	const url = baseURL === undefined ? undefined : parseBaseURL(baseURL);
	// A key from a Kubernetes secret or a quoted .env value often ends in a newline or a space.
	const apiKey = env.OPENAI_API_KEY?.trim() || undefined;
	if (apiKey === undefined && !(url && isLoopback(url))) {
		throw new ConfigError(
			'OPENAI_API_KEY is not set',
			'export OPENAI_API_KEY=sk-... or put OPENAI_API_KEY=sk-... in .env; a server on this machine (--base-url http://localhost:...) needs none, nor does --mock',
		);
	}
	if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) {
		throw new ConfigError(
			'OPENAI_API_KEY is malformed: it holds spaces or characters that are not plain ASCII',
			'copy the key again from where it was issued',
		);
	}
	return {
		apiKey,
		baseURL,
		organization: env.OPENAI_ORG_ID?.trim() || undefined,
		project: env.OPENAI_PROJECT_ID?.trim() || undefined,
	};
}

/** What a user should know about a connection before anything is sent over it. */
export function connectionWarnings(connection: Connection): string[] {
	const url = connection.baseURL === undefined ? undefined : new URL(connection.baseURL);
	if (url?.protocol === 'http:' && !isLoopback(url) && connection.apiKey !== undefined)
		return [
			`--base-url ${url.origin} is plain http: the API key travels in clear text; use https://`,
		];
	return [];
}

function parseBaseURL(text: string): URL {
	let url: URL | undefined;
	try {
		url = new URL(text);
	} catch {
		url = undefined;
	}
	if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
		throw new ConfigError(
			`invalid base URL ${JSON.stringify(text)}`,
			'give an http:// or https:// URL, e.g. http://localhost:8000/v1',
		);
	}
	if (url.username !== '' || url.password !== '') {
		throw new ConfigError(
			'the base URL holds credentials (user:password@), which would show in messages',
			'give the key in OPENAI_API_KEY, and the URL without them',
		);
	}
	return url;
}

function isLoopback(url: URL): boolean {
	const host = url.hostname;
	return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Replaces every secret in a text, so that nothing we print or write can leak one, in any form
 * it can take there: as given, trimmed, and as a URL or Basic auth header would carry it.
 */
export function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
	const forms = new Set<string>();
	for (const secret of secrets) {
		const trimmed = secret?.trim();
		if (trimmed === undefined || trimmed.length < 4) continue;
		forms.add(secret as string);
		forms.add(trimmed);
		forms.add(encodeURIComponent(trimmed));
		forms.add(Buffer.from(trimmed).toString('base64').replace(/=+$/, ''));
	}
	// Longest first, so that a form inside another is not replaced half.
	const values = [...forms].sort((a, b) => b.length - a.length);
	if (values.length === 0) return (text) => text;
	return (text) => values.reduce((out, secret) => out.replaceAll(secret, '[redacted]'), text);
}
