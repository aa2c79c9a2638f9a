/** Users per page: the users table and the all-jobs owner filter share this first page. */
export const USERS_PAGE = 100;
/** How long the users table waits after the last key before it searches. */
export const SEARCH_DEBOUNCE_MS = 250;
