using CodeRunner.Sandbox;
using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Tests.Sandbox;

/// <summary>
/// Runs served by the warm pool (Sandbox:WarmPool, on by default): they behave like cold starts, get their own
/// tier's limits at claim, and one run can never see anything of another. Each test first waits for a warm
/// sandbox and checks that its run really was served warm.
/// </summary>
public sealed class WarmPoolTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    private async Task<RunTranscript> RunWarmAsync(RunRequest request)
    {
        sandbox.RequireBubblewrap();
        Assert.True(await sandbox.WaitForWarmSandboxAsync(), "the warm pool has no sandbox ready");
        var warmBefore = sandbox.Runner.WarmPool.WarmRuns;
        var run = await sandbox.RunAsync(request);
        Assert.True(sandbox.Runner.WarmPool.WarmRuns > warmBefore, "the run was not served by the warm pool");
        return run;
    }

    [Fact]
    public async Task Pooled_run_prints_and_its_traceback_names_sandbox_main_py()
    {
        var run = await RunWarmAsync(sandbox.Request("import sys\nprint('hello', sys.argv, __name__)\nraise ValueError('boom')"));

        Assert.Equal(RunStatus.Error, run.Result.Status);
        Assert.Equal(1, run.Result.ExitCode);
        Assert.Contains("hello ['main.py'] __main__", run.Stdout);
        Assert.Contains("File \"/sandbox/main.py\", line 3, in <module>", run.Stderr);
        Assert.Contains("raise ValueError('boom')", run.Stderr);
        // The bootstrap's own frame is not shown: the traceback has exactly one frame, as in a cold start.
        Assert.DoesNotContain("<string>", run.Stderr);
        Assert.Single(run.Stderr.Split('\n'), line => line.TrimStart().StartsWith("File ", StringComparison.Ordinal));
    }

    /// <summary>The warm bootstrap leaves with os._exit: everything the interpreter's own shutdown shows must still happen.</summary>
    [Theory]
    [InlineData("x = 1\nprint(x")]
    [InlineData("def f():\n    raise ValueError('boom')\nprint('before')\nf()")]
    [InlineData("import _thread, time\n_thread.start_new_thread(time.sleep, (5,))\nprint('not waited for')")]
    [InlineData("import sys\nprint('a')\nsys.exit(3)")]
    [InlineData("import sys\nsys.exit('bye')")]
    [InlineData("import sys\nprint('x', end='')\nsys.exit(None)")]
    [InlineData("import sys\nsys.exit(256 + 7)")]
    [InlineData("import atexit\natexit.register(lambda: print('at exit'))\nprint('main')")]
    [InlineData("import threading, time\ndef late():\n    time.sleep(0.2)\n    print('thread done')\nthreading.Thread(target=late).start()\nprint('main done')")]
    [InlineData("import sys\nsys.stdout.write('no newline')\nsys.stderr.write('err no newline')")]
    [InlineData("class Noisy:\n    def __del__(self):\n        print('finalized')\nkeep = Noisy()\nprint('main')")]
    [InlineData("out = open('kept.txt', 'w')\nout.write('x' * 10)\nimport helper\nprint('main')")]
    public async Task A_pooled_run_ends_exactly_as_a_cold_start(string code)
    {
        var files = new Dictionary<string, string> { ["helper.py"] = "log = open('helper.txt', 'w')\nlog.write('y' * 20)\n" };
        var cold = await sandbox.RunAsync(sandbox.Request(code) with { Limits = SandboxFixture.ShortLimits with { MaxOpenFiles = 4097 }, SupportFiles = files });
        var warm = await RunWarmAsync(sandbox.Request(code) with { SupportFiles = files });

        Assert.Equal(cold.Result.Status, warm.Result.Status);
        Assert.Equal(cold.Result.ExitCode, warm.Result.ExitCode);
        Assert.Equal(cold.Stdout, warm.Stdout);
        Assert.Equal(cold.Stderr, warm.Stderr);
        Assert.Equal(cold.Result.Artifacts.Select(a => (a.Name, a.SizeBytes)).OrderBy(a => a.Name), warm.Result.Artifacts.Select(a => (a.Name, a.SizeBytes)).OrderBy(a => a.Name));
    }

    /// <summary>The claim header carries the environment as NUL-separated fields: values with '=', newlines and Chinese arrive whole.</summary>
    [Fact]
    public async Task A_pooled_run_gets_the_same_environment_as_a_cold_start()
    {
        const string code = "import os, gc\nfor k in sorted(os.environ):\n    print(repr(k), repr(os.environ[k]))\nprint(gc.isenabled())";
        var variables = new Dictionary<string, string> { ["ODD_VALUE"] = "a=b\nc; 中文 \t", ["EMPTY"] = "", ["PYTHONPATH"] = "lib:more" };
        var cold = await sandbox.RunAsync(sandbox.Request(code) with { Limits = SandboxFixture.ShortLimits with { MaxOpenFiles = 4097 }, EnvironmentVariables = variables });
        var warm = await RunWarmAsync(sandbox.Request(code) with { EnvironmentVariables = variables });

        Assert.Equal(RunStatus.Success, warm.Result.Status);
        Assert.Contains("'ODD_VALUE' 'a=b\\nc; 中文 \\t'", warm.Stdout);
        Assert.Contains("'EMPTY' ''", warm.Stdout);
        Assert.EndsWith("True\n", warm.Stdout);
        Assert.Equal(cold.Stdout, warm.Stdout);
    }

    [Fact]
    public async Task Syntax_error_in_a_pooled_run_reads_as_in_a_cold_start()
    {
        var run = await RunWarmAsync(sandbox.Request("x = 1\nprint(x"));

        Assert.Equal(RunStatus.Error, run.Result.Status);
        Assert.Contains("File \"/sandbox/main.py\", line 2", run.Stderr);
        Assert.Contains("SyntaxError", run.Stderr);
        Assert.DoesNotContain("Traceback", run.Stderr);
    }

    [Fact]
    public async Task Pooled_run_reads_stdin_given_before_and_after_the_start()
    {
        await using var session = await StartWarmAsync(sandbox.Request("print('first', input())\nprint('second', input())", stdin: "one\n"));
        await session.WriteStdinAsync("two\n");
        var output = new System.Text.StringBuilder();
        await foreach (var runEvent in session.Events.ReadAllAsync()) if (runEvent is RunOutput text) output.Append(text.Text);

        Assert.Equal(RunStatus.Success, (await session.Completion).Status);
        Assert.Contains("first one", output.ToString());
        Assert.Contains("second two", output.ToString());
    }

    [Fact]
    public async Task Two_pooled_runs_cannot_see_each_others_files_environment_or_processes()
    {
        var marker = "leak-" + Guid.NewGuid().ToString("N")[..8];
        var first = await RunWarmAsync(sandbox.Request(
            "import os, subprocess\n" +
            $"for path in ['/sandbox/{marker}', '/tmp/{marker}', '/dev/shm/{marker}', os.path.expanduser('~/.{marker}')]:\n" +
            "    open(path, 'w').write('secret')\n" +
            $"os.environ['{marker}'] = '1'\n" +
            $"subprocess.Popen(['sleep', '60', '{marker}'], start_new_session=True)\n" +
            "print('planted', flush=True)"));
        Assert.True(first.Result.Status == RunStatus.Success, first.ToString());

        var second = await RunWarmAsync(sandbox.Request(
            "import os\n" +
            "files = os.listdir('/sandbox') + os.listdir('/tmp') + os.listdir('/dev/shm')\n" +
            $"print('files', [f for f in files if '{marker}' in f])\n" +
            $"print('env', '{marker}' in os.environ)\n" +
            "others = []\n" +
            "for pid in filter(str.isdigit, os.listdir('/proc')):\n" +
            "    try:\n" +
            "        others.append(open('/proc/%s/cmdline' % pid).read().replace('\\0', ' '))\n" +
            "    except OSError:\n" +
            "        pass\n" +
            $"print('processes', [c for c in others if '{marker}' in c and 'listdir' not in c])"));

        Assert.True(second.Result.Status == RunStatus.Success, second.ToString());
        Assert.Contains("files []", second.Stdout);
        Assert.Contains("env False", second.Stdout);
        Assert.Contains("processes []", second.Stdout);
    }

    [Fact]
    public async Task Pooled_run_gets_its_own_tiers_rlimits_at_claim()
    {
        var limits = SandboxFixture.ShortLimits with { MemoryMb = 200, CpuTime = TimeSpan.FromSeconds(2), MaxProcesses = 24, MaxOpenFiles = 100 };
        var run = await RunWarmAsync(sandbox.Request(
            "import resource as r\n" +
            "print('limits', [r.getrlimit(getattr(r, 'RLIMIT_' + n)) for n in ['AS', 'CPU', 'NPROC', 'NOFILE', 'FSIZE']])", limits));

        var addressSpace = (200L + sandbox.Options.AddressSpaceAllowanceMb) * 1024 * 1024;
        Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
        Assert.Contains($"limits [({addressSpace}, {addressSpace}), (2, 3), (24, 24), (100, 100), ({limits.MaxFileSizeBytes}, {limits.MaxFileSizeBytes})]", run.Stdout);
    }

    [Fact]
    public async Task Pooled_run_is_stopped_at_its_memory_limit()
    {
        var run = await RunWarmAsync(sandbox.Request("blocks = []\nwhile True:\n    blocks.append(bytearray(8 * 1024 * 1024))"));

        Assert.True(run.Result.Status == RunStatus.MemoryLimit, run.ToString());
    }

    [Fact]
    public async Task Pooled_run_is_stopped_at_its_wall_timeout()
    {
        var limits = SandboxFixture.ShortLimits with { WallTimeout = TimeSpan.FromSeconds(1) };
        var run = await RunWarmAsync(sandbox.Request("import time\nprint('sleeping', flush=True)\ntime.sleep(30)", limits));

        Assert.True(run.Result.Status == RunStatus.Timeout, run.ToString());
    }

    [Fact]
    public async Task Pooled_run_is_held_to_its_own_disk_quota()
    {
        var limits = SandboxFixture.ShortLimits with { DiskQuotaBytes = 4 * 1024 * 1024, MaxFileSizeBytes = 64 * 1024 * 1024, MemoryMb = 256 };
        var run = await RunWarmAsync(sandbox.Request("with open('/tmp/fill', 'wb') as f:\n    for _ in range(64):\n        f.write(b'x' * 1024 * 1024)", limits));

        Assert.True(run.Result.Status == RunStatus.DiskLimit, run.ToString());
    }

    [Fact]
    public async Task Pooled_run_has_no_network()
    {
        var run = await RunWarmAsync(sandbox.Request(
            "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    print('connected')\nexcept OSError as e:\n    print('blocked', e)"));

        Assert.Contains("blocked", run.Stdout);
        Assert.DoesNotContain("connected", run.Stdout);
    }

    [Fact]
    public async Task Concurrent_runs_warm_and_cold_all_deliver_their_output()
    {
        sandbox.RequireBubblewrap();
        // Generous time: twelve interpreters starting at once on a loaded two-core machine are slow, and this test is about output.
        var limits = SandboxFixture.ShortLimits with { WallTimeout = TimeSpan.FromSeconds(60), CpuTime = TimeSpan.FromSeconds(20) };
        var runs = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => sandbox.RunAsync(sandbox.Request($"print('run-{i}')", limits)))));

        for (var i = 0; i < runs.Length; i++)
        {
            Assert.True(runs[i].Result.Status == RunStatus.Success, runs[i].ToString());
            Assert.Equal($"run-{i}\n", runs[i].Stdout);
        }
    }

    [Fact]
    public async Task Idle_pool_memory_is_measured()
    {
        sandbox.RequireBubblewrap();
        Assert.True(await sandbox.WaitForWarmSandboxAsync());
        var status = sandbox.Runner.WarmPool;

        Assert.True(status.Enabled);
        Assert.True(status.Ready > 0);
        // At least an interpreter's resident set (a few MB) per ready sandbox.
        Assert.True(status.IdleMemoryBytes > status.Ready * 2L * 1024 * 1024, $"idle memory {status.IdleMemoryBytes} for {status.Ready} sandboxes");
    }

    [Fact]
    public async Task Size_zero_turns_the_pool_off()
    {
        var options = new SandboxOptions
        {
            RunsDirectory = Path.Combine(sandbox.DataDirectory, "runs-nopool"),
            EnvironmentsDirectory = Path.Combine(sandbox.DataDirectory, "envs"),
            WarmPool = new WarmPoolOptions { Size = 0 },
        };
        await using var runner = await SandboxCodeRunner.StartAsync(options);

        Assert.False(runner.WarmPool.Enabled);
        Assert.Equal(0, runner.WarmPool.Ready);
    }

    private async Task<IRunSession> StartWarmAsync(RunRequest request)
    {
        sandbox.RequireBubblewrap();
        Assert.True(await sandbox.WaitForWarmSandboxAsync(), "the warm pool has no sandbox ready");
        var warmBefore = sandbox.Runner.WarmPool.WarmRuns;
        var session = sandbox.Runner.Start(request);
        Assert.True(sandbox.Runner.WarmPool.WarmRuns > warmBefore, "the run was not served by the warm pool");
        return session;
    }
}
