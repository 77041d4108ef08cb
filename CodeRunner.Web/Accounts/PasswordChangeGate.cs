using CodeRunner.Core.Accounts;
using Microsoft.AspNetCore.Authorization;

namespace CodeRunner.Web.Accounts;

/// <summary>
/// A user who still has to change the password (the first-run admin) passes no authorization check except the
/// change-password page's own policy. Because it is an authorization handler it holds wherever authorization runs:
/// page endpoints, pages routed inside a Blazor circuit (AuthorizeRouteView), AuthorizeView and the API.
/// </summary>
public sealed class PasswordChangeGate : IAuthorizationHandler
{
    public static bool MustChangePassword(System.Security.Claims.ClaimsPrincipal user) =>
        user.HasClaim(c => c.Type == CodeRunnerClaimsFactory.MustChangePasswordClaim);

    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        if (MustChangePassword(context.User) && !context.Requirements.OfType<PasswordChangeRequirement>().Any())
            context.Fail(new AuthorizationFailureReason(this, "The password must be changed first."));
        return Task.CompletedTask;
    }
}

/// <summary>Marks the one policy a user with a temporary password passes: the change-password page's.</summary>
public sealed class PasswordChangeRequirement : AuthorizationHandler<PasswordChangeRequirement>, IAuthorizationRequirement
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PasswordChangeRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated == true) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
