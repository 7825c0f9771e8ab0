/** The slice of the SDK's `V4PagePaginationArray` that paging needs. */
interface V4Page<T> {
  result: T[];
  result_info: { page?: number; per_page?: number };
  getNextPage(): Promise<V4Page<T>>;
}

/**
 * Every item of a page-number list. The SDK's own iterator always asks for one page past the end (it stops only on
 * an empty page); cloudflared stops as soon as a page is short or `total_count` is reached, and so do we, which
 * saves one request per listing. The server's `per_page` is used, not ours, because Cloudflare may cap it lower.
 */
export async function collectPages<T>(first: PromiseLike<V4Page<T>>): Promise<T[]> {
  let page = await first;
  const items: T[] = [...page.result];
  for (;;) {
    const info = page.result_info as {
      per_page?: number;
      total_count?: number;
      total_pages?: number;
      page?: number;
    };
    const lastPage =
      page.result.length === 0 ||
      (typeof info.total_count === 'number' && items.length >= info.total_count) ||
      (typeof info.per_page === 'number' && page.result.length < info.per_page);
    if (lastPage) return items;
    page = await page.getNextPage();
    items.push(...page.result);
  }
}
