import { labelProblem, machineUsername } from './naming.js';

/** What an email address is, roughly as MLflow clients and mail systems take it: a domain without `/`. */
const looksLikeEmail = (value: string) => /^[^\s@]+@[a-z0-9.-]+$/i.test(value);

describe('labelProblem', () => {
  it.each(['ci-nightly', 'a', '0', '9-lives', 'x'.repeat(32), 'etl-2026-11'])(
    'when the label is %p, then it is accepted',
    (label) => {
      expect(labelProblem(label)).toBeNull();
    },
  );

  it.each([
    ['', 'A label is required, such as ci-nightly.'],
    ['x'.repeat(33), 'A label is at most 32 characters long.'],
    ['CI-nightly', 'A label uses lower-case letters only.'],
    ['-ci', 'A label starts with a letter or a digit.'],
    ['ci/nightly', 'A label holds only the letters a–z, digits and hyphens (-).'],
    ['ci@nightly', 'A label holds only the letters a–z, digits and hyphens (-).'],
    ['ci nightly', 'A label holds only the letters a–z, digits and hyphens (-).'],
    ['ci_nightly', 'A label holds only the letters a–z, digits and hyphens (-).'],
    ['ci.nightly', 'A label holds only the letters a–z, digits and hyphens (-).'],
    ['naïve', 'A label holds only the letters a–z, digits and hyphens (-).'],
  ])('when the label is %p, then it is refused: %s', (label, problem) => {
    expect(labelProblem(label)).toBe(problem);
  });
});

describe('machineUsername', () => {
  it('when an owner names a label, then the username is <owner>/<label>', () => {
    expect(machineUsername('ada@example.org', 'ci-nightly')).toBe('ada@example.org/ci-nightly');
  });

  it('when any owner email and any valid label are combined, then the result is never an email address', () => {
    for (const owner of ['ada@example.org', 'a.b+c@sub.example.org', 'Legacy.User@Example.ORG']) {
      for (const label of ['a', 'ci-nightly', 'example-org', '0'.repeat(32)]) {
        expect(looksLikeEmail(machineUsername(owner, label))).toBe(false);
      }
    }
  });
});
