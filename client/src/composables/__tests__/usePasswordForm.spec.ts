import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api';
import type { Requirement } from '../../password/requirements';
import { useConfigStore } from '../../stores/config';
import { configFixture, fakeBff, json } from '../../testing/fakeBff';
import { usePasswordForm } from '../usePasswordForm';

beforeEach(() => setActivePinia(createPinia()));

const requirement = (met: boolean): Requirement => ({ id: 'min_length', label: 'At least 12 characters', met });

/** The form with stand-in fields whose requirements are all met, or not. */
function setup(met = true) {
  const form = usePasswordForm();
  const focus = vi.fn();
  form.fields.value = { requirements: [requirement(met), { ...requirement(true), id: 'confirmation_matches' }], focus };
  form.password.value = 'correct horse battery';
  form.confirmation.value = 'correct horse battery';
  return { form, focus };
}

describe('usePasswordForm', () => {
  it('when the configuration is loaded, then the policy is the one from GET /api/config', async () => {
    fakeBff({ 'GET /api/config': json(200, configFixture({ password_policy: { min_length: 14, max_length: 64 } })) });
    const form = usePasswordForm();
    expect(form.policy.value).toBeNull();

    await useConfigStore().load();

    expect(form.policy.value).toEqual({ min_length: 14, max_length: 64 });
  });

  it('when a requirement is unmet, then nothing is sent, the attempt is flagged and focus goes to the fields', async () => {
    const { form, focus } = setup(false);
    const action = vi.fn(async () => {});

    expect(await form.submit(action)).toBe(false);

    expect(action).not.toHaveBeenCalled();
    expect(form.attempted.value).toBe(true);
    expect(form.ready.value).toBe(false);
    expect(focus).toHaveBeenCalledTimes(1);
  });

  it('when the fields are not there yet (no policy), then the password is not ready and nothing is sent', async () => {
    const form = usePasswordForm();
    const action = vi.fn(async () => {});

    expect(await form.submit(action)).toBe(false);
    expect(form.ready.value).toBe(false);
    expect(action).not.toHaveBeenCalled();
  });

  it('when every requirement is met but another check fails, then nothing is sent and the password keeps focus alone', async () => {
    const { form, focus } = setup();
    const action = vi.fn(async () => {});
    const check = vi.fn(() => false);

    expect(await form.submit(action, { check })).toBe(false);

    expect(check).toHaveBeenCalledTimes(1);
    expect(action).not.toHaveBeenCalled();
    expect(focus).not.toHaveBeenCalled();
  });

  it('when the action succeeds, then it got the password and the success is announced; clear() empties the form', async () => {
    const { form } = setup();
    const action = vi.fn(async (_password: string) => {});

    expect(await form.submit(action, { success: () => 'Changed.' })).toBe(true);

    expect(action).toHaveBeenCalledWith('correct horse battery');
    expect(form.success.value).toBe('Changed.');
    form.clear();
    expect([form.password.value, form.confirmation.value, form.attempted.value]).toEqual(['', '', false]);
  });

  it('when the server names the password field (422 fields), then its message is the field’s error and focus returns there', async () => {
    const { form, focus } = setup();
    const refusal = new ApiError(422, 'weak_password', 'Choose a stronger password.', [
      { field: 'password', message: 'Too common.' },
    ]);

    expect(await form.submit(() => Promise.reject(refusal))).toBe(false);

    expect(form.serverError.value).toBe('Too common.');
    expect(form.error.value?.message).toBe('Choose a stronger password.');
    expect(focus).toHaveBeenCalledTimes(1);
  });

  it('when the server refuses control characters (422 password_invalid_characters), then its message is kept to show and focus returns to the password', async () => {
    const { form, focus } = setup();
    const message = 'The password must not contain control characters such as tabs or line breaks.';

    await form.submit(() => Promise.reject(new ApiError(422, 'password_invalid_characters', message)));

    expect(form.error.value).toMatchObject({ code: 'password_invalid_characters', message });
    expect(form.serverError.value).toBeUndefined();
    expect(focus).toHaveBeenCalledTimes(1);
  });

  it('when the failure is not about the password, then focus stays where it is', async () => {
    const { form, focus } = setup();

    await form.submit(() =>
      Promise.reject(new ApiError(502, 'vault_out_of_sync', 'Vault was not updated; submit again.')),
    );

    expect(form.error.value?.code).toBe('vault_out_of_sync');
    expect(focus).not.toHaveBeenCalled();
  });

  it('when something other than an ApiError is thrown, then a message that can be shown takes its place', async () => {
    const { form } = setup();

    await form.submit(() => Promise.reject(new TypeError('x is undefined')));

    expect(form.error.value).toBeInstanceOf(ApiError);
    expect(form.error.value?.message).toBe('Something went wrong. Please try again.');
  });

  it('when submitting again, then the last outcome is forgotten first', async () => {
    const { form } = setup();
    await form.submit(() => Promise.reject(new ApiError(503, 'mlflow_unavailable', 'MLflow is down.')));
    form.fields.value = { requirements: [requirement(false)], focus: vi.fn() };

    await form.submit(async () => {});

    expect(form.error.value).toBeNull();
  });
});
