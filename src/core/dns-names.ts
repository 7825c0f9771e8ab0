/**
 * The DNS name rules, defined once: what an app, a namespace, an environment or a Zero Trust team may be called
 * (a label), and what a hostname or a zone may be (a name). Lowercase only: tunnelbot lowercases what a person types
 * before it checks it (names.ts).
 */

/** A DNS-1123 label: 1 to 63 lowercase letters, digits and "-", starting and ending with a letter or a digit. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A DNS name: two labels or more, 253 characters at most, no trailing dot. */
export const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
