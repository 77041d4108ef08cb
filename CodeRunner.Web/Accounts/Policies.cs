namespace CodeRunner.Web.Accounts;

/// <summary>Authorization policy names used by pages and endpoints.</summary>
public static class Policies
{
    public const string Admin = "admin";
}
