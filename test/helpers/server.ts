import { after } from 'node:test';
import { type MockServer, type MockServerOptions, startMockServer } from '../../src/mock/server.ts';

/** A mock server for one test file, closed when the file's tests end. */
export async function mockServer(options: MockServerOptions = {}): Promise<MockServer> {
	const server = await startMockServer(options);
	after(() => server.close());
	return server;
}
