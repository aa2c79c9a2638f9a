import { typedDocument } from '../../apollo/document';
import login from './login.graphql?raw';
import me from './me.graphql?raw';
import register from './register.graphql?raw';
import type { LoginData, LoginVariables, MeData, RegisterData, RegisterVariables } from './types';

export const LoginDocument = typedDocument<LoginData, LoginVariables>(login);
export const RegisterDocument = typedDocument<RegisterData, RegisterVariables>(register);
export const MeDocument = typedDocument<MeData>(me);
