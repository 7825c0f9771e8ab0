/**
 * Orders strings by their UTF-16 code units, as `<` does: the same order on every machine whatever its locale, which
 * a GitOps change (the order of files in a commit, of DNS changes in a plan) should have. `localeCompare` would also
 * load ICU's collation data into the service, about 2 MiB of its idle memory. Paths, hostnames and ids are ASCII,
 * where this is byte order.
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
