import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick, ref } from 'vue';
import ModalDialog from '../ModalDialog.vue';

/** A page with a button that opens the dialog, as the views use it. */
function mountPage() {
  const open = ref(false);
  const Page = defineComponent(() => () => [
    h('button', { type: 'button', onClick: () => (open.value = true) }, 'Open'),
    h(
      ModalDialog,
      { title: 'Things', open: open.value, 'onUpdate:open': (value: boolean) => (open.value = value) },
      () => h('button', { type: 'button', onClick: () => (open.value = false) }, 'Close'),
    ),
  ]);
  const wrapper = mount(Page, { attachTo: document.body });
  const dialog = () => wrapper.find('dialog').element as HTMLDialogElement;
  return { wrapper, open, dialog };
}

describe('ModalDialog', () => {
  it('when opened and closed, then focus goes back to the button that opened it', async () => {
    const { wrapper, open, dialog } = mountPage();
    const opener = wrapper.find('button').element as HTMLButtonElement;
    opener.focus();

    open.value = true;
    await nextTick();
    expect(dialog().open).toBe(true);

    open.value = false;
    await nextTick();
    expect(dialog().open).toBe(false);
    expect(document.activeElement).toBe(opener);
    wrapper.unmount();
  });

  it('when the browser closes it (Escape), then the parent hears it is closed', async () => {
    const { wrapper, open, dialog } = mountPage();
    open.value = true;
    await nextTick();

    dialog().close();
    dialog().dispatchEvent(new Event('close'));
    await nextTick();

    expect(open.value).toBe(false);
    wrapper.unmount();
  });

  it('when the queued close event of the last closing arrives after a quick reopening, then the dialog stays open', async () => {
    const { wrapper, open, dialog } = mountPage();
    open.value = true;
    await nextTick();
    open.value = false;
    await nextTick();
    open.value = true;
    await nextTick();
    expect(dialog().open).toBe(true);

    // Chromium queues `close`; a key press can reopen the dialog before that task runs.
    dialog().dispatchEvent(new Event('close'));
    await nextTick();

    expect(open.value).toBe(true);
    expect(dialog().open).toBe(true);
    wrapper.unmount();
  });
});
