using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Sandbox.Environments;

namespace CodeRunner.Core.Environments;

/// <summary>Where pip and conda fetch packages from: the admin's saved sources or configuration (admins only).</summary>
public sealed class PackageSourcesService(AuditService audit, PackageSourcesStore packageSources)
{
    public PackageSourceSettings GetPackageSources(UserRef actor)
    {
        EnvironmentAccess.RequireAdmin(actor);
        return packageSources.Current.ToCore();
    }

    public bool PackageSourcesOverridden => packageSources.IsOverridden;

    /// <summary>Saves the admin's package sources (data/package-sources.json); they override configuration from now on.</summary>
    public async Task SavePackageSourcesAsync(UserRef actor, PackageSourceSettings sources, CancellationToken cancellationToken = default)
    {
        EnvironmentAccess.RequireAdmin(actor);
        var clean = new PackageSourcesOptions
        {
            PipIndexUrl = sources.PipIndexUrl,
            PipExtraIndexUrls = [.. sources.PipExtraIndexUrls],
            FindLinks = [.. sources.FindLinks],
            NoIndex = sources.NoIndex,
            CondaChannels = [.. sources.CondaChannels],
        }.ToSources();
        if (clean.PipIndexUrl is { } index) RequireUrl(index, "pipIndexUrl");
        foreach (var url in clean.PipExtraIndexUrls) RequireUrl(url, "pipExtraIndexUrls");
        foreach (var link in clean.FindLinks)
            if (!Path.IsPathFullyQualified(link)) RequireUrl(link, "findLinks");
        foreach (var channel in clean.CondaChannels)
            if (channel.Contains("://", StringComparison.Ordinal) ? !IsHttpUrl(channel) : channel.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')))
                throw new ValidationError("environments.invalid_channel", "condaChannels", $"'{channel}' is not a channel name or http(s) URL.", channel);
        packageSources.Save(clean);
        await audit.RecordAsync(actor, "packages.sources_update", "settings", "package-sources", clean, cancellationToken: cancellationToken);
    }

    /// <summary>Drops the admin's saved sources; configuration applies again.</summary>
    public async Task ResetPackageSourcesAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        EnvironmentAccess.RequireAdmin(actor);
        packageSources.Reset();
        await audit.RecordAsync(actor, "packages.sources_reset", "settings", "package-sources", cancellationToken: cancellationToken);
    }

    private static void RequireUrl(string value, string field)
    {
        if (!IsHttpUrl(value))
            throw new ValidationError("environments.invalid_source_url", field, $"'{value}' is not an http(s) URL or absolute directory.", value);
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

}
