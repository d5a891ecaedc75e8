import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiError, configFixture, fakeBff, json } from '../../testing/fakeBff';
import { supportContact, useConfigStore } from '../config';

beforeEach(() => setActivePinia(createPinia()));

describe('useConfigStore', () => {
  it('when GET /api/config answers, then the configuration, its password policy and its links are exposed', async () => {
    const config = configFixture({ terms_of_use_url: 'https://example.org/terms' });
    fakeBff({ 'GET /api/config': json(200, config) });
    const store = useConfigStore();

    await store.load();

    expect(store.config).toEqual(config);
    expect(store.passwordPolicy).toEqual({ min_length: 12, max_length: 256 });
    expect(store.links).toEqual({
      mlflow: 'https://mlflow.example.org',
      privacy_policy: null,
      terms_of_use: 'https://example.org/terms',
    });
    expect(store.error).toBeNull();
    expect(store.loading).toBe(false);
  });

  it('when nothing is loaded yet, then there is no policy and there are no links (rather than made-up ones)', () => {
    const store = useConfigStore();

    expect(store.passwordPolicy).toBeNull();
    expect(store.links).toBeNull();
  });

  it('when GET /api/config fails, then the error is kept for the page to show and load does not reject', async () => {
    fakeBff({ 'GET /api/config': apiError(503, 'mlflow_unavailable', 'MLflow is down; retry later.') });
    const store = useConfigStore();

    await expect(store.load()).resolves.toBeUndefined();

    expect(store.config).toBeNull();
    expect(store.error?.message).toBe('MLflow is down; retry later.');
  });

  it('when the request fails with something other than an answer, then the error is still one the page can show', async () => {
    fakeBff({
      'GET /api/config': () => {
        throw new TypeError('boom');
      },
    });
    const store = useConfigStore();

    await store.load();

    expect(store.error?.message).toBe('The server could not be reached. Check your connection and try again.');
  });

  it('when load is called twice at once, then one request is made', async () => {
    const bff = fakeBff({ 'GET /api/config': json(200, configFixture()) });
    const store = useConfigStore();

    await Promise.all([store.load(), store.load()]);

    expect(bff.callsTo('GET /api/config')).toHaveLength(1);
  });
});

describe('supportContact', () => {
  it('when GET /api/config names an email address as support contact, then the store offers it as a mail link', async () => {
    fakeBff({ 'GET /api/config': json(200, configFixture({ support_contact: 'mlflow-help@example.org' })) });
    const store = useConfigStore();

    await store.load();

    expect(store.supportContact).toEqual({
      kind: 'email',
      address: 'mlflow-help@example.org',
      href: 'mailto:mlflow-help@example.org',
    });
  });

  it('when there is none (null, blank, or an older BFF without the field), then there is no contact', () => {
    expect(supportContact(null)).toBeNull();
    expect(supportContact('  ')).toBeNull();
    expect(supportContact(undefined)).toBeNull();
  });

  it('when the contact is a mailto: address, then it is an email address all the same', () => {
    expect(supportContact('mailto:help@example.org')).toMatchObject({ kind: 'email', address: 'help@example.org' });
  });

  it('when the contact is a web address, then it is a link', () => {
    expect(supportContact('https://help.example.org/mlflow')).toEqual({
      kind: 'url',
      href: 'https://help.example.org/mlflow',
    });
  });

  it.each(['javascript:alert(1)', 'data:text/html,hi', 'Room 12, ask for Grace'])(
    'when the contact is %s, then it is shown as text, never as a link',
    (value) => {
      expect(supportContact(value)).toEqual({ kind: 'text', text: value });
    },
  );
});
