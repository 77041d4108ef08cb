using CodeRunner.Sandbox.Execution;
using CodeRunner.Sandbox.Isolation;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Tests.Sandbox;

/// <summary>
/// CPU time and peak memory are the program's own (not the host's, not bwrap's), and the memory
/// limit is enforced on the same number that is reported.
/// </summary>
public sealed class SandboxUsageTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task A_trivial_program_reports_a_small_peak_memory()
    {
        // The host (this test process) is far larger than 40 MB: its size must not leak into the run's numbers.
        var run = await sandbox.RunAsync(sandbox.Request("print('hi')"));

        Assert.Equal(RunStatus.Success, run.Result.Status);
        Assert.InRange(run.Result.PeakMemoryMb, 1, 40);
    }

    [Fact]
    public async Task A_program_holding_sixty_megabytes_reports_about_that_much()
    {
        var code = "b = bytearray(60 * 1024 * 1024)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\nprint(len(b))";
        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
        Assert.InRange(run.Result.PeakMemoryMb, 55, 200);
    }

    [Fact]
    public async Task Memory_bomb_under_the_smallest_tier_ends_as_memory_limit_near_that_limit()
    {
        sandbox.RequireBubblewrap();
        var limits = SandboxFixture.ShortLimits with { MemoryMb = 128 };
        var run = await sandbox.RunAsync(sandbox.Request("blocks = []\nwhile True:\n    blocks.append(bytearray(8 * 1024 * 1024))", limits));

        Assert.True(run.Result.Status == RunStatus.MemoryLimit, run.ToString());
        // Address space stops the bomb at 128 + 256 MB at most, so the peak cannot be far above that.
        Assert.InRange(run.Result.PeakMemoryMb, 1, 128 + 256);
    }

    [Fact]
    public async Task A_cpu_bound_program_reports_at_least_the_cpu_it_used()
    {
        // The program spins until its own process CPU clock has advanced 0.5 s: the reported CPU cannot be less.
        var code = "import time\nstart = time.process_time()\nwhile time.process_time() - start < 0.5:\n    pass\nprint('done')";
        var limits = SandboxFixture.ShortLimits with { WallTimeout = TimeSpan.FromSeconds(20), CpuTime = TimeSpan.FromSeconds(10) };
        var run = await sandbox.RunAsync(sandbox.Request(code, limits));

        Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
        Assert.True(run.Result.CpuMs >= 490, $"cpu {run.Result.CpuMs} ms");
    }

    [Fact]
    public void The_usage_report_parser_takes_the_last_report_line()
    {
        var usage = UsageReport.Parse("coderunner-usage 1 0.00 0.00\nnoise\ncoderunner-usage 70300 0.30 0.74\n");

        Assert.NotNull(usage);
        Assert.Equal(70300L * 1024, usage.PeakRssBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(1040), usage.TotalCpu);
        Assert.Null(UsageReport.Parse("Command terminated by signal 9\n"));
    }

    [Fact]
    public void Gnu_time_sits_between_bubblewrap_and_prlimit()
    {
        var settings = new IsolationSettings(true, "/usr/bin/bwrap", "/usr/bin/prlimit", null, false, 65534, 65534, 256, "/usr/bin/time");
        var launch = new SandboxLaunch("/tmp/work", "/usr/bin/python3", ["/usr"], new RunLimits(), ["-u", "main.py"]);

        var arguments = BubblewrapIsolation.BuildArguments(launch, settings).ToList();

        var separator = arguments.IndexOf("--");
        var time = arguments.IndexOf("/usr/bin/time");
        var prlimit = arguments.IndexOf("/usr/bin/prlimit");
        Assert.True(separator < time && time < prlimit, string.Join(' ', arguments));
        Assert.Equal(UsageReport.FileName, arguments[arguments.IndexOf("--output") + 1]);
        Assert.Equal(2, settings.WrapperPidsInNamespace);
    }

    [Fact]
    public void A_peak_above_the_limit_is_a_memory_limit_even_when_the_program_exited_cleanly()
    {
        var limits = new RunLimits { MemoryMb = 128 };
        var exit = new CommandExitStatus(0, null, TimeSpan.FromMilliseconds(50), new ResourceUsage(TimeSpan.Zero, TimeSpan.Zero, 140L * 1024 * 1024), Killed: false);

        var (status, _) = RunOutcome.Classify(null, exit, "", limits, signalAsExitCode: true);

        Assert.Equal(RunStatus.MemoryLimit, status);
    }
}
