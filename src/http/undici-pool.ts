import { createRequire, Module } from 'node:module';
import type { Dispatcher, Agent as UndiciAgent } from 'undici';

export type Send = (
	this: Dispatcher,
	options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

/**
 * Only undici's pool and its `request`, not its index: the index loads fetch, WebSocket, the
 * cache and mocks too, 110 modules and 15 MB of memory that a run never uses. undici has no
 * exports map, so the paths are reachable; should a later undici move them, the index serves.
 */
export function undiciPool(): { Agent: typeof UndiciAgent; send: Send } {
	const require = createRequire(import.meta.url);
	const http2 = deferHttp2(require);
	try {
		return {
			Agent: require('undici/lib/dispatcher/agent.js'),
			send: require('undici/lib/api/api-request.js'),
		};
	} catch {
		http2?.undo();
		const { Agent } = require('undici') as typeof import('undici');
		return { Agent, send: Agent.prototype.request as Send };
	}
}

/**
 * undici's HTTP/1.1 client loads its HTTP/2 one as it loads, and with it node:http2 and
 * node:tls: 3-4 MB of the peak RSS of 10,000 prompts, for a protocol our pool never asks for
 * (undici offers HTTP/2 only with allowH2). So that module is cached first as a stand-in, which
 * loads the real one should it ever be called. Undone if undici's files are not where they were.
 */
function deferHttp2(require: NodeJS.Require): { undo: () => void } | undefined {
	let path: string;
	try {
		path = require.resolve('undici/lib/dispatcher/client-h2.js');
	} catch {
		return undefined;
	}
	if (require.cache[path]) return undefined;
	let real: ((...args: unknown[]) => unknown) | undefined;
	const standIn = new Module(path);
	standIn.filename = path;
	standIn.loaded = true;
	standIn.exports = function connectH2(this: unknown, ...args: unknown[]) {
		if (!real) {
			delete require.cache[path];
			real = require(path) as (...args: unknown[]) => unknown;
		}
		return real.apply(this, args);
	};
	require.cache[path] = standIn;
	return {
		undo: () => {
			if (require.cache[path] === standIn) delete require.cache[path];
		},
	};
}
