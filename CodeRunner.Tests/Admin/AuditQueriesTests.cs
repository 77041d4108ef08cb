using System.Text;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Admin;

/// <summary>The audit log's filters, statistics, CSV export and 我的活动 on a real SQLite file.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class AuditQueriesTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private static readonly DateTime Day = new(2024, 2, 3, 9, 0, 0, DateTimeKind.Utc);

    /// <summary>Rows in a year no other test writes to, for one user whose name is unique to the test.</summary>
    private async Task<(UserRef Admin, string UserId, string UserName, DateTime Day)> SeedAsync(int yearOffset)
    {
        var admin = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        var user = await app.CreateUserAsync();
        var day = Day.AddYears(-yearOffset);
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            AuditLog Row(string action, string status, int minutes, string? ip = "10.0.0.1", string? userId = null, string? userName = null, string? type = "user") => new()
            {
                UserId = userId ?? user.Id, UserName = userName ?? user.UserName, Action = action, ResourceType = type, ResourceId = "r1",
                Status = status, IpAddress = ip, UserAgent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130", CreatedAt = day.AddMinutes(minutes),
            };
            db.AuditLogs.AddRange(
                Row("account.signin", AuditStatus.Success, 0),
                Row("account.signin", AuditStatus.Error, 1, ip: "203.0.113.9"),
                Row("account.signin", AuditStatus.Error, 2, ip: "203.0.113.9"),
                Row("account.signin", AuditStatus.Warning, 3, ip: "198.51.100.7"),
                Row("snippet.create", AuditStatus.Success, 60 * 24, type: "snippet"),
                Row("snippet.update", AuditStatus.Success, 60 * 24 + 1, type: "snippet"),
                Row("execution.run", AuditStatus.Success, 60 * 48, type: "execution"),
                // Someone else's row on the same days.
                Row("admin.user_level", AuditStatus.Success, 5, userId: admin.Id, userName: admin.UserName));
            await db.SaveChangesAsync();
        });
        return (admin, user.Id, user.UserName!, day);
    }

    private Task<T> AuditAsync<T>(Func<AuditQueries, Task<T>> action) => app.WithScopeAsync(sp => action(sp.GetRequiredService<AuditQueries>()));

    [Fact]
    public async Task Filters_by_action_type_status_user_ip_and_dates_combine()
    {
        var (admin, userId, userName, day) = await SeedAsync(1);
        var period = new AuditQuery { FromUtc = day.Date, ToUtc = day.Date.AddDays(3) };

        Assert.Equal(8, (await AuditAsync(a => a.SearchAsync(admin, period))).TotalCount);
        Assert.Equal(7, (await AuditAsync(a => a.SearchAsync(admin, period with { UserId = userId }))).TotalCount);
        Assert.Equal(7, (await AuditAsync(a => a.SearchAsync(admin, period with { UserName = userName }))).TotalCount);
        Assert.Equal(2, (await AuditAsync(a => a.SearchAsync(admin, period with { Action = "snippet." }))).TotalCount);
        Assert.Equal(1, (await AuditAsync(a => a.SearchAsync(admin, period with { ResourceType = "execution" }))).TotalCount);
        Assert.Equal(2, (await AuditAsync(a => a.SearchAsync(admin, period with { Status = AuditStatus.Error, IpAddress = "203.0.113" }))).TotalCount);
        Assert.Equal(5, (await AuditAsync(a => a.SearchAsync(admin, period with { ToUtc = day.Date.AddDays(1) }))).TotalCount);
        var page = await AuditAsync(a => a.SearchAsync(admin, period with { UserId = userId, Page = 2, PageSize = 5 }));
        Assert.Equal(2, page.Items.Count);
        Assert.Equal("account.signin", page.Items[^1].Action);
    }

    [Fact]
    public async Task My_activity_shows_only_my_rows_whatever_the_filter_asks_for()
    {
        var (admin, userId, userName, day) = await SeedAsync(2);
        var me = new UserRef(userId, userName, false, 1);
        var period = new AuditQuery { FromUtc = day.Date, ToUtc = day.Date.AddDays(3) };

        var mine = await AuditAsync(a => a.SearchOwnAsync(me, period));
        Assert.Equal(7, mine.TotalCount);
        Assert.All(mine.Items, r => Assert.Equal(userId, r.UserId));
        Assert.Equal(7, (await AuditAsync(a => a.SearchOwnAsync(me, period with { UserId = admin.Id, UserName = admin.UserName }))).TotalCount);
        Assert.Equal(2, (await AuditAsync(a => a.SearchOwnAsync(me, period with { Status = AuditStatus.Error, Action = "account." }))).TotalCount);
        await Assert.ThrowsAsync<ForbiddenError>(() => AuditAsync(a => a.SearchAsync(me, period)));
        await Assert.ThrowsAsync<ForbiddenError>(() => AuditAsync(a => a.StatisticsAsync(me, period)));
        await Assert.ThrowsAsync<ForbiddenError>(() => app.WithScopeAsync(sp => sp.GetRequiredService<AuditQueries>().ExportCsvAsync(me, period, Stream.Null)));
    }

    [Fact]
    public async Task Statistics_count_days_by_status_top_actions_users_and_failed_sign_ins_by_ip()
    {
        var (admin, _, userName, day) = await SeedAsync(3);

        var stats = await AuditAsync(a => a.StatisticsAsync(admin, new AuditQuery { FromUtc = day.Date, ToUtc = day.Date.AddDays(3) }));

        Assert.Equal(3, stats.PerDay.Count);
        Assert.Equal(new AuditDayCounts(DateOnly.FromDateTime(day), 2, 1, 2), stats.PerDay[0]);
        Assert.Equal(2, stats.PerDay[1].Success);
        Assert.Equal(1, stats.PerDay[2].Total);
        Assert.Equal(8, stats.Total);
        Assert.Equal(new AuditCount("account.signin", 4), stats.TopActions[0]);
        Assert.Equal(new AuditCount(userName, 7), stats.TopUsers[0]);
        Assert.Equal([new AuditCount("203.0.113.9", 2), new AuditCount("198.51.100.7", 1)], stats.FailedSignInsByIp);
    }

    [Fact]
    public async Task Csv_export_quotes_fields_and_neutralises_formulas()
    {
        var admin = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        var day = Day.AddYears(-4);
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            db.AuditLogs.Add(new AuditLog
            {
                UserName = "=HYPERLINK(\"http://evil\",\"x\")", Action = "account.signin", ResourceId = "+1", Status = AuditStatus.Error,
                IpAddress = "@SUM(1)", UserAgent = "-2+3, \"quoted\"\nline", Details = "{\"a\":1}", CreatedAt = day,
            });
            await db.SaveChangesAsync();
        });

        using var output = new MemoryStream();
        await app.WithScopeAsync(sp => sp.GetRequiredService<AuditQueries>().ExportCsvAsync(admin, new AuditQuery { FromUtc = day.Date, ToUtc = day.Date.AddDays(1) }, output));

        var bytes = output.ToArray();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes[3..]);
        var lines = text.Split("\r\n");
        Assert.StartsWith("id,created_at_utc,user,", lines[0]);
        Assert.Contains(",\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",", lines[1]);
        Assert.Contains(",'+1,", lines[1]);
        Assert.Contains(",'@SUM(1),", lines[1]);
        Assert.Contains(",\"'-2+3, \"\"quoted\"\"\nline\",", text);
        Assert.Equal("", lines[^1]);
        Assert.Equal(3, lines.Length); // header, the one row (its user agent's newline is inside quotes), the final empty piece
    }

    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@x", "'@x")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("plain", "plain")]
    [InlineData(null, "")]
    public void A_csv_cell_is_safe_for_spreadsheets(string? value, string expected) => Assert.Equal(expected, AuditQueries.CsvCell(value));
}
