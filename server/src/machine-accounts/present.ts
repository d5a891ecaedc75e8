/** The machine-account API's wire format (docs/api.md, "Machine accounts"). */
import type { MachineAccount, MachineVaultStatus } from './service.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function presentMachineAccount(account: MachineAccount) {
  return {
    username: account.username,
    label: account.label,
    created_at: iso(account.createdAt),
    rotated_at: account.rotatedAt === null ? null : iso(account.rotatedAt),
    disabled: account.disabledAt !== null,
  };
}

/** `null` when this deployment does not use Vault. */
export const presentMachineVault = (status: MachineVaultStatus) => (status ? { status } : null);
