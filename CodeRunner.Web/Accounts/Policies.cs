namespace CodeRunner.Web.Accounts;

/// <summary>Authorization policy names used by pages and endpoints.</summary>
public static class Policies
{
    public const string Admin = "admin";
    /// <summary>Signed in, even with a temporary password that must be changed (only the change-password page).</summary>
    public const string PasswordChange = "password-change";
}
