using System.Security.Cryptography;
using CodeRunner.Core.Common;
using Microsoft.AspNetCore.DataProtection;

namespace CodeRunner.Core.Ai;

/// <summary>Encrypts provider API keys at rest with ASP.NET Core Data Protection (keys in data/keys).</summary>
public sealed class AiKeyProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("CodeRunner.Ai.ProviderApiKeys.v1");

    public string Protect(string apiKey) => protector.Protect(apiKey);

    /// <summary>The clear key; a key ring that lost its keys gives a clear error asking for the key again.</summary>
    public string Unprotect(string encrypted)
    {
        try
        {
            return protector.Unprotect(encrypted);
        }
        catch (CryptographicException e)
        {
            throw new ConflictError("ai.key_unreadable", "The stored API key cannot be decrypted (the data protection keys changed); enter it again. " + e.GetType().Name);
        }
    }

    /// <summary>What a page may show of a key: its last 4 characters.</summary>
    public static string HintOf(string apiKey) => apiKey.Length <= 4 ? new string('•', apiKey.Length) : apiKey[^4..];
}
