/**
 * The domain services, built once per process from their collaborators: the HTTP app and the maintenance
 * job share them (one memory of Vault checks, one audit), and the operator CLI builds them the same way
 * ({@link wireServices}).
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createAccountService } from './account/service.js';
import { createMachineAccountService } from './machine-accounts/service.js';
import { createMaintenance } from './maintenance/job.js';
import { createMlflowClient, type MlflowClient } from './mlflow/client.js';
import type { PermissionsApi } from './mlflow/permissions.js';
import type { Registry } from './registry/index.js';
import { createAudit } from './registry/audit.js';
import { createPapiClient, machineAccountSecretPath, type PapiClient } from './secrets/papi-client.js';
import type { ResourceLock } from './sharing/resource-lock.js';
import { createResourceNames, type ResourceNames } from './sharing/resource-names.js';
import { createSharingService } from './sharing/service.js';
import { createInvitations } from './sharing/invitations.js';
import { createGroupService } from './groups/service.js';

export interface ServiceDeps {
  logger: Logger;
  mlflow: MlflowClient;
  papi: PapiClient | undefined;
  registry: Registry;
  /** Serialises sharing changes per resource (across replicas when they share a database). */
  resourceLock: ResourceLock;
  /** Which MLflow resources exist, cached briefly. */
  resourceNames: ResourceNames;
  /** MLflow's permission API, of whichever generation the server speaks. */
  permissions: () => Promise<PermissionsApi>;
}

function createServices(config: Config, deps: ServiceDeps) {
  const sharingAudit = createAudit(deps.registry.activity, deps.logger);
  const invitations = createInvitations({
    invitations: deps.registry.invitations,
    accounts: deps.registry.accounts,
    permissions: deps.permissions,
    names: deps.resourceNames,
    lock: deps.resourceLock,
    audit: sharingAudit,
    ttlDays: config.invitationTtlDays,
    limit: config.invitationsPerUser,
    now: deps.registry.now,
    logger: deps.logger,
  });
  const machineAccounts = createMachineAccountService({
    mlflow: deps.mlflow,
    permissions: deps.permissions,
    papi: deps.papi,
    vaultPath: (label) => machineAccountSecretPath(config.vault?.secretPath ?? '/services/mlflow/credentials', label),
    registry: deps.registry.machineAccounts,
    activity: deps.registry.activity,
    limit: config.machineAccountsPerUser,
    logger: deps.logger,
  });
  const groups = createGroupService({
    patterns: config.shareableGroups ?? [],
    permissions: deps.permissions,
    roles: deps.mlflow.roles,
    registry: deps.registry.groups,
    accounts: deps.registry.accounts,
    names: deps.resourceNames,
    lock: deps.resourceLock,
    audit: sharingAudit,
    logger: deps.logger,
  });
  const accounts = createAccountService({
    mlflow: deps.mlflow,
    permissions: deps.permissions,
    papi: deps.papi,
    accounts: deps.registry.accounts,
    activity: deps.registry.activity,
    adminUsername: config.mlflow.adminUsername,
    logger: deps.logger,
    deprovisionOnIneligible: config.deprovision.onIneligible,
    supportContact: config.supportContact,
    now: deps.registry.now,
    machineAccounts,
    invitations,
    groups,
  });
  const sharing = createSharingService({
    permissions: deps.permissions,
    names: deps.resourceNames,
    lock: deps.resourceLock,
    audit: sharingAudit,
    invitations,
  });
  return { accounts, sharing, machineAccounts, invitations, groups };
}

export type Services = ReturnType<typeof createServices>;

/** MLflow's API with the service's admin account, as configured. */
export function mlflowClientOf(config: Config): MlflowClient {
  return createMlflowClient({
    baseUrl: config.mlflow.url,
    username: config.mlflow.adminUsername,
    password: config.mlflow.adminPassword,
  });
}

/**
 * The services with their real collaborators (MLflow, Vault when configured, the resource names) and the
 * maintenance job over them, wired the same way by the server and by the operator CLI (`cli sweep`), so that
 * a sweep by hand does exactly what the scheduled one does. The resource lock is the caller's: the server's
 * spans replicas, the CLI's is its own process's.
 */
export function wireServices(config: Config, deps: Pick<ServiceDeps, 'logger' | 'registry' | 'resourceLock'>) {
  const { logger, registry, resourceLock } = deps;
  const mlflow = mlflowClientOf(config);
  const papi = config.vault ? createPapiClient(config.vault) : undefined;
  const resourceNames = createResourceNames(mlflow);
  const permissions = () => mlflow.permissions((name) => resourceNames.isPrompt(name));
  const services = createServices(config, { logger, mlflow, papi, registry, resourceLock, resourceNames, permissions });
  const maintenance = createMaintenance({
    registry,
    accounts: services.accounts,
    invitations: services.invitations,
    settings: config,
    logger,
  });
  return { mlflow, papi, permissions, services, maintenance };
}
