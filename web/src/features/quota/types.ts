/** Result types of the quota feature's operations (see the `.graphql` files beside). */

/** One user's GPU-hours for one calendar month (UTC). */
export interface Quota {
  month: string;
  limitGpuHours: number;
  usedGpuHours: number;
  remainingGpuHours: number;
}

export interface MyQuotaData {
  me: { id: string; quota: Quota };
}
