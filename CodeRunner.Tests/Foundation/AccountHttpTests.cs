using System.Net;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Foundation;

[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class AccountHttpTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    /// <summary>Path of a redirect, whether the server sent it relative or absolute.</summary>
    private static string PathOf(HttpResponseMessage response) =>
        new Uri(new Uri("http://localhost"), response.Headers.Location!).PathAndQuery;

    private HttpClient NewClient() => app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    [Fact]
    public async Task Anonymous_user_is_redirected_to_sign_in_from_a_protected_page()
    {
        var response = await NewClient().GetAsync("/run");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", PathOf(response), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Non_admin_is_refused_the_admin_pages()
    {
        var user = await app.CreateUserAsync();
        var client = NewClient();
        var signIn = await HttpSignIn.SignInAsync(client, user.UserName!, CodeRunnerAppFactory.DefaultPassword);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);

        var admin = await client.GetAsync("/admin/audit");
        Assert.Equal(HttpStatusCode.Redirect, admin.StatusCode);
        Assert.StartsWith("/account/access-denied", PathOf(admin));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/run")).StatusCode);
    }

    [Fact]
    public async Task Admin_audit_queries_are_refused_to_non_admins_in_the_service()
    {
        var user = await app.CreateUserAsync();
        await app.WithScopeAsync(async sp =>
        {
            var audit = sp.GetRequiredService<AuditQueries>();
            await Assert.ThrowsAsync<ForbiddenError>(() => audit.SearchAsync(CodeRunnerAppFactory.RefOf(user), new AuditQuery()));
        });
    }

    [Fact]
    public async Task Five_wrong_passwords_refuse_the_right_one_from_that_client_without_locking_the_account()
    {
        var user = await app.CreateUserAsync();
        await app.WithScopeAsync(async sp =>
        {
            var accounts = sp.GetRequiredService<AccountService>();
            for (var i = 0; i < SignInThrottle.MaxFailures; i++)
                Assert.Equal(SignInOutcome.Failed, await accounts.SignInAsync(user.UserName!, "wrong-password-1", false));
            Assert.Equal(SignInOutcome.Throttled, await accounts.SignInAsync(user.UserName!, CodeRunnerAppFactory.DefaultPassword, false));

            var users = sp.GetRequiredService<UserManager<AppUser>>();
            Assert.Null(await users.GetLockoutEndDateAsync((await users.FindByIdAsync(user.Id))!));
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            Assert.True(await db.AuditLogs.CountAsync(a => a.UserId == user.Id && a.Action == "account.signin" && a.Status != AuditStatus.Success) >= 5);
        });
    }

    [Fact]
    public async Task Inactive_user_cannot_sign_in()
    {
        var user = await app.CreateUserAsync();
        await app.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            var stored = (await users.FindByIdAsync(user.Id))!;
            stored.IsActive = false;
            await users.UpdateAsync(stored);
        });
        var response = await HttpSignIn.SignInAsync(NewClient(), user.UserName!, CodeRunnerAppFactory.DefaultPassword);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("该账号已被停用", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task First_run_admin_signs_in_with_the_configured_password_and_must_change_it_first()
    {
        var client = NewClient();
        var signIn = await HttpSignIn.SignInAsync(client, "admin", CodeRunnerAppFactory.AdminPassword);
        Assert.Equal("/account/change-password", PathOf(signIn));

        var elsewhere = await client.GetAsync("/run");
        Assert.Equal("/account/change-password", PathOf(elsewhere));

        await app.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            var admin = (await users.FindByNameAsync("admin"))!;
            Assert.True(admin.MustChangePassword);
            Assert.True(await users.IsInRoleAsync(admin, UserRef.AdminRole));
        });
    }

    [Fact]
    public async Task Registration_with_a_taken_name_says_so_in_chinese()
    {
        var user = await app.CreateUserAsync();
        var response = await HttpSignIn.PostFormAsync(NewClient(), "/account/register", "register", new Dictionary<string, string>
        {
            ["Input.UserName"] = user.UserName!,
            ["Input.Email"] = "someone-else@example.test",
            ["Input.Password"] = "Another-pass-1",
            ["Input.ConfirmPassword"] = "Another-pass-1",
        });
        Assert.Contains($"用户名“{user.UserName}”已被占用", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Every_response_carries_the_security_headers()
    {
        var response = await NewClient().GetAsync("/account/login");
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("default-src 'self'", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task Health_reports_the_database_as_json()
    {
        var response = await NewClient().GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"database\":{\"status\":\"Healthy\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Blazor_script_is_served_by_the_static_asset_pipeline()
    {
        var response = await NewClient().GetAsync("/_framework/blazor.web.js");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100_000);
    }

    [Fact]
    public async Task Login_page_is_chinese_by_default_and_english_when_chosen()
    {
        var client = NewClient();
        Assert.Contains("用户名或邮箱", WebUtility.HtmlDecode(await client.GetStringAsync("/account/login")));
        var set = await client.GetAsync("/culture/set?culture=en-US&returnUrl=%2Faccount%2Flogin");
        Assert.Equal("/account/login", PathOf(set));
        Assert.Contains("User name or email", WebUtility.HtmlDecode(await client.GetStringAsync("/account/login")));
    }

    [Fact]
    public async Task Error_page_labels_the_request_id_in_the_chosen_language()
    {
        var client = NewClient();
        var chinese = WebUtility.HtmlDecode(await client.GetStringAsync("/error"));
        Assert.Contains("请求编号：", chinese);
        Assert.DoesNotContain("Request ID:", chinese);
        await client.GetAsync("/culture/set?culture=en-US&returnUrl=%2F");
        Assert.Contains("Request ID:", WebUtility.HtmlDecode(await client.GetStringAsync("/error")));
    }

    [Fact]
    public async Task Culture_switch_refuses_redirects_to_other_sites()
    {
        var set = await NewClient().GetAsync("/culture/set?culture=zh-CN&returnUrl=https%3A%2F%2Fevil.example%2F");
        Assert.Equal("/", PathOf(set));
    }
}
