// One local "Lambda container": loads a handler module once (cold start) and serves invocations
// sent by local/lambda-host.ts over the IPC channel, one at a time as Lambda does.

const { randomUUID } = require('node:crypto');

const [entry, exportName = 'handler', functionName = 'local-function', timeoutMs = '900000'] = process.argv.slice(2);
if (entry.endsWith('.ts')) require('tsx/cjs');

let handler;
try {
  handler = require(entry)[exportName];
  if (typeof handler !== 'function') throw new Error(`${entry} does not export a function "${exportName}"`);
} catch (error) {
  process.send({ type: 'init-error', error: { errorType: error.name, errorMessage: error.message } });
  process.exit(1);
}
process.send({ type: 'ready' });

process.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  const deadline = Date.now() + Number(timeoutMs);
  const context = {
    awsRequestId: message.requestId ?? randomUUID(),
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(message.event, context);
    process.send({ type: 'result', id: message.id, result: result === undefined ? null : result });
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    process.send({
      type: 'error',
      id: message.id,
      error: { errorType: err.name, errorMessage: err.message, stackTrace: (err.stack ?? '').split('\n').slice(1) },
    });
  }
});
