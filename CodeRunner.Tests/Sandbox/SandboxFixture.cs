using System.Text;
using CodeRunner.Sandbox;
using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Tests.Sandbox;

/// <summary>
/// One real sandbox per test class: a temp "data" dir holding runs/, envs/ and a fake database
/// file, so tests can check the program cannot see anything next to its own work dir.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public SandboxFixture()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "coderunner-sandbox-tests-" + Guid.NewGuid().ToString("N")[..8], "data");
        Directory.CreateDirectory(DataDirectory);
        // The test root holds wheelhouses the sandbox user reads (the data dir itself is reached through the runner's view).
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.GetDirectoryName(DataDirectory)!, (UnixFileMode)0b_111_101_101);
        DatabasePath = Path.Combine(DataDirectory, "coderunner.db");
        File.WriteAllText(DatabasePath, DatabaseSecret);
        Options = new SandboxOptions
        {
            RunsDirectory = Path.Combine(DataDirectory, "runs"),
            EnvironmentsDirectory = Path.Combine(DataDirectory, "envs"),
        };
    }

    public async Task InitializeAsync() => Runner = await SandboxCodeRunner.StartAsync(Options);

    public const string DatabaseSecret = "db-secret-7f3a9c";

    public string DataDirectory { get; }
    public string DatabasePath { get; }
    public SandboxOptions Options { get; }
    public SandboxCodeRunner Runner { get; private set; } = null!;

    /// <summary>Fails (never skips) when the machine lacks bubblewrap, naming the Debian package.</summary>
    public void RequireBubblewrap() =>
        Assert.True(Runner.Info.IsIsolated, $"bubblewrap isolation is required for this test: install the Debian package 'bubblewrap' (apt-get install bubblewrap). Reason: {Runner.Info.Reason}");

    public RunRequest Request(string code, RunLimits? limits = null, string? stdin = null, string? interpreter = null, string? prefix = null) => new()
    {
        Code = code,
        InterpreterPath = interpreter ?? Runner.BaseInterpreter.Path,
        EnvironmentPrefix = prefix,
        Stdin = stdin,
        Limits = limits ?? ShortLimits,
    };

    public static RunLimits ShortLimits { get; } = new()
    {
        WallTimeout = TimeSpan.FromSeconds(3),
        CpuTime = TimeSpan.FromSeconds(2),
        MemoryMb = 128,
        MaxProcesses = 32,
        MaxFileSizeBytes = 1024 * 1024,
        MaxOutputBytes = 64 * 1024,
    };

    /// <summary>
    /// Runs to the end; returns the result, all output and every event in order. A base-environment run first waits
    /// (briefly) for a warm sandbox, so the sandbox tests exercise the warm pool, as production runs do.
    /// </summary>
    public async Task<RunTranscript> RunAsync(RunRequest request, CancellationToken cancellationToken = default)
    {
        if (request.EnvironmentPrefix is null && request.InterpreterPath == Runner.BaseInterpreter.Path) await WaitForWarmSandboxAsync();
        await using var session = Runner.Start(request, cancellationToken);
        var events = new List<RunEvent>();
        await foreach (var runEvent in session.Events.ReadAllAsync(CancellationToken.None)) events.Add(runEvent);
        var result = await session.Completion;
        return new RunTranscript(result, events);
    }

    /// <summary>Waits until the warm pool has a sandbox ready (up to 20 s on a busy machine); returns false when it has none.</summary>
    public async Task<bool> WaitForWarmSandboxAsync()
    {
        if (!Runner.WarmPool.Enabled) return false;
        for (var waited = 0; waited < 20_000; waited += 50)
        {
            if (Runner.WarmPool.Ready > 0) return true;
            await Task.Delay(50);
        }
        return false;
    }

    public async Task DisposeAsync()
    {
        if (Runner is not null) await Runner.DisposeAsync();
        try
        {
            Directory.Delete(Path.GetDirectoryName(DataDirectory)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed record RunTranscript(RunResult Result, IReadOnlyList<RunEvent> Events)
{
    public string Stdout => Join(OutputStream.Stdout);
    public string Stderr => Join(OutputStream.Stderr);
    public override string ToString() => $"{Result.Status} exit={Result.ExitCode} signal={Result.Signal}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";

    private string Join(OutputStream stream)
    {
        var builder = new StringBuilder();
        foreach (var output in Events.OfType<RunOutput>().Where(o => o.Stream == stream)) builder.Append(output.Text);
        return builder.ToString();
    }
}
