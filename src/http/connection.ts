/**
 * A request that got no HTTP answer: the connection was refused, the name did not resolve, TLS
 * failed, or the connection broke, before or during the answer. The message says which, and
 * with which host, since "Connection error." tells a user nothing.
 */
export class ConnectionFailure extends Error {
	override readonly name = 'ConnectionFailure';
	/** The system's code for it, e.g. ECONNREFUSED, ENOTFOUND, ECONNRESET, CERT_HAS_EXPIRED. */
	readonly code: string | null;
	/** Whether every request to this server will meet it too (as against a broken connection). */
	readonly unreachable: boolean;

	constructor(message: string, code: string | null, unreachable: boolean) {
		super(message);
		this.code = code;
		this.unreachable = unreachable;
	}
}

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);
const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED']);

/**
 * What went wrong under a fetch error, found by its cause chain; undefined when it is not a
 * connection problem. `origin` names the server when the error itself doesn't.
 */
export function connectionFailure(error: unknown, origin: string): ConnectionFailure | undefined {
	const causes: { code?: unknown; message?: unknown; hostname?: unknown }[] = [];
	for (
		let e = error as { cause?: unknown } | undefined;
		e && causes.length < 8;
		e = e.cause as typeof e
	)
		causes.push(e as (typeof causes)[number]);
	const root = causes.find((c) => typeof c.code === 'string' && c.code !== '');
	const code = (root?.code as string | undefined) ?? null;
	// undici's word for a body cut short.
	if (causes.some((c) => c.message === 'terminated'))
		return new ConnectionFailure(
			`${origin} closed the connection in the middle of the answer`,
			code,
			false,
		);
	if (code === null) {
		if (causes.some((c) => c.message === 'fetch failed')) {
			const deepest = String(causes.at(-1)?.message ?? 'fetch failed');
			return new ConnectionFailure(`cannot connect to ${origin}: ${deepest}`, null, true);
		}
		return undefined;
	}
	if (code === 'ECONNREFUSED')
		return new ConnectionFailure(
			`connection refused by ${origin}: nothing listens there`,
			code,
			true,
		);
	if (DNS.has(code)) {
		const host = typeof root?.hostname === 'string' ? root.hostname : origin;
		return new ConnectionFailure(`DNS lookup failed for ${host}`, code, true);
	}
	if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT')
		return new ConnectionFailure(`connecting to ${origin} timed out`, code, true);
	if (/^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/.test(code)) {
		const text = String(root?.message ?? code);
		const reason = /SSL routines:[^:]*:([^:]+)/.exec(text)?.[1] ?? text;
		return new ConnectionFailure(`TLS with ${origin} failed: ${reason.trim()}`, code, true);
	}
	if (BROKEN.has(code))
		return new ConnectionFailure(`connection to ${origin} was reset`, code, false);
	if (causes.some((c) => c.message === 'fetch failed'))
		return new ConnectionFailure(
			`connection to ${origin} failed: ${String(root?.message)}`,
			code,
			false,
		);
	return undefined;
}

/** `host:port` of the server, for messages: never its path, query or credentials. */
export function originOf(baseURL: string): string {
	try {
		return new URL(baseURL).host;
	} catch {
		return baseURL;
	}
}
