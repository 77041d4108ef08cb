using System.Text;
using System.Text.Json;
using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Execution;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Environments;

/// <summary>
/// What the shared base environment offers: its packages, found once by a short sandboxed run of the
/// base interpreter (Core starts no processes itself).
/// </summary>
public sealed class BaseEnvironmentCatalog(ICodeRunner runner, ILogger<BaseEnvironmentCatalog> logger)
{
    private const string ListProgram =
        "import importlib.metadata as m, json\n" +
        "seen = {}\n" +
        "for d in m.distributions():\n" +
        "    name = d.metadata['Name']\n" +
        "    if name: seen.setdefault(name, d.version)\n" +
        "print(json.dumps(sorted(seen.items(), key=lambda kv: kv[0].lower())))\n";

    private readonly SemaphoreSlim gate = new(1, 1);
    private IReadOnlyList<InstalledPackage>? packages;

    public string InterpreterPath => runner.Info.BasePythonPath;

    /// <summary>"3.11" from the sandbox's "3.11.2".</summary>
    public string PythonVersion => MajorMinor(runner.Info.PythonVersion);

    public static string MajorMinor(string version)
    {
        var digits = new string(version.SkipWhile(c => !char.IsDigit(c)).TakeWhile(c => char.IsDigit(c) || c == '.').ToArray());
        var parts = digits.Split('.', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 ? $"{parts[0]}.{parts[1]}" : digits;
    }

    public async Task<IReadOnlyList<InstalledPackage>> ListPackagesAsync(CancellationToken cancellationToken)
    {
        if (packages is not null) return packages;
        await gate.WaitAsync(cancellationToken);
        try
        {
            return packages ??= await ProbeAsync(cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<IReadOnlyList<InstalledPackage>> ProbeAsync(CancellationToken cancellationToken)
    {
        var request = new RunRequest
        {
            Code = ListProgram,
            InterpreterPath = runner.Info.BasePythonPath,
            Limits = new RunLimits { WallTimeout = TimeSpan.FromSeconds(20), CpuTime = TimeSpan.FromSeconds(10), MemoryMb = 256 },
        };
        var stdout = new StringBuilder();
        await using var session = runner.Start(request, cancellationToken);
        await foreach (var runEvent in session.Events.ReadAllAsync(cancellationToken))
            if (runEvent is RunOutput { Stream: OutputStream.Stdout } output) stdout.Append(output.Text);
        var result = await session.Completion;
        if (result.Status != RunStatus.Success)
        {
            logger.LogWarning("Listing the base environment's packages ended with {Status}", result.Status);
            return [];
        }
        using var document = JsonDocument.Parse(stdout.ToString());
        return document.RootElement.EnumerateArray()
            .Select(pair => new InstalledPackage(pair[0].GetString()!, pair[1].GetString()!))
            .ToList();
    }
}
