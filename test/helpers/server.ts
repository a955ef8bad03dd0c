import { createServer } from 'node:net';
import { after } from 'node:test';
import { type MockServer, type MockServerOptions, startMockServer } from '../../src/mock/server.ts';

/** A mock server for one test file, closed when the file's tests end. */
export async function mockServer(options: MockServerOptions = {}): Promise<MockServer> {
	const server = await startMockServer(options);
	after(() => server.close());
	return server;
}

/** A loopback port that was free a moment ago: for a server that can't take 0, or none at all. */
export async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}
