using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Tests.Sandbox;

public sealed class SandboxRunTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task Hello_world_prints_and_succeeds()
    {
        var run = await sandbox.RunAsync(sandbox.Request("print('hello world')"));

        Assert.Equal(RunStatus.Success, run.Result.Status);
        Assert.Equal(0, run.Result.ExitCode);
        Assert.Equal("hello world\n", run.Stdout);
        Assert.IsType<RunStarted>(run.Events[0]);
        Assert.IsType<RunExited>(run.Events[^1]);
        Assert.True(run.Result.PeakMemoryMb > 1, run.ToString());
    }

    [Fact]
    public void Sandbox_reports_bubblewrap_isolation()
    {
        sandbox.RequireBubblewrap();
        Assert.Equal("bubblewrap", sandbox.Runner.Info.Mode);
        Assert.StartsWith("/usr/", sandbox.Runner.Info.BasePythonPath);
    }

    [Fact]
    public async Task Non_zero_exit_is_an_error_with_its_exit_code()
    {
        var run = await sandbox.RunAsync(sandbox.Request("import sys\nprint('oops', file=sys.stderr)\nsys.exit(3)"));

        Assert.Equal(RunStatus.Error, run.Result.Status);
        Assert.True(run.Result.ExitCode == 3, run.ToString());
        Assert.Contains("oops", run.Stderr);
    }
}
