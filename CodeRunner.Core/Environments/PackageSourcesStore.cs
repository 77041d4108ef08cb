using System.Text.Json;
using CodeRunner.Core.Common;
using CodeRunner.Sandbox.Environments;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Environments;

/// <summary>Configuration section "Packages": where pip and conda get packages from.</summary>
public sealed class PackageSourcesOptions
{
    public const string Section = "Packages";

    public string? PipIndexUrl { get; set; }
    public List<string> PipExtraIndexUrls { get; set; } = [];
    /// <summary>Local wheelhouse directories or URLs (pip --find-links).</summary>
    public List<string> FindLinks { get; set; } = [];
    public bool NoIndex { get; set; }
    public List<string> CondaChannels { get; set; } = [];

    public PackageSources ToSources() => new()
    {
        PipIndexUrl = string.IsNullOrWhiteSpace(PipIndexUrl) ? null : PipIndexUrl.Trim(),
        PipExtraIndexUrls = Clean(PipExtraIndexUrls),
        FindLinks = Clean(FindLinks),
        NoIndex = NoIndex,
        CondaChannels = Clean(CondaChannels),
    };

    private static List<string> Clean(IEnumerable<string>? values) =>
        (values ?? []).Select(v => v.Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList();
}

/// <summary>
/// The package sources in force: the "Packages" configuration, overridden by what an admin saved on the
/// admin page (data/package-sources.json; no schema change). Every create/install/upgrade reads it.
/// </summary>
public sealed class PackageSourcesStore
{
    public const string FileName = "package-sources.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly PackageSources configured;
    private readonly string path;
    private readonly ILogger<PackageSourcesStore> logger;
    private readonly Lock gate = new();
    private PackageSources? saved;

    public PackageSourcesStore(IConfiguration configuration, DataDirectory data, ILogger<PackageSourcesStore> logger)
    {
        configured = (configuration.GetSection(PackageSourcesOptions.Section).Get<PackageSourcesOptions>() ?? new()).ToSources();
        path = Path.Combine(data.Root, FileName);
        this.logger = logger;
        saved = Load();
    }

    /// <summary>From configuration only (what "reset" goes back to).</summary>
    public PackageSources Configured => configured;

    /// <summary>True when an admin's saved settings override configuration.</summary>
    public bool IsOverridden
    {
        get { lock (gate) return saved is not null; }
    }

    public PackageSources Current
    {
        get { lock (gate) return saved ?? configured; }
    }

    internal void Save(PackageSources sources)
    {
        var options = new PackageSourcesOptions
        {
            PipIndexUrl = sources.PipIndexUrl,
            PipExtraIndexUrls = [.. sources.PipExtraIndexUrls],
            FindLinks = [.. sources.FindLinks],
            NoIndex = sources.NoIndex,
            CondaChannels = [.. sources.CondaChannels],
        };
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(options, Json));
        File.Move(temp, path, overwrite: true);
        lock (gate) saved = options.ToSources();
    }

    internal void Reset()
    {
        if (File.Exists(path)) File.Delete(path);
        lock (gate) saved = null;
    }

    private PackageSources? Load()
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<PackageSourcesOptions>(File.ReadAllText(path))?.ToSources();
        }
        catch (JsonException exception)
        {
            logger.LogError(exception, "Ignoring unreadable {Path}; using the configured package sources", path);
            return null;
        }
    }
}
