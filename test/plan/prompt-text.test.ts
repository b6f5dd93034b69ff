import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../src/lock/fingerprint.js';
import { normalizePromptText, promptKey } from '../../src/util/prompt-text.js';

describe('prompts: whitespace never costs money (docs/SPEC.md "Prompts")', () => {
  it.each([
    ['CRLF line endings', 'a slow dolly\r\nin the rain', 'a slow dolly\nin the rain'],
    ['spaces at the end of a line', 'a slow dolly   \nin the rain\t', 'a slow dolly\nin the rain'],
    ['a run of blank lines', 'one\n\n\n\ntwo', 'one\n\ntwo'],
    ['leading and trailing whitespace', '\n  a cat  \n', 'a cat'],
  ])('normalized before it is sent: %s', (_what, input, sent) => {
    expect(normalizePromptText(input)).toBe(sent);
  });

  it('keeps spaces inside a line when it is sent: the model sees them', () => {
    expect(normalizePromptText('a  cat')).toBe('a  cat');
  });

  it.each([
    ['a line break where a space was', 'warm light,\n the sneaker', 'warm light, the sneaker'],
    ["a partial's newline before a comma", 'warm light\n, slow dolly in', 'warm light, slow dolly in'],
    ['two spaces for one', 'a  cat', 'a cat'],
    ['a space before a full stop', 'a cat .', 'a cat.'],
  ])('the fingerprint does not see spacing: %s', (_what, a, b) => {
    expect(promptKey(a)).toBe(promptKey(b));
    expect(fingerprintOf('m', { prompt: a, duration: 5 }, 1)).toBe(fingerprintOf('m', { prompt: b, duration: 5 }, 1));
  });

  it.each([
    ['words joined', 'a cat', 'acat'],
    ['a word changed', 'a cat', 'a hat'],
    ['punctuation changed', 'a cat.', 'a cat!'],
    ['letters of another script', '猫 狗', '猫狗'],
  ])('the fingerprint sees every word and mark: %s', (_what, a, b) => {
    expect(fingerprintOf('m', { prompt: a }, 1)).not.toBe(fingerprintOf('m', { prompt: b }, 1));
  });

  it('applies to negative_prompt and every multi_prompt item too', () => {
    const a = { negative_prompt: 'blur ,noise', multi_prompt: [{ prompt: 'one\n, two', duration: 3 }] };
    const b = { negative_prompt: 'blur, noise', multi_prompt: [{ prompt: 'one, two', duration: 3 }] };
    expect(fingerprintOf('m', a, 1)).toBe(fingerprintOf('m', b, 1));
  });
});
