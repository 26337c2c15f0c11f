import { join } from 'node:path';
import { FunctionError, LocalFunction } from '../../local/lambda-host';

const entry = join(__dirname, 'fixtures', 'echo-handler.ts');

describe('LocalFunction', () => {
  let fn: LocalFunction;
  afterEach(() => fn?.close());

  it('runs the handler in its own process with its own environment, once per cold start', async () => {
    fn = new LocalFunction({ name: 'echo', entry, environment: { ECHO_SETTING: 'on' } });
    await expect(fn.invoke({ value: 1 })).resolves.toEqual({
      value: 1,
      env: 'on',
      invocations: 1,
      functionName: 'echo',
    });
    await expect(fn.invoke({ value: 2 })).resolves.toMatchObject({ invocations: 2 });
    expect(fn.coldStarts).toBe(1);
  });

  it('reports a thrown error with its type, as Lambda does', async () => {
    fn = new LocalFunction({ name: 'echo', entry });
    const error = await fn.invoke({ action: 'fail' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionError);
    expect(error).toMatchObject({ name: 'DataError', errorType: 'DataError', errorMessage: 'the data is bad' });
  });

  it('restarts after the process dies, with a fresh cold start', async () => {
    fn = new LocalFunction({ name: 'echo', entry });
    await expect(fn.invoke({ action: 'crash' })).rejects.toMatchObject({ errorType: 'Runtime.ExitError' });
    await expect(fn.invoke({ value: 'again' })).resolves.toMatchObject({ value: 'again', invocations: 1 });
    expect(fn.coldStarts).toBe(2);
  });

  it('fails initialisation clearly when the export is missing', async () => {
    fn = new LocalFunction({ name: 'echo', entry, exportName: 'nope' });
    await expect(fn.invoke({})).rejects.toThrow('echo failed to initialise');
  });
});
