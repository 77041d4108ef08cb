using Microsoft.Extensions.Localization;

namespace CodeRunner.Web.Localization;

/// <summary>The display name of a tier level: the translated default name, or the configured one for custom levels.</summary>
public static class TierNames
{
    public static string Describe(IStringLocalizer<SharedResource> shared, int level, string configuredName)
    {
        var text = shared["Tier" + level];
        return text.ResourceNotFound ? configuredName : text.Value;
    }
}
