using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Environments;

/// <summary>What venv and conda environments share: data/envs/&lt;name&gt; prefixes, validation first, streamed logs.</summary>
public abstract class EnvironmentManagerBase : IEnvironmentManager
{
    protected EnvironmentManagerBase(string environmentsRoot, ILogger logger)
    {
        EnvironmentsRoot = Path.GetFullPath(environmentsRoot);
        Directory.CreateDirectory(EnvironmentsRoot);
        Logger = logger;
    }

    public string EnvironmentsRoot { get; }
    protected ILogger Logger { get; }
    public abstract EnvironmentBackendInfo Backend { get; }

    public string GetPrefix(string name) => Path.Combine(EnvironmentsRoot, PackageSpecValidator.ValidateEnvironmentName(name));

    public virtual string GetInterpreterPath(string name) => Path.Combine(GetPrefix(name), "bin", "python3");

    public bool Exists(string name) => File.Exists(GetInterpreterPath(name));

    public IAsyncEnumerable<EnvironmentLogLine> CreateAsync(EnvironmentCreateSpec spec, PackageSources sources, CancellationToken cancellationToken)
    {
        var prefix = GetPrefix(spec.Name);
        PackageSpecValidator.ValidatePythonVersion(spec.PythonVersion);
        var packages = PackageSpecValidator.ValidatePackageSpecs(spec.InitialPackages);
        if (Directory.Exists(prefix)) throw new EnvironmentAlreadyExistsException(spec.Name);
        return EnvironmentToolRunner.StreamAsync(async (log, ct) =>
        {
            try
            {
                await CreateCoreAsync(spec, prefix, packages, sources, log, ct);
                log.TryWrite(new EnvironmentLogLine($"environment '{spec.Name}' is ready", Progress: 1));
            }
            catch
            {
                // A half-created environment is worse than none: remove it so the name can be reused.
                await DeleteDirectoryAsync(prefix);
                throw;
            }
        }, cancellationToken);
    }

    public IAsyncEnumerable<EnvironmentLogLine> InstallAsync(string name, IReadOnlyList<string> packageSpecs, PackageSources sources, CancellationToken cancellationToken)
    {
        var specs = PackageSpecValidator.ValidatePackageSpecs(packageSpecs);
        var prefix = RequireExisting(name);
        return EnvironmentToolRunner.StreamAsync((log, ct) => InstallCoreAsync(name, prefix, specs, sources, upgrade: false, log, ct), cancellationToken);
    }

    public IAsyncEnumerable<EnvironmentLogLine> UpgradeAsync(string name, IReadOnlyList<string> packageNames, PackageSources sources, CancellationToken cancellationToken)
    {
        var names = packageNames.Select(PackageSpecValidator.ValidatePackageName).ToList();
        var prefix = RequireExisting(name);
        return EnvironmentToolRunner.StreamAsync((log, ct) => InstallCoreAsync(name, prefix, names, sources, upgrade: true, log, ct), cancellationToken);
    }

    public IAsyncEnumerable<EnvironmentLogLine> UninstallAsync(string name, IReadOnlyList<string> packageNames, CancellationToken cancellationToken)
    {
        var names = packageNames.Select(PackageSpecValidator.ValidatePackageName).ToList();
        var prefix = RequireExisting(name);
        return EnvironmentToolRunner.StreamAsync((log, ct) => UninstallCoreAsync(name, prefix, names, log, ct), cancellationToken);
    }

    public abstract Task<IReadOnlyList<InstalledPackage>> ListPackagesAsync(string name, CancellationToken cancellationToken);

    public Task RemoveAsync(string name, CancellationToken cancellationToken)
    {
        var prefix = RequireExisting(name);
        cancellationToken.ThrowIfCancellationRequested();
        return DeleteDirectoryAsync(prefix);
    }

    public Task<long> GetDiskSizeBytesAsync(string name, CancellationToken cancellationToken)
    {
        var prefix = RequireExisting(name);
        return Task.Run(() =>
        {
            try
            {
                return SizeOf(new DirectoryInfo(prefix), 0);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
            {
                Logger.LogWarning(exception, "Could not measure environment {Prefix}", prefix);
                return 0L;
            }
        }, cancellationToken);
    }

    // Counts hidden files too and never follows symlinks (a venv links to the base interpreter).
    // Depth-capped: the tree is written by sandboxed tools and packages.
    private static long SizeOf(DirectoryInfo directory, int depth) => depth > 64 ? 0 : directory.EnumerateFileSystemInfos().Sum(entry => entry switch
    {
        _ when entry.LinkTarget is not null => 0,
        FileInfo file => file.Length,
        DirectoryInfo subdirectory => SizeOf(subdirectory, depth + 1),
        _ => 0,
    });

    protected abstract Task CreateCoreAsync(EnvironmentCreateSpec spec, string prefix, IReadOnlyList<string> packages, PackageSources sources, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken);
    protected abstract Task InstallCoreAsync(string name, string prefix, IReadOnlyList<string> specs, PackageSources sources, bool upgrade, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken);
    protected abstract Task UninstallCoreAsync(string name, string prefix, IReadOnlyList<string> names, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken);

    protected string RequireExisting(string name)
    {
        var prefix = GetPrefix(name);
        return Exists(name) ? prefix : throw new EnvironmentNotFoundException(name);
    }

    /// <summary>The first line the tool prints for its version; start-up only, before the manager is built.</summary>
    protected static async Task<string> ToolVersionAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            var result = await CommandRunner.ExecuteBufferedAsync(new ProcessCommand(tool, arguments), cancellationToken);
            return (result.StandardOutput + result.StandardError).Trim().Split('\n')[0];
        }
        catch (CommandStartException)
        {
            return "unknown";
        }
    }

    /// <summary>GNU rm: a prefix written by packages may hold any depth, any name and any mode.</summary>
    private async Task DeleteDirectoryAsync(string prefix)
    {
        try
        {
            if (!Directory.Exists(prefix)) return;
            // Never cancelled: a half-deleted prefix is worse than a slow delete.
            var result = await CommandRunner.ExecuteBufferedAsync(new ProcessCommand("rm", ["-rf", "--one-file-system", "--", prefix]), CancellationToken.None);
            if (!result.Status.Succeeded) Logger.LogWarning("Could not delete environment directory {Prefix}: {Error}", prefix, result.StandardError.Trim());
        }
        catch (Exception exception)
        {
            Logger.LogWarning(exception, "Could not delete environment directory {Prefix}", prefix);
        }
    }
}
