using CodeRunner.Core.Admin;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Admin;

/// <summary>The system page's numbers come from the real machine; the low-disk warning follows configuration.</summary>
public class SystemInfoTests
{
    [Fact]
    public async Task System_info_reads_the_machine_and_warns_when_the_data_disk_is_below_the_configured_share()
    {
        await using var app = new CodeRunnerAppFactory().WithSetting("System:LowDiskWarningPercent", "100").WithSetting("System:LowDiskWarningMb", "0");
        var admin = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        var system = app.Services.GetRequiredService<SystemInfoService>();

        var first = system.Get(admin);
        await Task.Delay(200);
        var second = system.Get(admin);

        Assert.Equal(Environment.ProcessorCount, second.Cpu.Cores);
        Assert.NotNull(second.Cpu.MachinePercent);
        Assert.InRange(second.Cpu.MachinePercent!.Value, 0, 100);
        Assert.NotNull(second.Cpu.ProcessPercent);
        Assert.True(second.Memory.TotalBytes > second.Memory.AvailableBytes);
        Assert.True(second.Memory.ProcessWorkingSetBytes > 0);
        Assert.Equal(Path.GetFullPath(app.DataDirectory), second.Disk.Path);
        Assert.True(second.Disk.FreeBytes > 0 && second.Disk.TotalBytes >= second.Disk.FreeBytes);
        Assert.True(second.Disk.IsLow);
        Assert.Equal(0, second.RunningSandboxes);
        Assert.False(string.IsNullOrEmpty(second.Sandbox.Mode));
        Assert.Equal(second.Sandbox.IsIsolated ? "proxy" : "host", second.Sandbox.InstallNetwork);
        Assert.Null(first.Cpu.ProcessPercent);
    }

    [Fact]
    public async Task System_info_shows_the_warm_pool_with_its_idle_memory()
    {
        await using var app = new CodeRunnerAppFactory();
        var admin = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        var system = app.Services.GetRequiredService<SystemInfoService>();
        Assert.True(system.Get(admin).Sandbox.IsIsolated, "bubblewrap is required: install the Debian package 'bubblewrap'");

        var info = system.Get(admin);
        for (var waited = 0; info.WarmPool.Ready == 0 && waited < 20_000; waited += 100)
        {
            await Task.Delay(100);
            info = system.Get(admin);
        }

        Assert.True(info.WarmPool.Enabled);
        Assert.True(info.WarmPool.Ready > 0, "no warm sandbox became ready");
        Assert.True(info.WarmPool.IdleMemoryBytes > 1024 * 1024, $"idle memory {info.WarmPool.IdleMemoryBytes}");
    }

    [Fact]
    public void User_levels_list_every_tier_from_configuration_in_order()
    {
        using var app = new CodeRunnerAppFactory().WithSetting("Tiers:Levels:2:RunsPerDay", "77");
        var levels = app.Services.GetRequiredService<UserLevelsQuery>().List();

        Assert.Equal([1, 2, 3, 4], levels.Select(l => l.Level));
        Assert.Equal(77, levels[1].RunsPerDay);
        Assert.Null(levels[3].RunsPerDay);
        Assert.Equal(1024, levels[3].MemoryMb);
    }
}
