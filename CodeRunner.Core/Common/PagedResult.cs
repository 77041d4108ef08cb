namespace CodeRunner.Core.Common;

/// <summary>One page of a list plus the total count, for paged tables and the REST API.</summary>
public sealed record PagedResult<T>(IReadOnlyList<T> Items, int TotalCount, int Page, int PageSize)
{
    public static int ClampPageSize(int pageSize, int max = 100) => Math.Clamp(pageSize, 1, max);

    /// <summary>Rows before <paramref name="page"/> (1-based), without the int overflow that would wrap a huge page back to the first one.</summary>
    public static int SkipFor(int page, int pageSize) => (int)Math.Min(int.MaxValue, (Math.Max(1L, page) - 1) * pageSize);
}
