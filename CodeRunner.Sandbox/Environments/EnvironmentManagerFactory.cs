using CodeRunner.Sandbox.Isolation;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Environments;

/// <summary>Chooses the environment backend at start-up: a configured or installed conda tool, else venv.</summary>
public static class EnvironmentManagerFactory
{
    private static readonly string[] CondaTools = ["micromamba", "mamba", "conda"];

    public static IEnvironmentManager Create(SandboxOptions options, string basePython, SandboxedTool tools, ILoggerFactory loggerFactory)
    {
        var conda = options.PreferVenv ? null : FindCondaTool(options.CondaTool);
        IEnvironmentManager manager = conda is not null
            ? new CondaEnvironmentManager(conda, options.EnvironmentsDirectory, tools, loggerFactory.CreateLogger<CondaEnvironmentManager>())
            : new VenvEnvironmentManager(basePython, options.EnvironmentsDirectory, tools, loggerFactory.CreateLogger<VenvEnvironmentManager>());
        if (!tools.IsIsolated)
            loggerFactory.CreateLogger(typeof(EnvironmentManagerFactory)).LogWarning("PACKAGE INSTALLS NOT ISOLATED: bubblewrap is unavailable, so pip/conda and the packages' build scripts run on the host with limits only");
        loggerFactory.CreateLogger(typeof(EnvironmentManagerFactory)).LogInformation(
            "Python environments: {Kind} ({Tool}, {Version}) in {Root}", manager.Backend.Kind, manager.Backend.ToolPath, manager.Backend.Version, manager.Backend.EnvironmentsRoot);
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
