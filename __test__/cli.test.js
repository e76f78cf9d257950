'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const cli = path.join(__dirname, '..', 'bin', 'lunarena.js');
const fixtures = path.join(__dirname, 'fixtures');

function run(args, input) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: fixtures, input, encoding: 'utf8' });
}

describe('lunarena CLI', () => {
  test('runs a file with arguments in arg and ...', () => {
    const r = run(['args.lua', 'x', 'y']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('2\targs.lua\tx\ty\nx\ty\n');
  });

  test('an uncaught error prints the message and a traceback, exit 1', () => {
    const r = run(['fail.lua']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'lunarena: fail.lua:2: broken here\n' +
        'stack traceback:\n' +
        "\t[C]: in function 'error'\n" +
        "\tfail.lua:2: in local 'inner'\n" +
        '\tfail.lua:4: in main chunk\n' +
        '\t[C]: in ?\n',
    );
  });

  test('-e runs a statement', () => {
    const r = run(['-e', 'print(6 * 7)']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('42\n');
  });

  test('- reads the script from stdin', () => {
    const r = run(['-'], 'print("from stdin")');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('from stdin\n');
  });

  test('a missing file is reported', () => {
    const r = run(['nope.lua']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('lunarena: cannot open nope.lua: No such file or directory\n');
  });

  test('a syntax error is reported like lua5.4', () => {
    const r = run(['-e', 'x = = 1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("lunarena: (command line):1: unexpected symbol near '='\n");
  });
});
