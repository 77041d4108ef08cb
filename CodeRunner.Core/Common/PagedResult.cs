namespace CodeRunner.Core.Common;

/// <summary>One page of a list plus the total count, for paged tables and the REST API.</summary>
public sealed record PagedResult<T>(IReadOnlyList<T> Items, int TotalCount, int Page, int PageSize)
{
    public static int ClampPageSize(int pageSize, int max = 100) => Math.Clamp(pageSize, 1, max);
}
