using System.Text.RegularExpressions;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Accounts;

public sealed record RegisterRequest(string UserName, string Email, string Password, string? FullName = null);

public enum SignInOutcome { Succeeded, Failed, LockedOut, Inactive, MustChangePassword }

/// <summary>Register, sign in/out, password and culture changes — each audited.</summary>
public sealed partial class AccountService(
    UserManager<AppUser> users,
    SignInManager<AppUser> signIn,
    AuditService audit,
    TimeProvider clock)
{
    public static readonly IReadOnlyList<string> SupportedCultures = ["zh-CN", "en-US"];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$")]
    private static partial Regex UserNamePattern();

    /// <summary>The user-name rule (3-32 letters, digits, '.', '_' or '-'), shared with accounts created by admins.</summary>
    public static bool IsValidUserName(string userName) => UserNamePattern().IsMatch(userName);

    public async Task<AppUser> RegisterAsync(RegisterRequest request, CancellationToken cancellationToken = default)
    {
        var userName = request.UserName.Trim();
        var email = request.Email.Trim();
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
            FullName = string.IsNullOrWhiteSpace(request.FullName) ? null : request.FullName.Trim(),
            Level = 1,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        var result = await users.CreateAsync(user, request.Password);
        if (!result.Succeeded)
        {
            var first = result.Errors.First();
            throw new ValidationError("identity." + first.Code, first.Code.Contains("Password") ? "Password" : "Email", first.Description);
        }
        await audit.RecordAsync(user.Id, user.UserName, "account.register", "user", user.Id, cancellationToken: cancellationToken);
        return user;
    }

    /// <summary>Signs in with a user name or an email address. Failures count towards lockout.</summary>
    public async Task<SignInOutcome> SignInAsync(string userNameOrEmail, string password, bool remember, CancellationToken cancellationToken = default)
    {
        var login = userNameOrEmail.Trim();
        var user = await FindByLoginAsync(login);
        if (user is null)
        {
            await audit.RecordAsync(null, login, "account.signin", "user", null, new { reason = "unknown_user" }, AuditStatus.Error, cancellationToken);
            return SignInOutcome.Failed;
        }
        if (!user.IsActive)
        {
            await audit.RecordAsync(user.Id, user.UserName, "account.signin", "user", user.Id, new { reason = "inactive" }, AuditStatus.Error, cancellationToken);
            return SignInOutcome.Inactive;
        }

        var result = await signIn.PasswordSignInAsync(user, password, remember, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            await audit.RecordAsync(user.Id, user.UserName, "account.signin", "user", user.Id, cancellationToken: cancellationToken);
            return user.MustChangePassword ? SignInOutcome.MustChangePassword : SignInOutcome.Succeeded;
        }
        var outcome = result.IsLockedOut ? SignInOutcome.LockedOut : SignInOutcome.Failed;
        await audit.RecordAsync(user.Id, user.UserName, "account.signin", "user", user.Id,
            new { reason = outcome == SignInOutcome.LockedOut ? "locked_out" : "bad_password" },
            outcome == SignInOutcome.LockedOut ? AuditStatus.Warning : AuditStatus.Error, cancellationToken);
        return outcome;
    }

    public async Task SignOutAsync(UserRef? actor, CancellationToken cancellationToken = default)
    {
        await signIn.SignOutAsync();
        if (actor is not null)
            await audit.RecordAsync(actor, "account.signout", "user", actor.Id, cancellationToken: cancellationToken);
    }

    public async Task ChangePasswordAsync(UserRef actor, string currentPassword, string newPassword, CancellationToken cancellationToken = default)
    {
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

    public Task<AppUser?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        users.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
}
