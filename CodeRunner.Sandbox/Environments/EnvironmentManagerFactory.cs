using CodeRunner.Sandbox.Isolation;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Environments;

/// <summary>Chooses the environment backend at start-up: a configured or installed conda tool, else venv.</summary>
public static class EnvironmentManagerFactory
{
    private static readonly string[] CondaTools = ["micromamba", "mamba", "conda"];

    public static async Task<IEnvironmentManager> CreateAsync(SandboxOptions options, string basePython, SandboxedTool tools, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken = default)
    {
        var conda = options.PreferVenv ? null : FindCondaTool(options.CondaTool);
        IEnvironmentManager manager = conda is not null
            ? await CondaEnvironmentManager.OpenAsync(conda, options.EnvironmentsDirectory, tools, loggerFactory.CreateLogger<CondaEnvironmentManager>(), cancellationToken)
            : await VenvEnvironmentManager.OpenAsync(basePython, options.EnvironmentsDirectory, tools, loggerFactory.CreateLogger<VenvEnvironmentManager>(), cancellationToken);
        if (!tools.IsIsolated)
            loggerFactory.CreateLogger(typeof(EnvironmentManagerFactory)).LogWarning("PACKAGE INSTALLS NOT ISOLATED: bubblewrap is unavailable, so pip/conda and the packages' build scripts run on the host with limits only");
        var logger = loggerFactory.CreateLogger(typeof(EnvironmentManagerFactory));
        logger.LogInformation(
            "Python environments: {Kind} ({Tool}, {Version}) in {Root}", manager.Backend.Kind, manager.Backend.ToolPath, manager.Backend.Version, manager.Backend.EnvironmentsRoot);
        if (tools.ShareNetwork)
            logger.LogWarning("INSTALL NETWORK IS THE HOST'S (Sandbox:InstallNetwork=host): packages' build scripts can reach everything on this host's loopback, the app included; use 'proxy'");
        else if (tools.UsesProxy)
            logger.LogInformation("Package installs reach only the configured package sources, through the install proxy (Sandbox:InstallNetwork=proxy)");
        else if (!string.Equals(options.InstallNetwork, InstallNetworkModes.None, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(options.InstallNetwork, InstallNetworkModes.Proxy, StringComparison.OrdinalIgnoreCase))
            logger.LogWarning("Sandbox:InstallNetwork='{Value}' is not proxy, none or host: package installs get no network", options.InstallNetwork);
        else if (tools.IsIsolated)
            logger.LogInformation("Package installs have no network (Sandbox:InstallNetwork=none): only local wheelhouses work");
        return manager;
    }

    /// <summary>The configured tool (name or path), else the first of micromamba, mamba, conda on PATH.</summary>
    public static string? FindCondaTool(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return configured.Contains('/') ? (File.Exists(configured) ? configured : null) : IsolationProbe.FindOnPath(configured);
        return CondaTools.Select(IsolationProbe.FindOnPath).FirstOrDefault(path => path is not null);
    }
}
