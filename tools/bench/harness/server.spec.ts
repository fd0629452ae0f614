import { nodeFlagsOf, START_FLAGS } from './server';

describe('bench servers run with the node flags of npm start', () => {
  it('reads the flags between node and its first other argument', () => {
    expect(nodeFlagsOf('exec node --max-semi-space-size=32 --foo -r ./tools/register.js main.ts')).toEqual([
      '--max-semi-space-size=32',
      '--foo',
    ]);
    expect(nodeFlagsOf('node -r ./tools/register.js main.ts')).toEqual([]);
  });

  it('takes them from package.json', () => {
    expect(START_FLAGS).toEqual(['--max-semi-space-size=32']);
  });
});
