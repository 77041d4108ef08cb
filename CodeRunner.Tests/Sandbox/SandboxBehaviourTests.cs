using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Tests.Sandbox;

/// <summary>The normal things a program does: streaming, stdin, unicode, threads, numpy, matplotlib.</summary>
public sealed class SandboxBehaviourTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task Output_streams_while_the_program_is_still_running()
    {
        var code = "import time\nfor i in range(5):\n    print(f'line {i}')\n    time.sleep(0.1)\n";
        await using var session = sandbox.Runner.Start(sandbox.Request(code));

        var first = await FirstOutputAsync(session);

        Assert.StartsWith("line 0", first.Text);
        Assert.False(session.Completion.IsCompleted, "the first line must arrive before the program exits");
        var result = await session.Completion;
        Assert.Equal(RunStatus.Success, result.Status);
    }

    [Fact]
    public async Task Stdin_given_up_front_is_read_by_the_program()
    {
        var run = await sandbox.RunAsync(sandbox.Request("name = input()\nprint('hi ' + name)", stdin: "Ada\n"));

        Assert.Equal("hi Ada\n", run.Stdout);
    }

    [Fact]
    public async Task Stdin_written_during_the_run_reaches_the_program()
    {
        var code = "print('ready', flush=True)\nline = input()\nprint('got ' + line)";
        await using var session = sandbox.Runner.Start(sandbox.Request(code));

        var first = await FirstOutputAsync(session);
        Assert.StartsWith("ready", first.Text);
        await session.WriteStdinAsync("typed later\n");
        var rest = new List<RunEvent>();
        await foreach (var runEvent in session.Events.ReadAllAsync()) rest.Add(runEvent);

        Assert.Contains(rest.OfType<RunOutput>(), o => o.Text.Contains("got typed later"));
        Assert.Equal(RunStatus.Success, (await session.Completion).Status);
    }

    [Fact]
    public async Task Chinese_output_arrives_intact()
    {
        var run = await sandbox.RunAsync(sandbox.Request("print('你好，世界 🌏')"));

        Assert.Equal("你好，世界 🌏\n", run.Stdout);
    }

    [Fact]
    public async Task Threads_run()
    {
        var code = "import threading\nresults = []\nts = [threading.Thread(target=results.append, args=(i,)) for i in range(8)]\n" +
                   "[t.start() for t in ts]\n[t.join() for t in ts]\nprint(sorted(results))";
        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.Equal("[0, 1, 2, 3, 4, 5, 6, 7]\n", run.Stdout);
    }

    [Fact]
    public async Task Numpy_imports_under_the_smallest_tier_memory()
    {
        var limits = SandboxFixture.ShortLimits with { MemoryMb = 128, WallTimeout = TimeSpan.FromSeconds(10) };
        var run = await sandbox.RunAsync(sandbox.Request("import numpy as np\nprint(int(np.arange(10).sum()))", limits));

        Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
        Assert.Equal("45\n", run.Stdout);
    }

    [Fact]
    public async Task Matplotlib_savefig_produces_a_png_artifact()
    {
        var limits = SandboxFixture.ShortLimits with { WallTimeout = TimeSpan.FromSeconds(20), CpuTime = TimeSpan.FromSeconds(15) };
        var code = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.savefig('plot.png')\nprint('saved')";
        var run = await sandbox.RunAsync(sandbox.Request(code, limits));

        Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
        var artifact = Assert.Single(run.Result.Artifacts);
        Assert.Equal("plot.png", artifact.Name);
        Assert.Equal("image/png", artifact.ContentType);
        var header = File.ReadAllBytes(artifact.FullPath).Take(8).ToArray();
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, header);
        // Removed by the sweeper's thread right after the result (an unmount must not delay it).
        await sandbox.Runner.Sweeper.WhenQueueEmptyAsync(TimeSpan.FromSeconds(10));
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(run.Result.ArtifactDirectory!)!, "fs")), "the work dir is removed after the run");
    }

    [Fact]
    public async Task Cancelling_a_run_kills_it_and_reports_cancelled()
    {
        await using var session = sandbox.Runner.Start(sandbox.Request("import time\nprint('start', flush=True)\ntime.sleep(30)"));
        await FirstOutputAsync(session);

        session.Cancel();
        var result = await session.Completion;

        Assert.Equal(RunStatus.Cancelled, result.Status);
    }

    private static async Task<RunOutput> FirstOutputAsync(IRunSession session)
    {
        await foreach (var runEvent in session.Events.ReadAllAsync())
            if (runEvent is RunOutput output) return output;
        throw new InvalidOperationException("the run ended without output");
    }
}
