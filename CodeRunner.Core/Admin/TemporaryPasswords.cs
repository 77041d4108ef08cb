using System.Security.Cryptography;

namespace CodeRunner.Core.Admin;

/// <summary>Random temporary passwords an admin can hand out (they must be changed at the first sign-in).</summary>
public static class TemporaryPasswords
{
    // No look-alikes (0/O, 1/l/I); letters of both cases and digits satisfy the password policy.
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    public static string Generate() => "Tmp-" + new string(RandomNumberGenerator.GetItems<char>(Alphabet, 10)) + "7a";
}
