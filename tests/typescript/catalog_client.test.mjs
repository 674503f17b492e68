// The official TypeScript MCP client (npm @modelcontextprotocol/client 2.x)
// against the real catalog server over Streamable HTTP: one
// `rmcp serve-http --port 0` (no fixtures) on 127.0.0.1 for the file, and one
// client per negotiation mode:
//   - versionNegotiation 'auto' adopts 2026-07-28 (server/discover, no
//     initialize in the server's per-request log);
//   - { pin: '2026-07-28' }: the 54 tools, linear_model (lm(mpg ~ wt, mtcars):
//     slope -5.344), scatter_plot (a PNG image block), rmcp://catalog and the
//     statistical_workflow prompt;
//   - 'legacy' (the client's default): initialize, 54 tools, linear_model.
// Run by tests/typescript/run.sh (`make ts-client`) with `node --test`;
// MCP_CLIENT_DIR is the folder the client package is installed in, RMCP_BIN
// the server binary.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MODERN = '2026-07-28';
const TOOL_COUNT = 54;
const SLOPE = -5.344;
const MTCARS = {
  mpg: [21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4,
    14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7, 15.0, 21.4],
  wt: [2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78, 5.25, 5.424,
    5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14, 1.513, 3.17, 2.77, 3.57, 2.78],
};

// The installed package's ESM entry, found through its package.json (the
// test lives outside the folder it is installed in).
async function importClient() {
  const dir = process.env.MCP_CLIENT_DIR;
  assert.ok(dir, 'MCP_CLIENT_DIR names the folder @modelcontextprotocol/client is installed in');
  const pkgDir = path.join(dir, 'node_modules', '@modelcontextprotocol', 'client');
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const entry = pkg.exports['.'].import.default;
  return { version: pkg.version, ...(await import(pathToFileURL(path.join(pkgDir, entry)).href)) };
}

let sdk;
let server;
let url;
const logLines = [];

before(async () => {
  sdk = await importClient();
  const binary = process.env.RMCP_BIN ?? path.resolve('target/debug/rmcp');
  server = spawn(binary, ['serve-http', '--host', '127.0.0.1', '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let pending = '';
  url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${logLines.join('\n')}`)), 120_000);
    server.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${logLines.join('\n')}`)));
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        logLines.push(line);
        const match = line.match(/http:\/\/127\.0\.0\.1:\d+\/mcp/);
        if (match) {
          clearTimeout(timer);
          resolve(match[0]);
        }
      }
    });
  });
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

// The MCP methods of the requests the server logged after line `since` (one
// line per answered request: "POST /mcp <method> <status> <time>").
function methodsSince(since) {
  return logLines.slice(since).map((line) => line.match(/POST \/mcp (\S+)(?: tool=\S+)? \d{3} /)?.[1]).filter(Boolean);
}

async function waitForLogged(since, method) {
  const deadline = Date.now() + 10_000;
  while (!methodsSince(since).includes(method) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return methodsSince(since);
}

async function connect(mode) {
  const client = new sdk.Client(
    { name: 'rmcp-ts-client-test', version: '1.0.0' },
    mode === undefined ? {} : { versionNegotiation: { mode } },
  );
  await client.connect(new sdk.StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function checkToolsAndLinearModel(client) {
  const { tools } = await client.listTools();
  const names = new Set(tools.map((tool) => tool.name));
  assert.equal(tools.length, TOOL_COUNT, [...names].sort().join(' '));
  for (const name of ['linear_model', 'scatter_plot', 'summary_stats', 'execute_r_analysis']) {
    assert.ok(names.has(name), name);
  }
  const result = await client.callTool({ name: 'linear_model', arguments: { data: MTCARS, formula: 'mpg ~ wt' } });
  assert.ok(!result.isError, JSON.stringify(result.content));
  const slope = result.structuredContent?.coefficients?.wt;
  assert.ok(Math.abs(slope - SLOPE) < 1e-3, `slope ${slope}`);
}

test(`the client package is 2.x`, () => {
  assert.match(sdk.version, /^2\./);
});

test(`'auto' adopts ${MODERN} with no initialize`, async () => {
  const since = logLines.length;
  const client = await connect('auto');
  try {
    assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
    assert.ok(client.getDiscoverResult(), 'server/discover answered');
    const { tools } = await client.listTools();
    assert.equal(tools.length, TOOL_COUNT);
  } finally {
    await client.close();
  }
  const methods = await waitForLogged(since, 'tools/list');
  assert.ok(methods.includes('server/discover'), methods.join(' '));
  assert.ok(!methods.includes('initialize'), methods.join(' '));
});

test(`pinned ${MODERN}: tools, linear_model, scatter_plot, a resource, a prompt`, async () => {
  const since = logLines.length;
  const client = await connect({ pin: MODERN });
  try {
    assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
    await checkToolsAndLinearModel(client);

    const plot = await client.callTool({
      name: 'scatter_plot',
      arguments: { data: { x: [1, 2, 3, 4, 5], y: [3, 5, 7, 9, 11] }, x: 'x', y: 'y' },
    });
    assert.ok(!plot.isError, JSON.stringify(plot.content));
    const image = plot.content.find((block) => block.type === 'image');
    assert.ok(image, plot.content.map((block) => block.type).join(' '));
    assert.equal(image.mimeType, 'image/png');
    assert.deepEqual([...Buffer.from(image.data, 'base64').subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    const { resources } = await client.listResources();
    assert.ok(resources.some((resource) => resource.uri === 'rmcp://catalog'), resources.map((r) => r.uri).join(' '));
    const catalog = await client.readResource({ uri: 'rmcp://catalog' });
    assert.match(catalog.contents[0].text, new RegExp(`${TOOL_COUNT} tools`));
    assert.match(catalog.contents[0].text, /linear_model/);

    const { prompts } = await client.listPrompts();
    assert.ok(prompts.some((prompt) => prompt.name === 'statistical_workflow'));
    const prompt = await client.getPrompt({
      name: 'statistical_workflow',
      arguments: { dataset_name: 'sales', analysis_goals: 'what drives revenue' },
    });
    assert.match(prompt.messages[0].content.text, /Dataset: sales/);
    assert.match(prompt.messages[0].content.text, /what drives revenue/);
  } finally {
    await client.close();
  }
  const methods = await waitForLogged(since, 'prompts/get');
  for (const method of ['tools/list', 'tools/call', 'resources/read', 'prompts/get']) {
    assert.ok(methods.includes(method), `${method} in ${methods.join(' ')}`);
  }
  assert.ok(!methods.includes('initialize'), methods.join(' '));
});

test(`'legacy' (the default) still works: initialize, tools, linear_model`, async () => {
  const since = logLines.length;
  const client = await connect('legacy');
  try {
    assert.notEqual(client.getNegotiatedProtocolVersion(), MODERN);
    await checkToolsAndLinearModel(client);
  } finally {
    await client.close();
  }
  const methods = await waitForLogged(since, 'tools/call');
  assert.equal(methods[0], 'initialize', methods.join(' '));
});
