namespace CodeRunner.Core.Accounts;

/// <summary>First-run admin account ("Admin" configuration section).</summary>
public sealed class AdminBootstrapOptions
{
    public const string Section = "Admin";
    public string UserName { get; set; } = "admin";
    public string Email { get; set; } = "admin@localhost";
    /// <summary>When empty, a random password is generated and printed once to the console.</summary>
    public string? InitialPassword { get; set; }
}
