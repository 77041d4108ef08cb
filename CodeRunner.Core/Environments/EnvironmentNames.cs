using CodeRunner.Core.Common;
using CodeRunner.Sandbox.Environments;

namespace CodeRunner.Core.Environments;

/// <summary>
/// The one home of environment names: the shared base environment's name and the rule a new environment's name
/// follows (the sandbox's validator, which also guards the directories it makes). Pages, the API, runs and snippets read them here.
/// </summary>
public static class EnvironmentNames
{
    /// <summary>The shared, read-only environment of the base interpreter.</summary>
    public const string Base = "base";

    /// <summary>Longest name a snippet, post or run may refer to (the stored column's length).</summary>
    public const int MaxReferenceLength = 64;

    public static bool IsBase(string? name) => string.Equals(name, Base, StringComparison.OrdinalIgnoreCase);

    /// <summary>A new environment's name, or a <see cref="ValidationError"/> naming the rule.</summary>
    public static string ValidateNew(string? name) =>
        EnvironmentErrors.Translate(() => PackageSpecValidator.ValidateEnvironmentName(name?.Trim()));

    /// <summary>Whether a request may name this environment: the base one or a name a new environment could have.</summary>
    public static bool IsWellFormedReference(string? name)
    {
        if (IsBase(name)) return true;
        try
        {
            PackageSpecValidator.ValidateEnvironmentName(name);
            return true;
        }
        catch (InvalidEnvironmentNameException)
        {
            return false;
        }
    }
}
