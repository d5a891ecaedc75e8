import {
  createRouter,
  createWebHistory,
  type RouteLocationNormalized,
  type RouteLocationRaw,
  type RouteRecordRaw,
  type Router,
  type RouterHistory,
} from 'vue-router';
import { basePath } from '../api';
import { isSignedIn, useAccountStore, type Phase } from '../stores/account';

/** Who may see a page: people in one {@link Phase}, or anyone. */
type Access = 'signed_out' | 'ineligible' | 'unregistered' | 'not_owner' | 'registered' | 'any';

declare module 'vue-router' {
  interface RouteMeta {
    /** The page's part of `document.title`. */
    title: string;
    /** The phase the page is for, or the phases when it serves several (the account page). */
    access: Access | readonly Access[];
  }
}

/** Whether a page with this `access` is for people in `phase`. */
function admits(access: Access | readonly Access[], phase: Phase): boolean {
  if (access === 'any') return true;
  return typeof access === 'string' ? access === phase : access.some((one) => one === phase);
}

export const routes: RouteRecordRaw[] = [
  {
    path: '/',
    name: 'welcome',
    component: () => import('../views/WelcomeView.vue'),
    meta: { title: 'Sign in', access: 'signed_out' },
  },
  {
    path: '/not-eligible',
    name: 'not-eligible',
    component: () => import('../views/NotEligibleView.vue'),
    meta: { title: 'Registration not available', access: 'ineligible' },
  },
  {
    path: '/register',
    name: 'register',
    component: () => import('../views/RegisterView.vue'),
    meta: { title: 'Create your account', access: 'unregistered' },
  },
  {
    path: '/account',
    name: 'account',
    component: () => import('../views/AccountView.vue'),
    // Also for people whose email's account is not theirs (yet): the page says so, and offers to claim it.
    meta: { title: 'Your account', access: ['registered', 'not_owner'] },
  },
  {
    path: '/sharing',
    name: 'sharing',
    component: () => import('../views/SharingView.vue'),
    meta: { title: 'Sharing', access: 'registered' },
  },
  {
    path: '/activity',
    name: 'activity',
    component: () => import('../views/ActivityView.vue'),
    // The BFF lets every signed-in person read their own history: who lost their eligibility (and with it
    // the account) or tried to claim one sees what happened too.
    meta: { title: 'Activity', access: ['ineligible', 'unregistered', 'not_owner', 'registered'] },
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('../views/NotFoundView.vue'),
    meta: { title: 'Page not found', access: 'any' },
  },
];

const APP_NAME = 'MLflow account';

/** The page each phase belongs on. */
export function homeFor(phase: Phase): RouteLocationRaw {
  switch (phase) {
    case 'ineligible':
      return { name: 'not-eligible' };
    case 'unregistered':
      return { name: 'register' };
    case 'registered':
    case 'not_owner':
      return { name: 'account' };
    default:
      return { name: 'welcome' };
  }
}

/**
 * A `returnTo` query value that is safe to follow: a path of this app (not a URL, not `//host`) that does not
 * lead back to the sign-in page. Anything else gives `undefined`.
 */
export function safeReturnTo(router: Router, value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return undefined;
  }
  const target = router.resolve(value);
  if (target.matched.length === 0 || target.meta.access === 'signed_out') return undefined;
  return target.fullPath;
}

/**
 * The app's one guard: learns who is signed in (once), then keeps everyone on the pages of their phase.
 * Signed-out people are sent to the start page with the page they asked for as `returnTo`, which the
 * sign-in button hands to the BFF so that the provider's callback brings them back to it.
 */
async function guard(router: Router, to: RouteLocationNormalized): Promise<true | RouteLocationRaw> {
  const account = useAccountStore();
  await account.ensureLoaded();
  const { access } = to.meta;
  const phase = account.phase;
  if (access === 'any') return true;

  if (!isSignedIn(phase)) {
    return access === 'signed_out' ? true : { name: 'welcome', query: { returnTo: to.fullPath } };
  }
  if (access === 'signed_out') return safeReturnTo(router, to.query.returnTo) ?? homeFor(phase);
  return admits(access, phase) ? true : homeFor(phase);
}

/** Builds the router; tests pass a memory history. */
export function createAppRouter(history: RouterHistory = createWebHistory(basePath)): Router {
  const router = createRouter({
    history,
    routes,
    // A new page starts at the top; a change of the query alone (a tab, `?resume` removed) stays where it is.
    scrollBehavior: (to, from, saved) => saved ?? (to.path === from.path ? false : { top: 0 }),
  });
  router.beforeEach((to) => guard(router, to));
  router.afterEach((to) => {
    document.title = `${to.meta.title} · ${APP_NAME}`;
  });
  return router;
}
