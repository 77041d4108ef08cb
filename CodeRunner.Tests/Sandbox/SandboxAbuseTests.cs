using System.Net;
using System.Net.Sockets;
using CodeRunner.Sandbox.Execution;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Tests.Sandbox;

/// <summary>One test per abuse class from TESTING.md; every one needs real bubblewrap isolation.</summary>
public sealed class SandboxAbuseTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task Fork_bomb_is_contained_by_the_process_limit()
    {
        sandbox.RequireBubblewrap();
        var marker = "forkbomb-" + Guid.NewGuid().ToString("N")[..8];
        var code = "import os, sys\nfailed = False\nfor _ in range(10000):\n    try:\n        pid = os.fork()\n" +
                   "    except OSError:\n        failed = True\n        break\n    if pid == 0:\n" +
                   "        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(30)', '" + marker + "'])\n" +
                   "print('fork refused' if failed else 'fork never refused', flush=True)";
        // ~31 idle interpreters hold ~4 MB of private memory each, as much as the smallest tier allows in total:
        // give memory room so this test sees the process limit, not the memory watchdog, stop the bomb.
        var limits = SandboxFixture.ShortLimits with { MemoryMb = 512 };
        var run = await sandbox.RunAsync(sandbox.Request(code, limits));

        Assert.Contains("fork refused", run.Stdout);
        Assert.Empty(ProcessTree.FindByCommandLine(marker));
    }

    [Fact]
    public async Task Memory_bomb_is_reported_as_memory_limit()
    {
        sandbox.RequireBubblewrap();
        var run = await sandbox.RunAsync(sandbox.Request("blocks = []\nwhile True:\n    blocks.append(bytearray(8 * 1024 * 1024))"));

        Assert.True(run.Result.Status == RunStatus.MemoryLimit, run.ToString());
    }

    [Fact]
    public async Task Single_huge_allocation_is_reported_as_memory_limit()
    {
        sandbox.RequireBubblewrap();
        var run = await sandbox.RunAsync(sandbox.Request("x = bytearray(2 * 1024 ** 3)"));

        Assert.True(run.Result.Status == RunStatus.MemoryLimit, run.ToString());
    }

    [Fact]
    public async Task Infinite_cpu_loop_is_stopped_as_timeout()
    {
        sandbox.RequireBubblewrap();
        var limits = SandboxFixture.ShortLimits with { CpuTime = TimeSpan.FromSeconds(1), WallTimeout = TimeSpan.FromSeconds(5) };
        var run = await sandbox.RunAsync(sandbox.Request("while True:\n    pass", limits));

        Assert.True(run.Result.Status == RunStatus.Timeout, run.ToString());
        Assert.True(run.Result.CpuMs >= 500, $"cpu {run.Result.CpuMs} ms");
    }

    [Fact]
    public async Task Long_sleep_is_stopped_at_the_wall_timeout()
    {
        sandbox.RequireBubblewrap();
        var limits = SandboxFixture.ShortLimits with { WallTimeout = TimeSpan.FromSeconds(1) };
        var run = await sandbox.RunAsync(sandbox.Request("import time\ntime.sleep(60)", limits));

        Assert.Equal(RunStatus.Timeout, run.Result.Status);
        Assert.True(run.Result.WallMs < 10_000, $"wall {run.Result.WallMs} ms");
    }

    [Fact]
    public async Task Runaway_output_is_capped_with_a_marker()
    {
        sandbox.RequireBubblewrap();
        var run = await sandbox.RunAsync(sandbox.Request("while True:\n    print('x' * 1000)"));

        Assert.Equal(RunStatus.OutputLimit, run.Result.Status);
        Assert.True(run.Result.OutputTruncated);
        Assert.True(run.Stdout.Length <= SandboxFixture.ShortLimits.MaxOutputBytes);
        Assert.Contains("output limit", run.Stderr);
    }

    [Fact]
    public async Task Disk_filling_stops_at_the_file_size_limit()
    {
        sandbox.RequireBubblewrap();
        var code = "chunk = b'0' * 65536\nwith open('big.bin', 'wb') as f:\n    while True:\n        f.write(chunk)";
        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.Equal(RunStatus.Error, run.Result.Status);
        Assert.True(run.Result.Signal == 25 || run.Stderr.Contains("File too large"), run.ToString());
        var kept = run.Result.Artifacts.Where(a => a.Name == "big.bin").Sum(a => a.SizeBytes);
        Assert.True(kept <= SandboxFixture.ShortLimits.MaxFileSizeBytes);
    }

    [Fact]
    public async Task Network_is_unreachable_both_loopback_and_outside()
    {
        sandbox.RequireBubblewrap();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var code = "import socket\nfor host, port in [('127.0.0.1', " + port + "), ('1.1.1.1', 53), ('8.8.8.8', 443)]:\n" +
                   "    try:\n        socket.create_connection((host, port), timeout=1).close()\n        print('connected', host)\n" +
                   "    except OSError as e:\n        print('blocked', host)";
        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.DoesNotContain("connected", run.Stdout);
        Assert.Equal(3, run.Stdout.Split('\n').Count(l => l.StartsWith("blocked")));
    }

    [Fact]
    public async Task Files_outside_the_run_are_invisible()
    {
        sandbox.RequireBubblewrap();
        var otherRun = Directory.CreateDirectory(Path.Combine(sandbox.Options.RunsDirectory, "other-user-run", "work")).FullName;
        File.WriteAllText(Path.Combine(otherRun, "secret.txt"), "other-user-secret");
        var paths = new[] { sandbox.DatabasePath, Path.Combine(otherRun, "secret.txt"), "/etc/shadow", "/root/.bashrc", "/etc/passwd" };
        var code = "import os\nfor p in " + PythonList(paths) + ":\n    try:\n        print(open(p).read())\n    except OSError as e:\n        print('denied', type(e).__name__)\n" +
                   "print(sorted(os.listdir('/')))\nprint(os.path.exists(" + PythonString(sandbox.DataDirectory) + "))";
        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.DoesNotContain(SandboxFixture.DatabaseSecret, run.Stdout);
        Assert.DoesNotContain("other-user-secret", run.Stdout);
        Assert.DoesNotContain("root:", run.Stdout);
        Assert.Equal(5, run.Stdout.Split('\n').Count(l => l.StartsWith("denied")));
        Assert.EndsWith("False\n", run.Stdout);
    }

    [Fact]
    public async Task Host_environment_variables_do_not_leak()
    {
        sandbox.RequireBubblewrap();
        Environment.SetEnvironmentVariable("CODERUNNER_TEST_SECRET", "env-secret-42");
        var run = await sandbox.RunAsync(sandbox.Request("import os\nprint(dict(os.environ))"));

        Assert.DoesNotContain("env-secret-42", run.Stdout);
        Assert.Contains("'PYTHONUNBUFFERED': '1'", run.Stdout);
        Assert.Contains("'HOME': '/sandbox'", run.Stdout);
    }

    [Fact]
    public async Task Double_forked_daemon_does_not_outlive_the_run()
    {
        sandbox.RequireBubblewrap();
        var marker = "daemon-" + Guid.NewGuid().ToString("N")[..8];
        var code = "import os, time, sys\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n" +
                   "        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', '" + marker + "'])\n    os._exit(0)\n" +
                   "time.sleep(0.3)\nprint('parent exits')";
        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.Contains("parent exits", run.Stdout);
        Assert.Empty(ProcessTree.FindByCommandLine(marker));
    }

    [Fact]
    public async Task Files_left_in_tmp_shm_or_home_do_not_show_up_in_the_next_run()
    {
        sandbox.RequireBubblewrap();
        var marker = Guid.NewGuid().ToString("N");
        var write = "import os\nfor d in ['/tmp', '/dev/shm', os.environ['HOME']]:\n    open(os.path.join(d, '.left-" + marker + "'), 'w').write('x')\nprint('written')";
        var read = "import os\nprint([d for d in ['/tmp', '/dev/shm', os.environ['HOME']] if os.path.exists(os.path.join(d, '.left-" + marker + "'))])";

        var first = await sandbox.RunAsync(sandbox.Request(write));
        var second = await sandbox.RunAsync(sandbox.Request(read));

        Assert.Equal("written\n", first.Stdout);
        Assert.Equal("[]\n", second.Stdout);
    }

    [Fact]
    public async Task Killing_processes_outside_the_sandbox_fails()
    {
        sandbox.RequireBubblewrap();
        var code = "import os, signal\nfor pid in [" + Environment.ProcessId + ", 1]:\n    try:\n        os.kill(pid, signal.SIGKILL)\n        print('killed', pid)\n" +
                   "    except OSError as e:\n        print('refused', pid)\nprint(os.getpid())";
        var run = await sandbox.RunAsync(sandbox.Request(code));

        // pid 1 inside is the sandbox's own init; the test process itself must survive.
        Assert.DoesNotContain($"killed {Environment.ProcessId}", run.Stdout);
        Assert.True(File.Exists($"/proc/{Environment.ProcessId}/stat"));
    }

    [Fact]
    public async Task Symlinks_out_of_the_work_dir_expose_nothing_and_are_not_collected()
    {
        sandbox.RequireBubblewrap();
        var code = "import os\nos.symlink('/etc/passwd', 'passwd-link')\nos.symlink(" + PythonString(sandbox.DatabasePath) + ", 'db-link')\n" +
                   "os.symlink(" + PythonString(sandbox.DataDirectory) + ", 'data-link')\n" +
                   "for p in ['passwd-link', 'db-link', 'data-link/coderunner.db']:\n    try:\n        print(open(p).read())\n    except OSError as e:\n        print('denied', type(e).__name__)\n" +
                   "open('result.txt', 'w').write('ok')";
        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.Equal(3, run.Stdout.Split('\n').Count(l => l.StartsWith("denied")));
        var artifact = Assert.Single(run.Result.Artifacts);
        Assert.Equal("result.txt", artifact.Name);
        Assert.Equal(SandboxFixture.DatabaseSecret, File.ReadAllText(sandbox.DatabasePath));
    }

    private static string PythonString(string value) => "'" + value.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
    private static string PythonList(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(PythonString)) + "]";
}
