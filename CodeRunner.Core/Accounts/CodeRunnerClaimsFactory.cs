using System.Security.Claims;
using CodeRunner.Core.Common;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Accounts;

/// <summary>Adds the tier level and the "must change password" flag to the sign-in cookie.</summary>
public sealed class CodeRunnerClaimsFactory(UserManager<AppUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<AppUser, IdentityRole>(users, roles, options)
{
    public const string MustChangePasswordClaim = "coderunner:must_change_password";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(AppUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(UserRef.LevelClaim, user.Level.ToString()));
        if (user.MustChangePassword) identity.AddClaim(new Claim(MustChangePasswordClaim, "1"));
        return identity;
    }
}
