/** Result and variable types of the auth feature's operations (see the `.graphql` files beside). */

export type Role = 'USER' | 'ADMIN';

export interface AuthUser {
  id: string;
  email: string;
  role: Role;
}

export interface AuthPayload {
  token: string;
  user: AuthUser;
}

export interface CredentialsInput {
  email: string;
  password: string;
}

export interface LoginData {
  login: AuthPayload;
}
export interface LoginVariables {
  input: CredentialsInput;
}

export interface RegisterData {
  register: AuthPayload;
}
export interface RegisterVariables {
  input: CredentialsInput;
}

export interface MeData {
  me: AuthUser;
}
