import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { asApiError, bff, type ApiError, type PasswordPolicy, type PublicConfig } from '../api';

/** Where the footer and the pages send people: MLflow itself and the deployment's policy pages. */
export interface ServiceLinks {
  mlflow: string;
  privacy_policy: string | null;
  terms_of_use: string | null;
}

/**
 * Whom to ask for help, as the page can offer it: an email address (a `mailto:` link), a web page (a link),
 * or, for anything else the operator wrote, the text as it is.
 */
export type SupportContact =
  { kind: 'email'; address: string; href: string } | { kind: 'url'; href: string } | { kind: 'text'; text: string };

const EMAIL = /^[^\s@:/<>]+@[^\s@:/<>]+\.[^\s@:/<>]+$/;

/**
 * `support_contact` of `GET /api/config` as something to show. Only `http(s):` addresses become links: the
 * value is the operator's, but it lands in an `href`, where a `javascript:` URL would run.
 */
export function supportContact(value: string | null | undefined): SupportContact | null {
  const text = value?.trim();
  if (!text) return null;
  const address = text.replace(/^mailto:/i, '');
  if (EMAIL.test(address)) return { kind: 'email', address, href: `mailto:${address}` };
  try {
    const url = new URL(text);
    if (url.protocol === 'https:' || url.protocol === 'http:') return { kind: 'url', href: url.href };
  } catch {
    // Not a URL: shown as text below.
  }
  return { kind: 'text', text };
}

/**
 * `GET /api/config`: the MLflow URL, policy links, support contact and password policy, known before anyone signs in. The
 * only source of these in the app (`GET /api/me` does not repeat them), so that pages never have two
 * answers to reconcile.
 */
export const useConfigStore = defineStore('config', () => {
  const config = ref<PublicConfig | null>(null);
  const error = ref<ApiError | null>(null);
  const loading = ref(false);
  let pending: Promise<void> | null = null;

  /** Fetches the configuration; failures end up in `error`, never as a rejection. */
  function load(): Promise<void> {
    pending ??= (async () => {
      loading.value = true;
      error.value = null;
      try {
        config.value = await bff.config();
      } catch (e) {
        error.value = asApiError(e);
      } finally {
        loading.value = false;
        pending = null;
      }
    })();
    return pending;
  }

  return {
    config: computed(() => config.value),
    /** Null until the configuration is loaded. */
    passwordPolicy: computed<PasswordPolicy | null>(() => config.value?.password_policy ?? null),
    /** Null until the configuration is loaded. */
    links: computed<ServiceLinks | null>(() => {
      const c = config.value;
      return c
        ? { mlflow: c.mlflow_url, privacy_policy: c.privacy_policy_url, terms_of_use: c.terms_of_use_url }
        : null;
    }),
    /** Null until the configuration is loaded, and when the deployment names no contact. */
    supportContact: computed(() => supportContact(config.value?.support_contact)),
    error: computed(() => error.value),
    loading: computed(() => loading.value),
    load,
  };
});
