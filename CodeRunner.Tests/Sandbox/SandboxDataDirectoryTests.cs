using CodeRunner.Sandbox;
using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Execution;
using CodeRunner.Sandbox.Isolation;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeRunner.Tests.Sandbox;

/// <summary>A data dir only its owner may enter (0700, as mktemp -d makes it) and a 0600 database still run programs and installs.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SandboxDataDirectoryTests
{
    [Fact]
    public async Task A_0700_data_dir_works_for_runs_and_package_installs()
    {
        var root = Path.Combine(Path.GetTempPath(), "coderunner-private-" + Guid.NewGuid().ToString("N")[..8]);
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(root, (UnixFileMode)0b_111_101_101);
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(data, "coderunner.db"), "secret");
        File.SetUnixFileMode(Path.Combine(data, "coderunner.db"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var wheelhouse = Path.Combine(root, "wheelhouse");
        WheelBuilder.Build(wheelhouse, "coderunner-private", "2.0.0", "WHERE = 'private'\n");
        var options = new SandboxOptions { RunsDirectory = Path.Combine(data, "runs"), EnvironmentsDirectory = Path.Combine(data, "envs") };
        var runner = await SandboxCodeRunner.StartAsync(options);
        try
        {
            Assert.True(runner.Info.IsIsolated, $"start-up probe: {runner.Info.Reason}");
            var manager = await VenvEnvironmentManager.OpenAsync(runner.BaseInterpreter.Path, options.EnvironmentsDirectory, runner.Tools, NullLogger<VenvEnvironmentManager>.Instance);
            var log = new List<string>();
            await foreach (var line in manager.CreateAsync(new EnvironmentCreateSpec("private", "3", ["coderunner-private"]),
                               new PackageSources { NoIndex = true, FindLinks = [wheelhouse] }, CancellationToken.None)) log.Add(line.Text);

            await using var session = runner.Start(new RunRequest
            {
                Code = "import coderunner_private\nprint(coderunner_private.WHERE)",
                InterpreterPath = manager.GetInterpreterPath("private"),
                EnvironmentPrefix = manager.GetPrefix("private"),
                Limits = SandboxFixture.ShortLimits,
            });
            var output = new System.Text.StringBuilder();
            await foreach (var runEvent in session.Events.ReadAllAsync()) if (runEvent is RunOutput text) output.Append(text.Text);
            var result = await session.Completion;

            Assert.True(result.Status == RunStatus.Success, $"{result.Status}: {output}\n{string.Join('\n', log)}");
            Assert.Equal("private\n", output.ToString());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        }
        finally
        {
            await runner.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_view_left_by_a_killed_app_is_reused_on_the_next_start_not_stacked()
    {
        var root = Path.Combine(Path.GetTempPath(), "coderunner-restart-" + Guid.NewGuid().ToString("N")[..8]);
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new SandboxOptions { RunsDirectory = Path.Combine(data, "runs"), EnvironmentsDirectory = Path.Combine(data, "envs") };
        var crashed = await SandboxCodeRunner.StartAsync(options);   // never disposed before the restart, like a killed process
        var restarted = await SandboxCodeRunner.StartAsync(options);
        try
        {
            var runsMounts = File.ReadLines("/proc/self/mountinfo").Count(line => line.Split(' ')[4] == Path.GetFullPath(options.RunsDirectory));
            Assert.Equal(1, runsMounts);
            Assert.True(restarted.Info.IsIsolated, $"start-up probe after restart: {restarted.Info.Reason}");
            await using var session = restarted.Start(new RunRequest { Code = "print('again')", InterpreterPath = restarted.BaseInterpreter.Path, Limits = SandboxFixture.ShortLimits });
            Assert.Equal(RunStatus.Success, (await session.Completion).Status);
        }
        finally
        {
            await restarted.DisposeAsync();
            await crashed.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_blocked_bind_source_is_explained_in_plain_words()
    {
        var explanation = SandboxProbeExplanation.Explain("bwrap: Can't find source path /srv/data/runs/x/fs/work: Permission denied", "/srv/data/runs", 65534);

        Assert.Contains("uid 65534", explanation);
        Assert.Contains("chmod o+x", explanation);
    }
}
