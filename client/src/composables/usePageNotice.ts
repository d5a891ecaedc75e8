import { onMounted, ref } from 'vue';
import { own } from '../api';

/**
 * A one-time message handed to the next page through `router.push({ state: { notice } })`, e.g. "your
 * account is ready" after registering. Consumed on display, so that a reload does not show it again.
 */
export function usePageNotice(messages: Readonly<Record<string, string>>) {
  const notice = ref<string | null>(null);
  onMounted(() => {
    const state: unknown = window.history.state;
    if (typeof state !== 'object' || state === null || !('notice' in state)) return;
    const { notice: key, ...rest } = state;
    notice.value = typeof key === 'string' ? (own(messages, key) ?? null) : null;
    window.history.replaceState(rest, '');
  });
  return notice;
}
