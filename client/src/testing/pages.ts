import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { beforeEach } from 'vitest';
import type { Component } from 'vue';
import { createMemoryHistory } from 'vue-router';
import { createAppRouter } from '../router';
import { useConfigStore } from '../stores/config';

/**
 * For a test file of pages or dialogs: before each test, a new pinia and an empty document, so that no
 * store state or teleported `<dialog>` leaks from one test into the next.
 * @returns the current test's pinia, to pass to `mount`
 */
export function freshPiniaPerTest(): () => Pinia {
  let pinia: Pinia;
  beforeEach(() => {
    pinia = createPinia();
    setActivePinia(pinia);
    document.body.innerHTML = '';
  });
  return () => pinia;
}

/**
 * Mounts a page as the app shows it: the app's router (its guard has let `path` through, which loads
 * `GET /api/me`) and the public configuration (`GET /api/config`, which App.vue loads) both loaded.
 * Call `fakeBff` with both routes first.
 */
export async function mountPage(page: Component, path: string, pinia: Pinia) {
  const router = createAppRouter(createMemoryHistory());
  await Promise.all([router.push(path), useConfigStore().load()]);
  const wrapper = mount(page, { global: { plugins: [pinia, router] }, attachTo: document.body });
  await flushPromises();
  return { router, wrapper };
}
