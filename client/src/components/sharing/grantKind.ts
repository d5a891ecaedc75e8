import type { Permission } from '../../api';

/**
 * A kind of grant a list of the "Manage access" dialog shows (a person's, a group's): what the list says,
 * and how each of its rows shows the grant and changes it. {@link GrantList} does the rest.
 */
export interface GrantKind<Row> {
  /**
   * What the list is, for "Loading …" (`what`), as the title of why it could not be loaded (`failed`), and to
   * screen readers as its name (`list`).
   */
  words: { what: string; failed: string; list: string };
  /** Tells the rows apart. */
  key: (row: Row) => string;
  /** Whose grant it is, for screen readers (e.g. "group team-vision"): "Permission for …". */
  holder: (row: Row) => string;
  /** Classes of the row beside `person`. */
  rowClass?: (row: Row) => string | Record<string, boolean>;
  /** Whether the grant can be changed or removed here; when not, the `readonly` slot says what it is. */
  editable?: (row: Row) => boolean;
  /** The permissions this MLflow server can grant. */
  permissions: readonly Permission[];
  /** Changes the grant's permission; rejects with an ApiError. */
  save: (row: Row, permission: Permission) => Promise<unknown>;
  /** Announced once a change is saved. */
  saved: (row: Row, permission: Permission) => string;
  /** Shown above the server's message when a change fails. */
  changeFailed?: string;
}
