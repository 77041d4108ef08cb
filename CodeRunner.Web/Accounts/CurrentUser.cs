using CodeRunner.Core.Accounts;
using CodeRunner.Core.Common;
using Microsoft.AspNetCore.Components.Authorization;

namespace CodeRunner.Web.Accounts;

/// <summary>The signed-in user of this circuit or request, as services want it.</summary>
public sealed class CurrentUser(AuthenticationStateProvider authenticationState, AccountService accounts, TimeProvider clock)
{
    // Components of one page ask at once (layout, page, sections): callers within a moment share one lookup.
    private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(2);
    private Task<UserRef?>? lookup;
    private DateTimeOffset lookupStarted;

    public Task<UserRef?> GetAsync()
    {
        var now = clock.GetUtcNow();
        if (lookup is null || (lookup.IsCompleted && now - lookupStarted > Reuse))
        {
            lookupStarted = now;
            lookup = LookUpAsync();
        }
        return lookup;
    }

    private async Task<UserRef?> LookUpAsync()
    {
        var state = await authenticationState.GetAuthenticationStateAsync();
        var fromCookie = UserRef.FromPrincipal(state.User);
        if (fromCookie is null) return null;
        // The tier level can change while the cookie lives (an admin upgrades someone): read it fresh.
        var user = await accounts.FindAsync(fromCookie.Id);
        return user is { IsActive: true } ? fromCookie with { Level = user.Level } : null;
    }

    /// <summary>For pages that require sign-in (the router already enforces it).</summary>
    public async Task<UserRef> RequireAsync() =>
        await GetAsync() ?? throw new ForbiddenError("Not signed in.");
}
