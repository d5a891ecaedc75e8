/** The words of "Where you are signed in". */

/** The BFF's coarse description of a browser ("Firefox on Linux"), or a stand-in when it had none. */
export function deviceLabel(device: string | null): string {
  return device ?? 'Unknown browser';
}

/** "2 other sessions were signed out.", after "Sign out everywhere else". */
export function endedOthersMessage(ended: number): string {
  if (ended === 0) return 'You were not signed in anywhere else.';
  return ended === 1 ? '1 other session was signed out.' : `${ended} other sessions were signed out.`;
}
