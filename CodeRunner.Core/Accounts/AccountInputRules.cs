namespace CodeRunner.Core.Accounts;

/// <summary>Longest accepted account inputs. Checked before anything is looked up, stored or logged, so an
/// oversized field costs nothing (SQLite does not enforce column lengths).</summary>
public static class AccountInputRules
{
    /// <summary>User name or email typed at sign-in (Identity's columns are 256 wide).</summary>
    public const int MaxLoginLength = 256;
    public const int MaxEmailLength = 256;
    public const int MaxPasswordLength = 256;
    public const int MaxFullNameLength = 100;
}
