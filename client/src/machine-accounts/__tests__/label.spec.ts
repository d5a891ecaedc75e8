import { describe, expect, it } from 'vitest';
import { labelProblem, machineUsername } from '../label';

describe('labelProblem', () => {
  it.each(['ci-nightly', 'a', '0', 'x'.repeat(32)])('when the label is %p, then it is accepted', (label) => {
    expect(labelProblem(label)).toBeNull();
  });

  it.each([
    ['', 'A label is required, such as ci-nightly.'],
    ['x'.repeat(33), 'A label is at most 32 characters long.'],
    ['CI', 'A label uses lower-case letters only.'],
    ['-ci', 'A label starts with a letter or a digit.'],
    ['ci@x', 'A label holds only the letters a–z, digits and hyphens (-).'],
    ['ci/x', 'A label holds only the letters a–z, digits and hyphens (-).'],
  ])('when the label is %p, then the same words as the BFF say why not', (label, problem) => {
    expect(labelProblem(label)).toBe(problem);
  });
});

describe('machineUsername', () => {
  it('when a label is chosen, then the username is <owner>/<label>', () => {
    expect(machineUsername('ada@example.org', 'ci')).toBe('ada@example.org/ci');
  });
});
