/** Users per page: the users table and the all-jobs owner filter share this first page. */
export const USERS_PAGE = 100;
