using CodeRunner.Core.Common;
using Microsoft.AspNetCore.Components.Authorization;

namespace CodeRunner.Web.Accounts;

/// <summary>The signed-in user of this circuit or request, as services want it.</summary>
public sealed class CurrentUser(AuthenticationStateProvider authenticationState)
{
    public async Task<UserRef?> GetAsync()
    {
        var state = await authenticationState.GetAuthenticationStateAsync();
        return UserRef.FromPrincipal(state.User);
    }

    /// <summary>For pages that require sign-in (the router already enforces it).</summary>
    public async Task<UserRef> RequireAsync() =>
        await GetAsync() ?? throw new ForbiddenError("Not signed in.");
}
