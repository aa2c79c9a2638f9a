import { createApp } from 'vue';
import { connectApolloToSession } from './apollo/session-bridge';
import App from './App.vue';
import { followSessionInOtherTabs } from './features/auth/session';
import { followDocumentLanguage } from './i18n/document-language';
import { followDocumentTitle, followSessionEnd, router } from './router';
import './styles.css';

connectApolloToSession();
followSessionInOtherTabs();
followSessionEnd();
followDocumentTitle();

// Mount once Bootstrap (LTR or RTL, by language) has loaded, so the page never shows unstyled.
void followDocumentLanguage().then(() => {
  createApp(App).use(router).mount('#app');
});
