using System.Runtime.CompilerServices;
using CodeRunner.Core.Common;
using CodeRunner.Sandbox.Environments;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Environments;

/// <summary>Installs, uninstalls and upgrades packages in an environment (owner or admin), one operation per environment at a time.</summary>
public sealed class PackageOperationService(
    IEnvironmentManager manager,
    EnvironmentOperationLocks locks,
    PackageSourcesStore packageSources,
    EnvironmentStatsCache stats,
    EnvironmentOperationRunner operations,
    TimeProvider clock)
{
    /// <summary>Installs <paramref name="packageName"/> with an optional version spec ("==1.2", ">=2,&lt;3" or just "1.2").</summary>
    public IAsyncEnumerable<OperationLogLine> InstallAsync(UserRef actor, string name, string packageName, string? versionSpec, CancellationToken cancellationToken = default)
    {
        var spec = CombineSpec(packageName, versionSpec);
        return PackageOperationAsync(actor, name, "environment.install", spec,
            (environment, token) => manager.InstallAsync(environment, [spec], packageSources.Current, token), cancellationToken);
    }

    public IAsyncEnumerable<OperationLogLine> UninstallAsync(UserRef actor, string name, string packageName, CancellationToken cancellationToken = default)
    {
        var package = EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePackageName(packageName), "package");
        if (IsProtectedPackage(package))
            throw new ValidationError("environments.package_protected", "package", $"{package} keeps the environment working and cannot be removed.", package);
        return PackageOperationAsync(actor, name, "environment.uninstall", package,
            (environment, token) => manager.UninstallAsync(environment, [package], token), cancellationToken);
    }

    public IAsyncEnumerable<OperationLogLine> UpgradeAsync(UserRef actor, string name, string packageName, CancellationToken cancellationToken = default)
    {
        var package = EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePackageName(packageName), "package");
        return PackageOperationAsync(actor, name, "environment.upgrade", package,
            (environment, token) => manager.UpgradeAsync(environment, [package], packageSources.Current, token), cancellationToken);
    }

    /// <summary>"numpy" + "1.26" → "numpy==1.26"; "numpy" + "&gt;=1.26" → "numpy&gt;=1.26"; validated before anything runs.</summary>
    public static string CombineSpec(string? packageName, string? versionSpec)
    {
        var package = EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePackageSpec(packageName), "package");
        var version = versionSpec?.Trim() ?? "";
        if (version.Length == 0) return package;
        if (package.IndexOfAny(['=', '<', '>', '!', '~']) >= 0)
            throw new ValidationError("environments.invalid_spec", "version", "Give the version either in the name or in the version field.", package + version);
        var combined = char.IsDigit(version[0]) ? $"{package}=={version}" : package + version;
        return EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePackageSpec(combined), "version");
    }

    private static bool IsProtectedPackage(string package) =>
        package.Equals("pip", StringComparison.OrdinalIgnoreCase) || package.Equals("python", StringComparison.OrdinalIgnoreCase);

    private async IAsyncEnumerable<OperationLogLine> PackageOperationAsync(UserRef actor, string name, string action, string target,
        Func<string, CancellationToken, IAsyncEnumerable<EnvironmentLogLine>> operation, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var environmentName = await operations.WithScopeAsync(async (scopeDb, _) =>
        {
            var environment = await EnvironmentAccess.FindEditableAsync(scopeDb, actor, name, cancellationToken);
            if (!environment.IsActive) throw new ConflictError("environments.not_ready", $"Environment '{name}' is not ready.", name);
            return environment.Name;
        });
        await using var nameLock = await locks.AcquireAsync(environmentName, cancellationToken);
        if (!manager.Exists(environmentName)) throw new NotFoundError("environment", environmentName);
        var lines = operations.GuardAsync(
            token => operation(environmentName, token),
            failure => FinishPackageOperationAsync(actor, environmentName, action, target, failure),
            cancellationToken);
        await foreach (var line in lines) yield return line;
    }

    private async Task FinishPackageOperationAsync(UserRef actor, string name, string action, string target, Exception? failure)
    {
        stats.Invalidate(name);
        await operations.WithScopeAsync(async (scopeDb, scopeAudit) =>
        {
            if (failure is null)
                await scopeDb.PythonEnvironments.Where(e => e.Name == name)
                    .ExecuteUpdateAsync(setters => setters.SetProperty(e => e.UpdatedAt, Now));
            await scopeAudit.RecordAsync(actor, action, "environment", name, new { package = target, outcome = EnvironmentOperationRunner.Outcome(failure) }, EnvironmentOperationRunner.StatusOf(failure));
            return 0;
        });
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
