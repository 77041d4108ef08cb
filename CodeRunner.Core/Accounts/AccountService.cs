using System.Text.RegularExpressions;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using Microsoft.AspNetCore.Identity;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Accounts;

public sealed record RegisterRequest(string UserName, string Email, string Password, string? FullName = null);

/// <summary>LockedOut: an Identity lockout set on the account; Throttled: too many failures from this client for this login.</summary>
public enum SignInOutcome { Succeeded, Failed, LockedOut, Inactive, MustChangePassword, Throttled }

/// <summary>Register, sign in/out, password and culture changes — each audited.</summary>
public sealed partial class AccountService(
    UserManager<AppUser> users,
    ReadContexts reads,
    SignInManager<AppUser> signIn,
    AuditService audit,
    SignInThrottle throttle,
    RequestContext request,
    TimeProvider clock)
{
    // Verified against when the login names no account, so an unknown name costs the same hashing as a wrong password.
    private static readonly Lazy<string> DummyPasswordHash = new(() =>
        new PasswordHasher<AppUser>().HashPassword(new AppUser(), Guid.NewGuid().ToString("N")));

    public static readonly IReadOnlyList<string> SupportedCultures = ["zh-CN", "en-US"];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$")]
    private static partial Regex UserNamePattern();

    /// <summary>The user-name rule (3-32 letters, digits, '.', '_' or '-'), shared with accounts created by admins.</summary>
    public static bool IsValidUserName(string userName) => UserNamePattern().IsMatch(userName);

    public async Task<AppUser> RegisterAsync(RegisterRequest registration, CancellationToken cancellationToken = default)
    {
        var userName = registration.UserName.Trim();
        var email = registration.Email.Trim();
        if (email.Length > AccountInputRules.MaxEmailLength)
            throw new ValidationError("account.email_too_long", "Email", "Email is too long.", AccountInputRules.MaxEmailLength);
        if (registration.Password.Length > AccountInputRules.MaxPasswordLength)
            throw new ValidationError("account.password_too_long", "Password", "Password is too long.", AccountInputRules.MaxPasswordLength);
        if (registration.FullName?.Trim().Length > AccountInputRules.MaxFullNameLength)
            throw new ValidationError("account.full_name_too_long", "FullName", "Full name is too long.", AccountInputRules.MaxFullNameLength);
        if (!UserNamePattern().IsMatch(userName))
            throw new ValidationError("account.username_invalid", "UserName", "User name must be 3-32 letters, digits, '.', '_' or '-'.");
        if (await users.FindByNameAsync(userName) is not null)
            throw new ValidationError("account.username_taken", "UserName", "User name is taken.", userName);
        if (await users.FindByEmailAsync(email) is not null)
            throw new ValidationError("account.email_taken", "Email", "Email is already registered.", email);

        var user = new AppUser
        {
            UserName = userName,
            Email = email,
            FullName = string.IsNullOrWhiteSpace(registration.FullName) ? null : registration.FullName.Trim(),
            Level = 1,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        var result = await users.CreateAsync(user, registration.Password);
        if (!result.Succeeded)
        {
            var first = result.Errors.First();
            throw new ValidationError("identity." + first.Code, first.Code.Contains("Password") ? "Password" : "Email", first.Description);
        }
        await audit.RecordAsync(user.Id, user.UserName, "account.register", "user", user.Id, cancellationToken: cancellationToken);
        return user;
    }

    /// <summary>
    /// Signs in with a user name or an email address. Every outcome a stranger can reach costs one password hash and
    /// says nothing about whether the account exists; failures are throttled per (login, client), see <see cref="SignInThrottle"/>.
    /// </summary>
    public async Task<SignInOutcome> SignInAsync(string userNameOrEmail, string password, bool remember, CancellationToken cancellationToken = default)
    {
        var login = userNameOrEmail.Trim();
        if (login.Length is 0 or > AccountInputRules.MaxLoginLength || password.Length > AccountInputRules.MaxPasswordLength)
        {
            // Never store or log the oversized input itself.
            await audit.RecordAsync(null, null, "account.signin", "user", null,
                new { reason = "invalid_input", login_length = login.Length, password_length = password.Length }, AuditStatus.Error, cancellationToken);
            return SignInOutcome.Failed;
        }
        if (throttle.RetryAfter(login, request.IpAddress) is not null)
        {
            await audit.RecordAsync(null, login, "account.signin", "user", null, new { reason = "throttled" }, AuditStatus.Warning, cancellationToken);
            return SignInOutcome.Throttled;
        }

        var user = await FindByLoginAsync(login);
        if (user is null)
        {
            users.PasswordHasher.VerifyHashedPassword(new AppUser(), DummyPasswordHash.Value, password);
            throttle.RecordFailure(login, request.IpAddress);
            await audit.RecordAsync(null, login, "account.signin", "user", null, new { reason = "unknown_user" }, AuditStatus.Error, cancellationToken);
            return SignInOutcome.Failed;
        }
        if (!user.IsActive)
        {
            // Only someone who knows the password learns that the account is deactivated.
            var rightPassword = await users.CheckPasswordAsync(user, password);
            if (!rightPassword) throttle.RecordFailure(login, request.IpAddress);
            await audit.RecordAsync(user.Id, user.UserName, "account.signin", "user", user.Id,
                new { reason = rightPassword ? "inactive" : "bad_password" }, AuditStatus.Error, cancellationToken);
            return rightPassword ? SignInOutcome.Inactive : SignInOutcome.Failed;
        }

        // Identity's own lockout stays off for failures: it would let anyone lock any account (see SignInThrottle).
        var result = await signIn.PasswordSignInAsync(user, password, remember, lockoutOnFailure: false);
        if (result.Succeeded)
        {
            throttle.Reset(login, request.IpAddress);
            await audit.RecordAsync(user.Id, user.UserName, "account.signin", "user", user.Id, cancellationToken: cancellationToken);
            return user.MustChangePassword ? SignInOutcome.MustChangePassword : SignInOutcome.Succeeded;
        }
        if (result.IsLockedOut)
        {
            await audit.RecordAsync(user.Id, user.UserName, "account.signin", "user", user.Id, new { reason = "locked_out" }, AuditStatus.Warning, cancellationToken);
            return SignInOutcome.LockedOut;
        }
        throttle.RecordFailure(login, request.IpAddress);
        await audit.RecordAsync(user.Id, user.UserName, "account.signin", "user", user.Id, new { reason = "bad_password" }, AuditStatus.Error, cancellationToken);
        return SignInOutcome.Failed;
    }

    /// <summary>Ends the session: a new security stamp makes every copy of the old cookie worthless (checked on each request).</summary>
    public async Task SignOutAsync(UserRef? actor, CancellationToken cancellationToken = default)
    {
        if (actor is not null && await users.FindByIdAsync(actor.Id) is { } user)
            await users.UpdateSecurityStampAsync(user);
        await signIn.SignOutAsync();
        if (actor is not null)
            await audit.RecordAsync(actor, "account.signout", "user", actor.Id, cancellationToken: cancellationToken);
    }

    /// <summary>Whether a cookie's user is still active and its security stamp still current (one indexed query).</summary>
    public async Task<bool> IsSessionCurrentAsync(string userId, string? securityStamp, CancellationToken cancellationToken = default) =>
        securityStamp is not null
        && await users.Users.AsNoTracking().AnyAsync(u => u.Id == userId && u.IsActive && u.SecurityStamp == securityStamp, cancellationToken);

    public async Task ChangePasswordAsync(UserRef actor, string currentPassword, string newPassword, CancellationToken cancellationToken = default)
    {
        if (newPassword.Length > AccountInputRules.MaxPasswordLength)
            throw new ValidationError("account.password_too_long", "NewPassword", "Password is too long.", AccountInputRules.MaxPasswordLength);
        var user = await users.FindByIdAsync(actor.Id) ?? throw new NotFoundError("user", actor.Id);
        if (currentPassword == newPassword)
            throw new ValidationError("account.password_unchanged", "NewPassword", "The new password must differ from the current one.");
        var result = await users.ChangePasswordAsync(user, currentPassword, newPassword);
        if (!result.Succeeded)
        {
            var first = result.Errors.First();
            await audit.RecordAsync(actor, "account.password_change", "user", actor.Id, new { reason = first.Code }, AuditStatus.Error, cancellationToken);
            throw new ValidationError("identity." + first.Code, first.Code == "PasswordMismatch" ? "OldPassword" : "NewPassword", first.Description);
        }
        user.MustChangePassword = false;
        await users.UpdateAsync(user);
        await signIn.RefreshSignInAsync(user);
        await audit.RecordAsync(actor, "account.password_change", "user", actor.Id, cancellationToken: cancellationToken);
    }

    /// <summary>Remembers the UI language on the profile of a signed-in user.</summary>
    public async Task SetCultureAsync(UserRef actor, string culture, CancellationToken cancellationToken = default)
    {
        if (!SupportedCultures.Contains(culture))
            throw new ValidationError("account.culture_unsupported", "Culture", "Unsupported culture.", culture);
        var user = await users.FindByIdAsync(actor.Id) ?? throw new NotFoundError("user", actor.Id);
        user.Culture = culture;
        await users.UpdateAsync(user);
        await audit.RecordAsync(actor, "account.culture_change", "user", actor.Id, new { culture }, cancellationToken: cancellationToken);
    }

    /// <summary>A user by user name, or by email when the login contains '@'.</summary>
    public async Task<AppUser?> FindByLoginAsync(string userNameOrEmail)
    {
        var login = userNameOrEmail.Trim();
        return login.Contains('@') ? await users.FindByEmailAsync(login) : await users.FindByNameAsync(login);
    }

    public async Task<AppUser?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        return await db.Users.FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
    }
}
