using CodeRunner.Sandbox.Execution;
using CodeRunner.Sandbox.Isolation;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Tests.Sandbox;

/// <summary>Limits nobody can dodge, runs that always end, and a small kernel surface; each through real bwrap.</summary>
public sealed class SandboxHardeningTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task A_run_leaving_a_too_deep_tree_and_a_non_utf8_name_ends_normally_and_keeps_its_artifacts()
    {
        sandbox.RequireBubblewrap();
        const string code = """
            import os
            open('result.txt', 'w').write('kept')
            open(b'\xff\xfe-not-utf8.txt', 'wb').write(b'x')
            os.chmod('result.txt', 0o6777)
            base = os.getcwd()
            os.mkdir('deep'); os.chdir('deep')
            for _ in range(40):
                os.mkdir('d' * 200); os.chdir('d' * 200)
            os.chdir(base)
            os.mkdir('locked'); open('locked/x', 'w').write('x'); os.chmod('locked', 0)
            print('done')
            """;

        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
        var artifact = Assert.Single(run.Result.Artifacts, a => a.Name == "result.txt");
        Assert.DoesNotContain(run.Result.Artifacts, a => a.Name.Contains('\uFFFD') || a.Name.StartsWith("deep", StringComparison.Ordinal));
        Assert.Equal("kept", File.ReadAllText(artifact.FullPath));
        // Copied as a plain 0644 file: no setuid, setgid or world-writable bits from the sandbox.
        var mode = OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(artifact.FullPath);
        Assert.True(mode.HasFlag(UnixFileMode.UserRead) && (mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)) == 0, $"artifact mode {mode}");
        // Removed by the sweeper's thread right after the result (an unmount must not delay it).
        await sandbox.Runner.Sweeper.WhenQueueEmptyAsync(TimeSpan.FromSeconds(10));
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(run.Result.ArtifactDirectory!)!, "fs")), "the run's file system is gone");
    }

    [Fact]
    public async Task Leftover_run_directories_are_removed_whatever_they_hold()
    {
        var runs = Path.Combine(sandbox.DataDirectory, "leftover-runs");
        var work = Path.Combine(runs, "crashed-run", "work");
        Directory.CreateDirectory(work);
        // Deeper than PATH_MAX (only reachable step by step) plus a name that is not UTF-8: .NET cannot even name these.
        const string makeTree = """
            import os, sys
            os.chdir(sys.argv[1])
            open(b'\xff.bin', 'wb').close()
            for _ in range(30):
                os.mkdir('d' * 200); os.chdir('d' * 200)
            """;
        var python = await CodeRunner.Sandbox.Processes.CommandRunner.ExecuteBufferedAsync(
            new CodeRunner.Sandbox.Processes.ProcessCommand(sandbox.Runner.BaseInterpreter.Path, ["-c", makeTree, work]));
        Assert.True(python.Status.Succeeded, python.StandardError);
        await using var sweeper = new RunDirectorySweeper(runs, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        var removed = await sweeper.SweepLeftoversAsync();

        Assert.Equal(1, removed);
        Assert.False(Directory.Exists(Path.Combine(runs, "crashed-run")));
        Assert.Equal(0, sweeper.PendingCount);
    }

    [Fact]
    public async Task Double_forked_orphans_over_the_memory_limit_end_the_run_as_memory_limit()
    {
        sandbox.RequireBubblewrap();
        // Three grandchildren re-parented to the namespace's init, 60 MB each: under RLIMIT_AS each, 180 MB together on a 128 MB run.
        const string code = """
            import os, time
            for _ in range(3):
                if os.fork() == 0:
                    if os.fork() == 0:
                        block = bytearray(60 * 1024 * 1024)
                        for i in range(0, len(block), 4096): block[i] = 1
                        time.sleep(30)
                    os._exit(0)
            time.sleep(10)
            print('survived')
            """;
        // RLIMIT_NPROC counts every process of the sandbox user on the host: room for the fork bomb of a test running in parallel.
        var limits = SandboxFixture.ShortLimits with { WallTimeout = TimeSpan.FromSeconds(15), CpuTime = TimeSpan.FromSeconds(10), MaxProcesses = 512 };

        var run = await sandbox.RunAsync(sandbox.Request(code, limits));

        Assert.True(run.Result.Status == RunStatus.MemoryLimit, run.ToString());
        Assert.DoesNotContain("survived", run.Stdout);
        Assert.True(run.Result.PeakMemoryMb > 128, $"peak {run.Result.PeakMemoryMb} MB");
    }

    [Fact]
    public async Task Orphans_burning_cpu_count_towards_the_run()
    {
        sandbox.RequireBubblewrap();
        const string code = """
            import os, time
            if os.fork() == 0:
                if os.fork() == 0:
                    while time.process_time() < 1.5: pass
                    open('/tmp/burnt', 'w').close()
                    time.sleep(1)
                    os._exit(0)
                os._exit(0)
            while not os.path.exists('/tmp/burnt'): time.sleep(0.05)
            time.sleep(0.5)
            """;
        // CPU time, not wall time, is what the grandchild burns: on a busy machine it may need the whole wall budget.
        var limits = SandboxFixture.ShortLimits with { WallTimeout = TimeSpan.FromSeconds(20), CpuTime = TimeSpan.FromSeconds(10), MaxProcesses = 512 };

        var run = await sandbox.RunAsync(sandbox.Request(code, limits));

        Assert.True(run.Result.CpuMs >= 1000, $"cpu {run.Result.CpuMs} ms; {run}");
    }

    [Fact]
    public async Task Work_dir_tmp_and_dev_shm_share_one_quota_and_filling_it_is_disk_limit()
    {
        sandbox.RequireBubblewrap();
        // 3 x 30 MB is over a 64 MB quota although each place alone is under it.
        const string code = """
            chunk = b'x' * (1024 * 1024)
            for path in ['/tmp/a', '/dev/shm/b', 'c']:
                with open(path, 'wb') as f:
                    for _ in range(30): f.write(chunk)
            print('all written')
            """;
        var limits = SandboxFixture.ShortLimits with { MemoryMb = 512, DiskQuotaBytes = 64L * 1024 * 1024, MaxFileSizeBytes = 100L * 1024 * 1024 };

        var run = await sandbox.RunAsync(sandbox.Request(code, limits));

        Assert.True(run.Result.Status == RunStatus.DiskLimit, run.ToString());
        Assert.DoesNotContain("all written", run.Stdout);
    }

    [Fact]
    public async Task Many_small_files_stop_at_the_file_count()
    {
        sandbox.RequireBubblewrap();
        var limits = SandboxFixture.ShortLimits with { MaxFiles = 500, WallTimeout = TimeSpan.FromSeconds(10) };

        var run = await sandbox.RunAsync(sandbox.Request("for i in range(5000):\n    open(f'f{i}', 'w').close()\nprint('all created')", limits));

        Assert.True(run.Result.Status == RunStatus.DiskLimit, run.ToString());
        Assert.DoesNotContain("all created", run.Stdout);
    }

    [Fact]
    public async Task Tmpfs_pages_count_towards_the_memory_limit()
    {
        sandbox.RequireBubblewrap();
        // 100 MB in /dev/shm plus the interpreter is over 96 MB of memory, with a quota that would allow it.
        var limits = SandboxFixture.ShortLimits with { MemoryMb = 96, DiskQuotaBytes = 256L * 1024 * 1024, MaxFileSizeBytes = 200L * 1024 * 1024, WallTimeout = TimeSpan.FromSeconds(10) };

        var run = await sandbox.RunAsync(sandbox.Request("import time\nwith open('/dev/shm/big', 'wb') as f:\n    for _ in range(100): f.write(b'x' * 1048576)\ntime.sleep(3)\nprint('kept')", limits));

        Assert.True(run.Result.Status == RunStatus.MemoryLimit, run.ToString());
    }

    [Theory]
    [InlineData("keyctl", 250)]
    [InlineData("add_key", 248)]
    [InlineData("bpf", 321)]
    [InlineData("perf_event_open", 298)]
    [InlineData("userfaultfd", 323)]
    [InlineData("io_uring_setup", 425)]
    [InlineData("mount", 165)]
    [InlineData("umount2", 166)]
    [InlineData("pivot_root", 155)]
    [InlineData("unshare", 272)]
    [InlineData("setns", 308)]
    [InlineData("kexec_load", 246)]
    [InlineData("init_module", 175)]
    [InlineData("finit_module", 313)]
    [InlineData("clock_settime", 227)]
    [InlineData("settimeofday", 164)]
    [InlineData("ptrace", 101)]
    public async Task Blocked_syscall_families_fail_with_eperm_or_enosys(string name, int x8664Number)
    {
        sandbox.RequireBubblewrap();
        Assert.True(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "the syscall numbers of this test are x86_64's");
        Assert.Contains(name, SeccompFilter.BlockedSyscalls);
        var code = $"import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nresult = libc.syscall({x8664Number}, 0, 0, 0, 0, 0, 0)\nprint(result, os.strerror(ctypes.get_errno()), ctypes.get_errno())";

        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
        Assert.Matches(@"^-1 .* (1|38)\n$", run.Stdout);
    }

    [Fact]
    public async Task Nested_user_namespaces_cannot_be_created()
    {
        sandbox.RequireBubblewrap();
        const string code = """
            import ctypes, os, subprocess
            libc = ctypes.CDLL(None, use_errno=True)
            print('unshare', libc.unshare(0x10000000), ctypes.get_errno())
            tool = subprocess.run(['/usr/bin/unshare', '--user', '--map-root-user', '--mount', '--net', 'true'], capture_output=True)
            print('tool', tool.returncode)
            """;

        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
        Assert.Contains("unshare -1 1", run.Stdout);
        Assert.DoesNotContain("tool 0", run.Stdout);
    }

    [Fact]
    public async Task A_program_inherits_no_descriptor_but_stdin_stdout_and_stderr()
    {
        sandbox.RequireBubblewrap();
        // bwrap gets the seccomp program as an inherited descriptor and must close it before the program starts;
        // descriptors the host process inherited from whoever started it (here the test host's pipes) must not arrive either.
        const string code = """
            import os
            def is_open(fd):
                try:
                    os.fstat(fd)
                    return True
                except OSError:
                    return False
            # GNU time's report (its --output file) is the one descriptor the chain itself leaves open.
            print('open', [os.readlink(f'/proc/self/fd/{fd}') for fd in range(3, 1024) if is_open(fd) and os.readlink(f'/proc/self/fd/{fd}') != '/sandbox/.coderunner-usage'])
            """;

        // Above the warm pool's ceiling: a cold start.
        var cold = await sandbox.RunAsync(sandbox.Request(code, SandboxFixture.ShortLimits with { MaxOpenFiles = 4097 }));
        Assert.True(await sandbox.WaitForWarmSandboxAsync(), "the warm pool did not fill");
        var warm = await sandbox.RunAsync(sandbox.Request(code));

        Assert.True(cold.Result.Status == RunStatus.Success, cold.ToString());
        Assert.True(cold.Stdout == "open []\n", cold.ToString());
        Assert.True(warm.Result.Status == RunStatus.Success, warm.ToString());
        Assert.True(warm.Stdout == "open []\n", warm.ToString());
    }

    [Fact]
    public async Task A_run_started_by_root_runs_as_the_sandbox_user_with_no_other_group()
    {
        sandbox.RequireBubblewrap();
        var isolation = sandbox.Runner.Isolation;
        if (!isolation.DropToUnprivilegedUser) return; // not root: there is nothing to drop (the test suite runs as root here)
        const string code = "import os\nprint(os.getresuid(), os.getresgid(), sorted(set(os.getgroups())))";
        var expected = $"({isolation.SandboxUid}, {isolation.SandboxUid}, {isolation.SandboxUid}) ({isolation.SandboxGid}, {isolation.SandboxGid}, {isolation.SandboxGid}) ";

        // Cold (above the pool's ceiling) and warm: both start the same way.
        var cold = await sandbox.RunAsync(sandbox.Request(code, SandboxFixture.ShortLimits with { MaxOpenFiles = 4097 }));
        var warm = await sandbox.RunAsync(sandbox.Request(code));

        foreach (var run in new[] { cold, warm })
        {
            Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
            Assert.StartsWith(expected, run.Stdout);
            Assert.True(run.Stdout.TrimEnd().EndsWith("[]", StringComparison.Ordinal) || run.Stdout.TrimEnd().EndsWith($"[{isolation.SandboxGid}]", StringComparison.Ordinal), run.Stdout);
        }
    }

    [Fact]
    public void Without_setpriv_the_command_is_started_as_the_sandbox_user_and_with_setpriv_it_is_not()
    {
        var settings = new IsolationSettings(true, "/usr/bin/bwrap", "/usr/bin/prlimit", "/usr/bin/setpriv", true, 65534, 65534, 256);
        var launch = new SandboxLaunch("/tmp/work", "/usr/bin/python3", [], new RunLimits(), ["main.py"]);

        var bySetpriv = BubblewrapIsolation.BuildCommandLine(launch, settings);
        var byName = BubblewrapIsolation.BuildCommandLine(launch, settings with { SandboxUserName = "nobody" });

        Assert.Equal("/usr/bin/setpriv", bySetpriv.Arguments[0]);
        Assert.Null(bySetpriv.ToProcessCommand().UserName);
        Assert.Equal("/usr/bin/bwrap", byName.Arguments[0]);
        Assert.Equal("nobody", byName.ToProcessCommand().UserName);
        // .NET enters the start directory after dropping to the user, who cannot enter a run's host directories: bwrap --chdir does it.
        Assert.Equal("/", byName.ToProcessCommand("/tmp/work").WorkingDirectory);
        Assert.Equal("/tmp/work", bySetpriv.ToProcessCommand("/tmp/work").WorkingDirectory);
        // Without bwrap nothing would change into the work dir: setpriv then.
        Assert.Equal("/usr/bin/setpriv", BubblewrapIsolation.BuildCommandLine(launch, settings with { UseBubblewrap = false, SandboxUserName = "nobody" }).Arguments[0]);
        // Not root: neither.
        Assert.Equal("/usr/bin/bwrap", BubblewrapIsolation.BuildCommandLine(launch, settings with { DropToUnprivilegedUser = false, SandboxUserName = "nobody" }).Arguments[0]);
        Assert.Null(BubblewrapIsolation.BuildCommandLine(launch, settings with { DropToUnprivilegedUser = false, SandboxUserName = "nobody" }).UserName);
    }

    [Fact]
    public void The_seccomp_program_handed_to_a_child_is_sealed_and_each_start_reads_it_from_the_start()
    {
        var program = SeccompFilter.ForCurrentArchitecture()!;
        var file = new InheritedFile.Data(program);
        var first = file.OpenForChild();
        var second = file.OpenForChild();
        try
        {
            using (var reader = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(first, ownsHandle: false), FileAccess.Read))
            {
                var head = new byte[16];
                reader.ReadExactly(head);
            }
            // The second descriptor has its own offset: it still reads the whole program.
            using var buffer = new MemoryStream();
            using (var reader = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(second, ownsHandle: false), FileAccess.Read)) reader.CopyTo(buffer);
            Assert.Equal(program, buffer.ToArray());
            // Reopening it for writing (as a child holding it could, through /proc) cannot change it.
            Assert.ThrowsAny<Exception>(() =>
            {
                using var writer = new FileStream($"/proc/self/fd/{first}", FileMode.Open, FileAccess.Write);
                writer.Write(new byte[8]);
                writer.Flush();
            });
        }
        finally
        {
            foreach (var fd in new[] { first, second }) Close(fd);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int close(int fd);

    private static void Close(int fd) => close(fd);

    [Fact]
    public void The_filter_kills_foreign_architectures_and_is_applied_to_every_bwrap_command()
    {
        var program = SeccompFilter.ForCurrentArchitecture();
        Assert.NotNull(program);
        Assert.Equal(0, program.Length % 8);
        var settings = new IsolationSettings(true, "/usr/bin/bwrap", "/usr/bin/prlimit", null, false, 65534, 65534, 256) { SeccompProgram = program, DisableNestedUserNamespaces = true };

        var commandLine = BubblewrapIsolation.BuildCommandLine(new SandboxLaunch("/tmp/work", "/usr/bin/python3", [], new RunLimits(), ["main.py"]), settings);

        Assert.Contains("--disable-userns", commandLine.Arguments);
        var file = Assert.Single(commandLine.Files);
        Assert.Equal(commandLine.Arguments.ToList().IndexOf("--seccomp") + 1, file.ArgumentIndex);
        Assert.Equal(InheritedFile.Placeholder, commandLine.Arguments[file.ArgumentIndex]);
    }

    /// <summary>
    /// A run's /etc is the start-up copy (<see cref="SandboxEtc"/>) bound as one read-only mount: the same entries, bytes
    /// and links as the host's allowlisted ones, nothing else of the host's /etc, and nothing a program can change.
    /// </summary>
    [Fact]
    public async Task A_runs_etc_is_one_read_only_mount_holding_only_the_allowlisted_host_entries()
    {
        sandbox.RequireBubblewrap();
        const string code = """
            import os, hashlib
            print('entries', sorted(os.listdir('/etc')))
            print('mounts', sum(1 for line in open('/proc/self/mountinfo') if line.split()[4] == '/etc' or line.split()[4].startswith('/etc/')))
            print('cache', hashlib.sha256(open('/etc/ld.so.cache', 'rb').read()).hexdigest())
            print('localtime', os.readlink('/etc/localtime') if os.path.islink('/etc/localtime') else None)
            for path in ['/etc/new-file', '/etc/ld.so.cache']:
                try:
                    open(path, 'a').close()
                    print('wrote', path)
                except OSError as error:
                    print('refused', path, error.errno)
            """;

        var run = await sandbox.RunAsync(sandbox.Request(code));

        Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
        var expected = BubblewrapIsolation.EtcFiles.Where(p => File.Exists(p) || Directory.Exists(p) || new FileInfo(p).LinkTarget is not null)
            .Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(name => $"'{name}'");
        Assert.Contains($"entries [{string.Join(", ", expected)}]\n", run.Stdout);
        Assert.Contains("mounts 1\n", run.Stdout);
        Assert.Contains($"cache {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes("/etc/ld.so.cache"))).ToLowerInvariant()}\n", run.Stdout);
        var localtime = new FileInfo("/etc/localtime").LinkTarget;
        Assert.Contains($"localtime {(localtime is null ? "None" : localtime)}\n", run.Stdout);
        Assert.Contains("refused /etc/new-file 30\n", run.Stdout);     // EROFS
        Assert.True(run.Stdout.Contains("refused /etc/ld.so.cache 30\n") || run.Stdout.Contains("refused /etc/ld.so.cache 13\n"), run.Stdout);
    }

    /// <summary>
    /// Another app process or node sharing the runs dir (docs/scaling.md) may have the copy bound into a running sandbox:
    /// a second start finds the same content and leaves that copy alone instead of emptying and rewriting it.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_second_start_on_the_same_runs_dir_reuses_the_etc_copy_and_never_rewrites_it()
    {
        var runs = Path.Combine(sandbox.DataDirectory, "shared-runs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(runs);
        var first = SandboxEtc.Create(runs, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.NotNull(first);
        using var inUse = File.OpenRead(Path.Combine(first, "ld.so.cache"));
        var inode = new FileInfo(Path.Combine(first, "ld.so.cache")).LastWriteTimeUtc;

        var second = SandboxEtc.Create(runs, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        Assert.Equal(first, second);
        Assert.Equal(inode, new FileInfo(Path.Combine(first, "ld.so.cache")).LastWriteTimeUtc);
        Assert.Equal(File.ReadAllBytes("/etc/ld.so.cache"), File.ReadAllBytes(Path.Combine(first, "ld.so.cache")));
        // Only the copy itself: no staging dir left behind.
        Assert.Equal([Path.GetFileName(first)], Directory.EnumerateFileSystemEntries(runs).Select(Path.GetFileName));
    }

    [Fact]
    public void Only_a_package_tool_that_reaches_the_network_binds_etc_entries_one_by_one()
    {
        var settings = new IsolationSettings(true, "/usr/bin/bwrap", "/usr/bin/prlimit", null, false, 65534, 65534, 256) { EtcCopy = "/data/runs/.etc" };
        var run = new SandboxLaunch("/tmp/work", "/usr/bin/python3", [], new RunLimits(), ["main.py"]);

        var runArguments = BubblewrapIsolation.BubblewrapArguments(run, settings);
        var toolArguments = BubblewrapIsolation.BubblewrapArguments(run with { HostWorkDirectory = null, ShareNetwork = true }, settings);

        Assert.Contains("--ro-bind /data/runs/.etc /etc", string.Join(' ', runArguments));
        Assert.DoesNotContain("--ro-bind-try", runArguments);
        Assert.DoesNotContain("/data/runs/.etc", toolArguments);
        Assert.Contains("--ro-bind-try /etc/ld.so.cache /etc/ld.so.cache", string.Join(' ', toolArguments));
    }
}
