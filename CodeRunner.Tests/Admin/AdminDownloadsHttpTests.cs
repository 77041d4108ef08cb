using System.Net;
using System.Text;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Backup;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using CodeRunner.Web.Admin;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Admin;

/// <summary>The plain-HTTP downloads of the admin console: backups and audit CSV, with their permissions.</summary>
public class AdminDownloadsHttpTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private async Task<HttpClient> SignedInAsync(bool isAdmin)
    {
        var user = await app.CreateUserAsync(isAdmin: isAdmin);
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        Assert.Equal(HttpStatusCode.Redirect, (await HttpSignIn.SignInAsync(client, user.UserName!, CodeRunnerAppFactory.DefaultPassword)).StatusCode);
        return client;
    }

    [Fact]
    public async Task Audit_csv_export_follows_the_filter_and_is_for_admins_only()
    {
        var day = new DateTime(2023, 5, 6, 7, 0, 0, DateTimeKind.Utc);
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            db.AuditLogs.AddRange(
                new AuditLog { UserName = "csvuser", Action = "snippet.create", Status = AuditStatus.Success, CreatedAt = day },
                new AuditLog { UserName = "csvuser", Action = "snippet.delete", Status = AuditStatus.Error, CreatedAt = day.AddHours(1) },
                new AuditLog { UserName = "csvuser", Action = "snippet.create", Status = AuditStatus.Success, CreatedAt = day.AddDays(1) });
            await db.SaveChangesAsync();
        });
        var query = AdminEndpoints.QueryString(new AuditQuery { UserName = "csvuser", FromUtc = day.Date, ToUtc = day.Date.AddDays(1) });

        var admin = await SignedInAsync(isAdmin: true);
        var response = await admin.GetAsync(AdminEndpoints.AuditExportPath + query);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition!.ToString());
        var lines = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()).TrimEnd().Split("\r\n");
        Assert.Equal(3, lines.Length);
        Assert.Contains("snippet.delete", lines[1]);
        Assert.Contains("snippet.create", lines[2]);

        var user = await SignedInAsync(isAdmin: false);
        var refused = await user.GetAsync(AdminEndpoints.AuditExportPath + query);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("/account/access-denied", new Uri(new Uri("http://localhost"), refused.Headers.Location!).PathAndQuery);
    }

    [Fact]
    public async Task My_activity_export_holds_only_my_rows()
    {
        var user = await SignedInAsync(isAdmin: false);
        var response = await user.GetAsync(AdminEndpoints.OwnActivityExportPath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()).TrimEnd().Split("\r\n");
        // The sign-in just made is this user's only row.
        Assert.Equal(2, lines.Length);
        Assert.Contains("account.signin", lines[1]);
    }

    [Fact]
    public async Task A_backup_downloads_for_admins_and_nothing_else_does()
    {
        var adminUser = await app.CreateUserAsync(isAdmin: true);
        var backup = await app.WithScopeAsync(sp => sp.GetRequiredService<BackupService>().CreateAsync(CodeRunnerAppFactory.RefOf(adminUser, isAdmin: true)));
        var expected = await File.ReadAllBytesAsync(Path.Combine(app.DataDirectory, "backups", backup.Name));

        var admin = await SignedInAsync(isAdmin: true);
        var response = await admin.GetAsync(AdminEndpoints.BackupDownloadPath + backup.Name);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync(AdminEndpoints.BackupDownloadPath + "coderunner.db")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync(AdminEndpoints.BackupDownloadPath + "..%2Fcoderunner.db")).StatusCode);

        var user = await SignedInAsync(isAdmin: false);
        Assert.Equal(HttpStatusCode.Redirect, (await user.GetAsync(AdminEndpoints.BackupDownloadPath + backup.Name)).StatusCode);
    }
}
