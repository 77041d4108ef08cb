using System.Net;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Tiers;
using CodeRunner.Tests.Api;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CodeRunner.Tests.Tiers;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A team in Shanghai (UTC+8, no DST): quotas reset at its midnight, 16:00 UTC. The clock starts today at 15:30 UTC = 23:30 in Shanghai.</summary>
public sealed class ShanghaiQuotaAppFactory : CodeRunnerAppFactory
{
    public static readonly DateTime TodayUtc = DateTime.UtcNow.Date;

    public ManualClock Clock { get; } = new(new DateTimeOffset(TodayUtc.AddHours(15.5), TimeSpan.Zero));

    public ShanghaiQuotaAppFactory()
    {
        WithSetting("Quotas:TimeZone", "Asia/Shanghai");
        WithSetting("Tiers:Levels:1:ApiCallsPerDay", "5");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

/// <summary>The quota day follows Quotas:TimeZone everywhere it is computed (QuotaDay): quota counters, the usage chart, the API headers.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class QuotaDayTests(ShanghaiQuotaAppFactory app) : IClassFixture<ShanghaiQuotaAppFactory>
{
    private static readonly DateTime ShanghaiMidnightUtc = ShanghaiQuotaAppFactory.TodayUtc.AddHours(16);

    [Fact]
    public async Task A_run_quota_used_at_2330_in_Shanghai_is_back_at_0030_there_although_the_UTC_day_is_the_same()
    {
        app.Clock.Now = new DateTimeOffset(ShanghaiQuotaAppFactory.TodayUtc.AddHours(15.5), TimeSpan.Zero);
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 1));
        await app.WithScopeAsync(sp => sp.GetRequiredService<QuotaService>().TryConsumeRunAsync(user));

        var before = await app.WithScopeAsync(sp => sp.GetRequiredService<QuotaService>().GetStatusAsync(user, QuotaKind.Runs));
        Assert.Equal(1, before.Used);
        Assert.Equal(ShanghaiMidnightUtc, before.ResetsAtUtc);

        app.Clock.Now = new DateTimeOffset(ShanghaiQuotaAppFactory.TodayUtc.AddHours(16.5), TimeSpan.Zero);
        var after = await app.WithScopeAsync(sp => sp.GetRequiredService<QuotaService>().GetStatusAsync(user, QuotaKind.Runs));
        Assert.Equal(0, after.Used);
        Assert.Equal(ShanghaiMidnightUtc.AddDays(1), after.ResetsAtUtc);
    }

    [Fact]
    public async Task The_usage_chart_puts_runs_either_side_of_Shanghai_midnight_on_different_days()
    {
        app.Clock.Now = new DateTimeOffset(ShanghaiQuotaAppFactory.TodayUtc.AddHours(16.5), TimeSpan.Zero);
        var user = await app.CreateUserAsync(level: 1);
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            db.CodeExecutions.Add(new CodeExecution { UserId = user.Id, Code = "pass", Status = ExecutionStatus.Success, CreatedAt = ShanghaiMidnightUtc.AddMinutes(-10) });
            db.CodeExecutions.Add(new CodeExecution { UserId = user.Id, Code = "pass", Status = ExecutionStatus.Error, CreatedAt = ShanghaiMidnightUtc.AddMinutes(10) });
            await db.SaveChangesAsync();
        });

        var summary = await app.WithScopeAsync(sp => sp.GetRequiredService<UsageQueries>().GetAsync(CodeRunnerAppFactory.RefOf(user), days: 3));

        var shanghaiToday = DateOnly.FromDateTime(ShanghaiQuotaAppFactory.TodayUtc).AddDays(1);
        Assert.Equal(shanghaiToday, summary.LastDays[^1].Day);
        Assert.Equal(new Dictionary<string, int> { [ExecutionStatus.Error] = 1 }, summary.LastDays[^1].ByStatus);
        Assert.Equal(new Dictionary<string, int> { [ExecutionStatus.Success] = 1 }, summary.LastDays[^2].ByStatus);
    }

    [Fact]
    public async Task The_API_reports_the_reset_at_Shanghai_midnight_in_its_headers()
    {
        app.Clock.Now = new DateTimeOffset(ShanghaiQuotaAppFactory.TodayUtc.AddHours(15.5), TimeSpan.Zero);
        var user = await app.CreateUserAsync(level: 1);
        var client = app.BearerClient((await app.CreateKeyAsync(user)).Secret);

        var response = await client.GetAsync("/api/v1/codes");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reset = DateTimeOffset.FromUnixTimeSeconds(long.Parse(response.Headers.GetValues("X-RateLimit-Reset").Single()));
        Assert.Equal(ShanghaiMidnightUtc, reset.UtcDateTime);
    }

    [Fact]
    public void A_day_whose_midnight_is_skipped_by_DST_starts_at_its_first_real_minute()
    {
        // São Paulo jumped from 00:00 to 01:00 on 2018-11-04 (UTC-3 → UTC-2): that day began at 01:00 local = 03:00 UTC.
        var day = new QuotaDay(Options.Create(new QuotaOptions { TimeZone = "America/Sao_Paulo" }), TimeProvider.System);

        Assert.Equal(new DateTime(2018, 11, 4, 3, 0, 0, DateTimeKind.Utc), day.StartUtc(new DateOnly(2018, 11, 4)));
        Assert.Equal(new DateOnly(2018, 11, 3), day.DayOf(new DateTime(2018, 11, 4, 2, 59, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void An_unknown_time_zone_is_refused_with_a_sentence_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => QuotaDay.FindZone("Mars/Olympus_Mons"));
        Assert.Contains("Quotas:TimeZone", error.Message);
    }
}
