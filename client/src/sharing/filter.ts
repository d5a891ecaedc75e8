/** How the sharing page's filter box matches rows of the resource list. */
import type { ResourceType, SharedResource } from '../api';
import { resourceLabel } from './labels';

/** Composed, lower-case and trimmed, so that "Ü", "u\u0308" and " ü " all compare equal. */
function normalise(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase().trim();
}

/**
 * Whether a row matches the filter box: its label (the name, or what a pattern covers) contains the text,
 * ignoring case; an experiment also matches its id, since people often know experiments by number. An
 * empty filter matches everything.
 */
export function matchesFilter(type: ResourceType, resource: SharedResource, filter: string): boolean {
  const wanted = normalise(filter);
  if (!wanted) return true;
  if (normalise(resourceLabel(type, resource)).includes(wanted)) return true;
  return type === 'experiment' && !resource.pattern && resource.id === wanted;
}
