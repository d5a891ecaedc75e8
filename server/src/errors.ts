/**
 * Every error this API answers with, as one named factory per code (the codes of docs/api.md), and one
 * middleware that turns any thrown value into `{"error": {"code", "message"}}`. Call sites never build an
 * {@link AppError} by hand: a code is added here, documented in docs/api.md, and `errors.test.ts` checks
 * that the two lists match. Upstream bodies and stack traces are logged, never sent to the browser.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { describeForLog } from './http.js';

export interface FieldProblem {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldProblem[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

const passwordField = (message: string): FieldProblem[] => [{ field: 'password', message }];

// 400: the request itself is wrong.
const invalidJson = () => new AppError(400, 'invalid_json', 'The request body is not valid JSON.');
export const malformedUrl = () =>
  new AppError(
    400,
    'malformed_url',
    'The address is malformed (it holds an invalid percent-encoding). Check the link and try again.',
  );
const badRequest = () => new AppError(400, 'bad_request', 'The request could not be understood.');
export const invalidState = () =>
  new AppError(
    400,
    'invalid_state',
    'This sign-in link is not valid here: it has expired, was already used, or was started in another browser. Start again from the sign-in button.',
  );
export const signInRefused = (providerError: string, description: string | null) =>
  new AppError(
    400,
    'sign_in_refused',
    `The sign-in provider did not sign you in (${providerError.slice(0, 100)}${description ? `: ${description.slice(0, 200)}` : ''}). Try again.`,
  );
export const signInFailed = (cause?: unknown) =>
  new AppError(
    400,
    'sign_in_failed',
    'The sign-in could not be completed. Start again from the sign-in button.',
    undefined,
    { cause },
  );

export const reauthenticationFailed = () =>
  new AppError(
    400,
    'reauthentication_failed',
    'The sign-in provider did not confirm a new sign-in, so nothing was unlocked. Try again; if it keeps happening, tell the operators that the provider ignores max_age.',
  );

// 401: who is asking is unknown, or not recently enough.
export const notAuthenticated = () => new AppError(401, 'not_authenticated', 'Sign in first.');
export const sessionExpired = () =>
  new AppError(401, 'session_expired', 'Your sign-in has expired. Sign in again to continue.');
export const reauthenticationRequired = () =>
  new AppError(
    401,
    'reauthentication_required',
    'For your security, confirm it is you: sign in again, then finish what you were doing.',
  );

// 403: known, but not allowed.
export const csrfRefused = (why: string) =>
  new AppError(
    403,
    'csrf',
    `This request was refused to protect your account (${why}). Reload the page and try again.`,
  );
/** The person may not register: `code` is the eligibility verdict (not_eligible, email_missing, email_not_verified). */
export const ineligible = (code: 'not_eligible' | 'email_missing' | 'email_not_verified', message: string) =>
  new AppError(403, code, message);
export const emailMissing = () => ineligible('email_missing', 'Your sign-in provider did not share an email address.');
const forbidden = (message = 'You are not allowed to do this.') => new AppError(403, 'forbidden', message);
export const serviceAccountProtected = () =>
  forbidden('This is the account this service uses to manage MLflow; it cannot be changed here.');
export const mlflowAdminProtected = (username: string) =>
  forbidden(
    `${username} is an MLflow administrator account: it cannot be claimed or managed here. An operator can bind it by hand.`,
  );
export const claimPasswordIncorrect = (username: string) =>
  new AppError(
    403,
    'claim_password_incorrect',
    `That is not the current MLflow password of ${username}. If you no longer know it, ask an MLflow administrator to reset it.`,
    passwordField('This is not the account’s current MLflow password.'),
  );
export const notAManager = () =>
  forbidden('You can only share what you manage: you need the MANAGE permission on this resource.');
export const notAGroupMember = (group: string, sharingOn: boolean) =>
  new AppError(
    403,
    'not_a_group_member',
    sharingOn
      ? `You can only share with a group you belong to, and ${group} is not one of your shareable groups. If you joined it recently, sign out and in again.`
      : 'Sharing with groups is turned off on this service.',
  );
export const machineAccountsDisabled = () =>
  new AppError(
    403,
    'machine_accounts_disabled',
    'Machine accounts are turned off on this service, so no new machine account or password can be made.',
  );

// 404: nothing there.
const notFound = () => new AppError(404, 'not_found', 'There is nothing at this address.');
export const unknownResourceType = (given: string, known: readonly string[]) =>
  new AppError(404, 'not_found', `Unknown resource type "${given.slice(0, 40)}"; use ${known.join(', ')}.`);
export const notRegistered = () =>
  new AppError(404, 'not_registered', 'You have no MLflow account yet. Register first.');
export const notClaimable = () =>
  new AppError(404, 'not_claimable', 'There is no MLflow account with your email waiting to be claimed.');
export const userNotRegistered = (username: string) =>
  new AppError(404, 'user_not_registered', `${username} has no MLflow account: they must register first.`);
export const resourceNotFound = (type: string, id: string) =>
  new AppError(404, 'resource_not_found', `There is no ${type.replace('_', ' ')} "${id}".`);
export const grantNotFound = (username: string) =>
  new AppError(404, 'grant_not_found', `${username} has no direct permission on this resource.`);
export const groupGrantNotFound = (group: string) =>
  new AppError(404, 'group_grant_not_found', `The group ${group} has no permission on this resource.`);
export const sessionNotFound = () =>
  new AppError(404, 'session_not_found', 'That is not one of your sign-in sessions, or it has ended already.');
export const machineAccountNotFound = (label: string) =>
  new AppError(404, 'machine_account_not_found', `You have no machine account "${label}".`);

// 409: the state of things forbids it.
export const alreadyRegistered = () =>
  new AppError(
    409,
    'already_registered',
    'You already have an MLflow account. Change its password on your account page instead.',
  );
export const claimInstead = (username: string) =>
  new AppError(
    409,
    'already_registered',
    `An MLflow account ${username} already exists for your email. Claim it with its current password instead of registering.`,
  );
/** Says only that the address is taken and whom to ask: nothing about the account itself. */
export const accountOwnedByOtherIdentity = (email: string, contact: string | undefined) =>
  new AppError(
    409,
    'account_owned_by_other_identity',
    `The MLflow account for ${email} already belongs to another sign-in. If it is yours, sign out and sign in the way you did when you registered (the same provider and account). Otherwise, contact ${contact ?? 'the operator of this service'}.`,
  );
export const groupRoleConflict = (roleName: string) =>
  new AppError(
    409,
    'group_role_conflict',
    `MLflow has a role named ${roleName} that this service did not make, so the group cannot be shared with. Ask an MLflow administrator to rename or delete that role.`,
  );
export const lastManager = (canListCollaborators: boolean) =>
  new AppError(
    409,
    'last_manager',
    canListCollaborators
      ? 'This is the last MANAGE grant on this resource: give MANAGE to someone else first, so that somebody can still manage it.'
      : 'This MLflow version cannot tell whether anyone else manages this resource, so you cannot remove your own MANAGE permission. Ask another manager to do it.',
  );

export const machineAccountExists = (username: string) =>
  new AppError(409, 'machine_account_exists', `The MLflow user ${username} exists already. Choose another label.`, [
    { field: 'label', message: 'This label is taken: choose another one.' },
  ]);
export const machineAccountLimit = (limit: number) =>
  new AppError(
    409,
    'machine_account_limit',
    `You have as many machine accounts as this service allows (${limit}). Delete one you no longer need first.`,
  );

export const invitationLimit = (limit: number) =>
  new AppError(
    409,
    'invitation_limit',
    `You have as many invitations waiting as this service allows (${limit}). Revoke one that is no longer needed, or wait until the person registers.`,
  );

// 413, 415: the body's envelope.
const payloadTooLarge = () => new AppError(413, 'payload_too_large', 'The request body is too large (16 KB at most).');
const unsupportedEncoding = () => new AppError(415, 'unsupported_encoding', 'The request body must be UTF-8 JSON.');
export const unsupportedMediaType = () =>
  new AppError(415, 'unsupported_media_type', 'Send the request body as JSON (Content-Type: application/json).');

// 422: the body's content.
export const validationFailed = (fields: FieldProblem[]) =>
  new AppError(422, 'validation_failed', fields.map((f) => `${f.field}: ${f.message}`).join(' '), fields);
export const weakPassword = (message: string) => new AppError(422, 'weak_password', message, passwordField(message));
export const passwordInvalidCharacters = (message: string) =>
  new AppError(422, 'password_invalid_characters', message, passwordField(message));
export const permissionNotSupported = (permission: string) =>
  new AppError(
    422,
    'permission_not_supported',
    `This MLflow server does not support the ${permission} permission. Choose READ, EDIT or MANAGE.`,
    [{ field: 'permission', message: `${permission} is not supported by this MLflow server.` }],
  );

// 429: too many tries.
export const tooManyAttempts = () =>
  new AppError(429, 'too_many_attempts', 'Too many wrong passwords in a short time. Wait 15 minutes, then try again.');

// 5xx: an upstream failed; nothing the person did.
const internalError = () =>
  new AppError(
    500,
    'internal_error',
    'Something went wrong on our side. Try again, and tell the operators if it persists.',
  );
export const groupsNotSupportedByMlflow = () =>
  new AppError(
    501,
    'not_supported_by_mlflow',
    'This MLflow version (before 3.13) has no roles, so nothing can be shared with a group. Share with people one by one instead.',
  );
export const notSupportedByMlflow = () =>
  new AppError(
    501,
    'not_supported_by_mlflow',
    'This MLflow version (before 3.13) cannot list who has access. Look people up one by one by email instead.',
  );
export const mlflowFailed = (action: string, cause?: unknown) =>
  new AppError(502, 'mlflow_failed', `MLflow could not ${action}. Nothing else was changed; try again.`, undefined, {
    cause,
  });
export const vaultFailed = (during: 'register' | 'delete', cause?: unknown) =>
  new AppError(
    502,
    'vault_failed',
    during === 'register'
      ? 'Your credentials could not be stored in Vault, so no account was created. Try again in a moment.'
      : 'Your credentials could not be removed from Vault, so nothing was deleted. Try again in a moment.',
    undefined,
    { cause },
  );
export const vaultOutOfSync = (cause?: unknown) =>
  new AppError(
    502,
    'vault_out_of_sync',
    'Your MLflow password was changed, but the copy in Vault could not be updated, so jobs would still use the old one. Submit the new password again to repair this.',
    undefined,
    { cause },
  );
export const mlflowUnavailable = (cause?: unknown) =>
  new AppError(
    503,
    'mlflow_unavailable',
    'MLflow cannot be reached right now. Nothing was changed; try again in a moment.',
    undefined,
    { cause },
  );
export const mlflowAdminRefused = (cause?: unknown) =>
  new AppError(
    503,
    'mlflow_unavailable',
    'This service cannot manage MLflow accounts right now (its MLflow admin account was refused). The operators have been told.',
    undefined,
    { cause },
  );
export const temporarilyUnavailable = (cause?: unknown) =>
  new AppError(
    503,
    'temporarily_unavailable',
    'This service cannot complete the change right now. Nothing was changed; try again in a moment.',
    undefined,
    { cause },
  );
export const databaseUnavailable = (cause?: unknown) =>
  new AppError(
    503,
    'database_unavailable',
    'This service cannot reach its database right now. Try again in a moment; if you were changing something, check afterwards whether it happened.',
    undefined,
    { cause },
  );
export const providerUnavailable = (cause?: unknown) =>
  new AppError(
    503,
    'provider_unavailable',
    'The sign-in provider cannot be reached right now. Try again in a moment.',
    undefined,
    { cause },
  );

/** Answers 404 for API routes nobody handled (the SPA fallback handles page routes). */
export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

interface Logger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Body-parser, router and serve-static errors carry a `type` or an HTTP `status`: map them to stable
 * codes instead of a 500.
 */
function fromHttpError(err: { type?: string; status?: number; expose?: boolean } | undefined): AppError | undefined {
  switch (err?.type) {
    case 'entity.parse.failed':
      return invalidJson();
    case 'entity.too.large':
      return payloadTooLarge();
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return unsupportedEncoding();
  }
  if (err instanceof URIError) return malformedUrl();
  if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
    return err.status === 404 ? notFound() : badRequest();
  }
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let appError = err instanceof AppError ? err : fromHttpError(err as { type?: string });
    if (!appError) {
      logger.error({ err: describeForLog(err), path: req.path }, 'unhandled error');
      appError = internalError();
    } else if (appError.status >= 500) {
      logger.warn({ code: appError.code, cause: describeForLog(appError.cause), path: req.path }, appError.message);
    }
    if (res.headersSent) return;
    res.status(appError.status).json({
      error: {
        code: appError.code,
        message: appError.message,
        ...(appError.fields ? { fields: appError.fields } : {}),
      },
    });
  };
}
