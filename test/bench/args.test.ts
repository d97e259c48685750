import { describe, expect, it } from 'vitest';
import { hasOption } from '../../bench/args';

describe('hasOption()', () => {
  it('sees an option in every spelling parseArgs accepts, and not in values or other options', () => {
    expect(hasOption('writers', ['--writers', '4'])).toBe(true);
    expect(hasOption('writers', ['--writers=4'])).toBe(true);
    expect(hasOption('writers', ['--duration', '5', '--writers=1,2'])).toBe(true);
    expect(hasOption('writers', ['--runs', '10'])).toBe(false);
    expect(hasOption('writers', ['--writers-extra', '1'])).toBe(false);
    expect(hasOption('writers', [])).toBe(false);
  });
});
