import { typedDocument } from '../../apollo/document';
import myQuota from './my-quota.graphql?raw';
import type { MyQuotaData } from './types';

export const MyQuotaDocument = typedDocument<MyQuotaData>(myQuota);
