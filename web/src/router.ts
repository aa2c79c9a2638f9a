import { watch } from 'vue';
import { createRouter, createWebHistory, type RouteLocationRaw } from 'vue-router';
import { isAdmin, session } from './features/auth/session';
import { pushToast } from './features/toasts/toast-store';
import { t } from './i18n';
import AdminPage from './pages/AdminPage.vue';
import DashboardPage from './pages/DashboardPage.vue';
import JobDetailPage from './pages/JobDetailPage.vue';
import LoginPage from './pages/LoginPage.vue';
import NotFoundPage from './pages/NotFoundPage.vue';
import RegisterPage from './pages/RegisterPage.vue';

declare module 'vue-router' {
  interface RouteMeta {
    /** Only for a signed-in user. */
    requiresAuth?: boolean;
    /** Only for an admin (implies requiresAuth). */
    requiresAdmin?: boolean;
    /** Only for a visitor: a signed-in user goes to the dashboard. */
    guestOnly?: boolean;
    /** The translation key of the page's title. */
    title?: Parameters<typeof t>[0];
  }
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', name: 'dashboard', component: DashboardPage, meta: { requiresAuth: true, title: 'dashboard.title' } },
    { path: '/jobs/:id', name: 'job', component: JobDetailPage, props: true, meta: { requiresAuth: true, title: 'job.title' } },
    // Loaded on first visit: the chart library stays out of the main bundle.
    { path: '/cluster', name: 'cluster', component: () => import('./pages/ClusterPage.vue'), meta: { requiresAuth: true, title: 'cluster.title' } },
    // Loaded on first visit too: the main bundle stays within its budget.
    { path: '/queue', name: 'queue', component: () => import('./pages/QueuePage.vue'), meta: { requiresAuth: true, title: 'queue.title' } },
    { path: '/notifications', name: 'notifications', component: () => import('./pages/NotificationsPage.vue'), meta: { requiresAuth: true, title: 'notifications.title' } },
    {
      path: '/settings/notifications',
      name: 'notification-settings',
      component: () => import('./pages/NotificationSettingsPage.vue'),
      meta: { requiresAuth: true, title: 'notificationSettings.title' },
    },
    // A settings page few visit: loaded on first visit.
    {
      path: '/settings/tokens',
      name: 'api-tokens',
      component: () => import('./pages/ApiTokensPage.vue'),
      meta: { requiresAuth: true, title: 'apiTokens.title' },
    },
    { path: '/admin', name: 'admin', component: AdminPage, meta: { requiresAuth: true, requiresAdmin: true, title: 'admin.title' } },
    { path: '/login', name: 'login', component: LoginPage, meta: { guestOnly: true, title: 'auth.signInTitle' } },
    { path: '/register', name: 'register', component: RegisterPage, meta: { guestOnly: true, title: 'auth.registerTitle' } },
    { path: '/:pathMatch(.*)*', name: 'not-found', component: NotFoundPage, meta: { title: 'notFound.title' } },
  ],
});

router.beforeEach((to) => {
  if ((to.meta.requiresAuth || to.meta.requiresAdmin) && !session.token) {
    return { name: 'login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
  }
  if (to.meta.requiresAdmin && !isAdmin.value) {
    pushToast({ tone: 'warning', title: t('admin.onlyTitle'), body: t('admin.only') });
    return { name: 'dashboard' };
  }
  if (to.meta.guestOnly && session.token) return { name: 'dashboard' };
  return true;
});

/** Keeps the tab's title on the current page and language. */
export function followDocumentTitle(): void {
  watch(
    () => [router.currentRoute.value.meta.title, t('app.name')] as const,
    ([title]) => {
      document.title = title ? `${t(title)} · gpuaas` : 'gpuaas';
    },
    { immediate: true },
  );
}

/**
 * Leaves pages that need a session when it ends: after logout to the login page, after an
 * expired token to the login page with a way back to where the user was.
 */
export function followSessionEnd(): void {
  watch(
    () => session.token,
    (token) => {
      const current = router.currentRoute.value;
      if (token || !(current.meta.requiresAuth || current.meta.requiresAdmin)) return;
      const target: RouteLocationRaw =
        session.notice === 'expired' ? { name: 'login', query: { redirect: current.fullPath } } : { name: 'login' };
      void router.replace(target);
    },
  );
}
