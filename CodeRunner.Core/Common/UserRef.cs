using System.Security.Claims;

namespace CodeRunner.Core.Common;

/// <summary>The acting user, as services see it. Built from the signed-in principal or an API key.</summary>
public sealed record UserRef(string Id, string UserName, bool IsAdmin, int Level)
{
    public const string AdminRole = "admin";
    public const string LevelClaim = "coderunner:level";

    public static UserRef? FromPrincipal(ClaimsPrincipal principal)
    {
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (id is null) return null;
        var level = int.TryParse(principal.FindFirstValue(LevelClaim), out var l) ? l : 1;
        return new UserRef(id, principal.Identity?.Name ?? "", principal.IsInRole(AdminRole), level);
    }
}
