using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Api;
using CodeRunner.Tests.Infrastructure;
using CodeRunner.Web.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CodeRunner.Tests.Foundation;

/// <summary>
/// The app configured as README's "Behind a reverse proxy (HTTPS)" section says (its JSON block is read from the
/// README), with small sign-in and API limits, and a password hasher that counts verifications.
/// </summary>
public sealed class ProxiedAppFactory : CodeRunnerAppFactory
{
    public const int FormPostsPerMinute = 15;
    public const int ApiCallsPerMinute = 5;
    public CountingPasswordHasher Hasher { get; } = new();
    public string AllowedHost { get; }

    public ProxiedAppFactory()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var proxySection = readme[readme.IndexOf("### Behind a reverse proxy (HTTPS)", StringComparison.Ordinal)..];
        var json = Regex.Match(proxySection, "```json\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        var settings = JsonDocument.Parse(json).RootElement;
        AllowedHost = settings.GetProperty("AllowedHosts").GetString()!;
        WithSetting("AllowedHosts", AllowedHost);
        var i = 0;
        foreach (var proxy in settings.GetProperty("ReverseProxy").GetProperty("KnownProxies").EnumerateArray())
            WithSetting($"ReverseProxy:KnownProxies:{i++}", proxy.GetString());
        WithSetting("Accounts:FormPostsPerMinutePerIp", FormPostsPerMinute.ToString());
        WithSetting("Api:RateLimitPerMinute", ApiCallsPerMinute.ToString());
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IPasswordHasher<AppUser>>(Hasher));
    }
}

public sealed class CountingPasswordHasher : PasswordHasher<AppUser>
{
    private int verifications;
    public int Verifications => Volatile.Read(ref verifications);

    public override PasswordVerificationResult VerifyHashedPassword(AppUser user, string hashedPassword, string providedPassword)
    {
        Interlocked.Increment(ref verifications);
        return base.VerifyHashedPassword(user, hashedPassword, providedPassword);
    }
}

/// <summary>Issue 11: sessions, the temporary-password gate, enumeration and throttling, input lengths, the culture switch and the proxy setup.</summary>
public class WebSecurityTests(ProxiedAppFactory app) : IClassFixture<ProxiedAppFactory>
{
    private static int nextClient = 10;

    /// <summary>A client as nginx forwards it: the README's host, and its own client address in X-Forwarded-For.</summary>
    private HttpClient NewClient(string? clientIp = null, bool handleCookies = true)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false, HandleCookies = handleCookies, BaseAddress = new Uri($"http://{app.AllowedHost}"),
        });
        client.DefaultRequestHeaders.Add("X-Forwarded-For", clientIp ?? NewClientIp());
        return client;
    }

    private static string NewClientIp() => $"198.51.100.{Interlocked.Increment(ref nextClient)}";

    /// <summary>Where a redirect points, as a path (tests of other items should not depend on redirects being relative).</summary>
    private static string Location(HttpResponseMessage response) => response.Headers.Location is { } location
        ? location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString
        : "";

    /// <summary>The Location header exactly as sent.</summary>
    private static string RawLocation(HttpResponseMessage response) => response.Headers.Location?.OriginalString ?? "";

    private static string AuthCookie(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("coderunner.auth=", StringComparison.Ordinal)).Split(';')[0];

    private static async Task<string> TextAsync(HttpResponseMessage response) => WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

    private static async Task<string> AntiforgeryTokenAsync(HttpClient client, string pageUrl)
    {
        var document = new HtmlParser().ParseDocument(await client.GetStringAsync(pageUrl));
        return document.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
    }

    private Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> action) => app.WithScopeAsync(action);

    // ---- 1. the temporary password ----

    [Fact]
    public async Task A_temporary_password_opens_no_page_circuit_route_or_api_call_but_the_change_password_page()
    {
        var admin = await app.CreateUserAsync(isAdmin: true, level: 4);
        var key = await app.CreateKeyAsync(admin);
        var principal = await InScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            var stored = (await users.FindByIdAsync(admin.Id))!;
            stored.MustChangePassword = true;
            await users.UpdateAsync(stored);
            return await sp.GetRequiredService<SignInManager<AppUser>>().CreateUserPrincipalAsync(stored);
        });
        var client = NewClient();
        Assert.Equal("/account/change-password", Location(await HttpSignIn.SignInAsync(client, admin.UserName!, CodeRunnerAppFactory.DefaultPassword)));

        // Paths the old middleware let through (a dot in the path), and the admin console.
        foreach (var path in new[] { "/environments/a.b", "/admin", "/admin/audit", "/run" })
        {
            var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{path}: {(int)response.StatusCode}");
            Assert.Equal("/account/change-password", Location(response));
        }
        var changePage = await client.GetAsync("/account/change-password");
        Assert.Equal(HttpStatusCode.OK, changePage.StatusCode);
        // The user menu still shows who is signed in and the sign-out button there.
        var menu = new HtmlParser().ParseDocument(await changePage.Content.ReadAsStringAsync()).QuerySelector(".user-menu")!.TextContent;
        Assert.Contains(admin.UserName!, menu);
        Assert.Contains("退出登录", menu);

        // Inside a circuit, AuthorizeRouteView asks the same authorization service.
        await InScopeAsync(async sp =>
        {
            var authorization = sp.GetRequiredService<IAuthorizationService>();
            Assert.False((await authorization.AuthorizeAsync(principal, null, Policies.Admin)).Succeeded);
            Assert.False((await authorization.AuthorizeAsync(principal, null, new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())).Succeeded);
            Assert.True((await authorization.AuthorizeAsync(principal, null, Policies.PasswordChange)).Succeeded);
            return 0;
        });

        var apiClient = NewClient();
        apiClient.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Secret);
        var api = await apiClient.GetAsync("/api/v1/codes");
        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
        Assert.Contains("account.must_change_password", await api.Content.ReadAsStringAsync());
    }

    // ---- 6. sign-out ----

    [Fact]
    public async Task Signing_out_makes_a_copy_of_the_cookie_taken_before_worthless()
    {
        var user = await app.CreateUserAsync();
        var ip = NewClientIp();
        var client = NewClient(ip);
        var cookie = AuthCookie(await HttpSignIn.SignInAsync(client, user.UserName!, CodeRunnerAppFactory.DefaultPassword));

        var stolen = NewClient(ip, handleCookies: false);
        stolen.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await stolen.GetAsync("/history")).StatusCode);

        var token = await AntiforgeryTokenAsync(client, "/account/change-password");
        var logout = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["returnUrl"] = "/account/login",
        }));
        Assert.Equal("/account/login", Location(logout));

        var after = await stolen.GetAsync("/history");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/account/login", Location(after));
    }

    // ---- 7. enumeration and throttling ----

    [Fact]
    public async Task An_unknown_user_costs_one_password_hash_like_a_wrong_password()
    {
        var user = await app.CreateUserAsync();
        await InScopeAsync(async sp =>
        {
            var accounts = sp.GetRequiredService<AccountService>();
            var before = app.Hasher.Verifications;
            Assert.Equal(SignInOutcome.Failed, await accounts.SignInAsync("nobody-" + Guid.NewGuid().ToString("N")[..8], "wrong-password-1", false));
            Assert.Equal(before + 1, app.Hasher.Verifications);
            Assert.Equal(SignInOutcome.Failed, await accounts.SignInAsync(user.UserName!, "wrong-password-1", false));
            Assert.Equal(before + 2, app.Hasher.Verifications);
            return 0;
        });
    }

    [Fact]
    public async Task Failed_sign_ins_throttle_that_client_with_the_same_words_for_real_and_unknown_accounts_but_never_the_owner_elsewhere()
    {
        var victim = await app.CreateUserAsync(isAdmin: true);
        var attacker = NewClient();
        var messages = new List<(string Real, string Unknown)>();
        var unknown = "ghost" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < SignInThrottle.MaxFailures + 1; i++)
        {
            var real = await TextAsync(await HttpSignIn.SignInAsync(attacker, victim.UserName!, "wrong-password-" + i));
            var ghost = await TextAsync(await HttpSignIn.SignInAsync(attacker, unknown, "wrong-password-" + i));
            messages.Add((Alert(real), Alert(ghost)));
        }
        Assert.All(messages, m => Assert.Equal(m.Real, m.Unknown));
        Assert.Equal("用户名或密码错误。", messages[0].Real);
        Assert.Equal("尝试次数过多，请稍后再试。", messages[^1].Real);

        // Even the right password is refused from the attacker's address ...
        Assert.Equal("尝试次数过多，请稍后再试。", Alert(await TextAsync(await HttpSignIn.SignInAsync(attacker, victim.UserName!, CodeRunnerAppFactory.DefaultPassword))));
        // ... while the owner, from their own address, signs in at once.
        var owner = await HttpSignIn.SignInAsync(NewClient(), victim.UserName!, CodeRunnerAppFactory.DefaultPassword);
        Assert.Equal(HttpStatusCode.Redirect, owner.StatusCode);
        Assert.Equal("/", Location(owner));
    }

    private static string Alert(string html) =>
        new HtmlParser().ParseDocument(html).QuerySelector("[data-testid=login-error]")?.TextContent.Trim() ?? "(no message)";

    [Fact]
    public async Task One_address_gets_a_429_after_too_many_sign_in_posts()
    {
        var client = NewClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= ProxiedAppFactory.FormPostsPerMinute; i++)
            statuses.Add((await HttpSignIn.SignInAsync(client, "spray" + i, "wrong-password-1")).StatusCode);
        Assert.All(statuses.Take(ProxiedAppFactory.FormPostsPerMinute), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        // Another address is not affected.
        Assert.Equal(HttpStatusCode.OK, (await HttpSignIn.SignInAsync(NewClient(), "spray", "wrong-password-1")).StatusCode);
    }

    // ---- 2. input lengths, audit growth, API limits before authentication ----

    [Fact]
    public async Task A_half_megabyte_user_name_is_neither_stored_nor_logged()
    {
        var ip = NewClientIp();
        var response = await HttpSignIn.SignInAsync(NewClient(ip), new string('a', 500_000), "whatever-1");
        Assert.Equal("用户名或密码错误。", Alert(await TextAsync(response)));
        await InScopeAsync(async sp =>
        {
            var audit = sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs;
            Assert.False(await audit.AnyAsync(a => a.UserName!.Length > AuditLog.MaxUserNameLength));
            var row = Assert.Single(await audit.Where(a => a.IpAddress == ip).ToListAsync());
            Assert.Contains("invalid_input", row.Details);
            return 0;
        });
    }

    [Fact]
    public async Task Audit_rows_are_cut_to_their_columns_and_oversized_account_inputs_are_refused()
    {
        await InScopeAsync(async sp =>
        {
            await sp.GetRequiredService<AuditService>().RecordAsync(null, new string('n', 5000), "test.long_input", new string('t', 500), new string('i', 500),
                new { text = new string('d', 100_000) });
            var row = await sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs.OrderByDescending(a => a.Id).FirstAsync(a => a.Action == "test.long_input");
            Assert.Equal(AuditLog.MaxUserNameLength, row.UserName!.Length);
            Assert.Equal(AuditLog.MaxResourceTypeLength, row.ResourceType!.Length);
            Assert.Equal(AuditLog.MaxResourceIdLength, row.ResourceId!.Length);
            Assert.True(row.Details!.Length <= AuditLog.MaxDetailsLength);

            var error = await Assert.ThrowsAsync<ValidationError>(() => sp.GetRequiredService<AccountService>()
                .RegisterAsync(new RegisterRequest("longmail", new string('m', 100_000) + "@example.test", "Passw0rd-Test")));
            Assert.Equal("account.email_too_long", error.Code);

            var user = await app.CreateUserAsync();
            var tooLong = await Assert.ThrowsAsync<ValidationError>(() => sp.GetRequiredService<AccountService>()
                .ChangePasswordAsync(CodeRunnerAppFactory.RefOf(user), CodeRunnerAppFactory.DefaultPassword, new string('p', AccountInputRules.MaxPasswordLength + 1)));
            Assert.Equal("account.password_too_long", tooLong.Code);
            return 0;
        });
    }

    [Fact]
    public async Task Bad_api_keys_are_rate_limited_per_address_and_audited_once_per_window()
    {
        var ip = NewClientIp();
        var client = NewClient(ip);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-not-a-real-key");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < ProxiedAppFactory.ApiCallsPerMinute + 3; i++)
            statuses.Add((await client.GetAsync("/api/v1/codes")).StatusCode);
        Assert.All(statuses.Take(ProxiedAppFactory.ApiCallsPerMinute), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses.Skip(ProxiedAppFactory.ApiCallsPerMinute), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        var rows = await InScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs
            .CountAsync(a => a.IpAddress == ip && a.Action == "api.auth_failed"));
        Assert.Equal(1, rows);

        // A valid key from the same address has its own budget.
        var user = await app.CreateUserAsync(level: 4);
        var keyed = NewClient(ip);
        keyed.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", (await app.CreateKeyAsync(user)).Secret);
        Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync("/api/v1/codes")).StatusCode);
    }

    // ---- 4 and 8. the culture switch and return URLs ----

    [Fact]
    public async Task Non_ascii_return_urls_redirect_percent_encoded_instead_of_failing()
    {
        var culture = await NewClient().GetAsync("/culture/set?culture=zh-CN&returnUrl=" + Uri.EscapeDataString("/库?q=数"));
        Assert.Equal(HttpStatusCode.Redirect, culture.StatusCode);
        Assert.Equal("/%E5%BA%93?q=%E6%95%B0", Location(culture));

        var user = await app.CreateUserAsync();
        var signIn = await HttpSignIn.PostFormAsync(NewClient(), "/account/login?ReturnUrl=" + Uri.EscapeDataString("/库"), "login",
            new Dictionary<string, string> { ["Input.Login"] = user.UserName!, ["Input.Password"] = CodeRunnerAppFactory.DefaultPassword });
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/%E5%BA%93", Location(signIn));
    }

    [Fact]
    public async Task A_culture_link_changes_only_the_cookie_and_the_stored_choice_needs_a_form_post_with_antiforgery()
    {
        var user = await app.CreateUserAsync();
        var client = NewClient();
        await HttpSignIn.SignInAsync(client, user.UserName!, CodeRunnerAppFactory.DefaultPassword);
        async Task<string?> StoredCulture() => (await InScopeAsync(sp => sp.GetRequiredService<AccountService>().FindAsync(user.Id)))!.Culture;

        var link = await client.GetAsync("/culture/set?culture=en-US&returnUrl=%2Frun");
        Assert.Equal("/run", Location(link));
        Assert.Contains(link.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Culture=", StringComparison.Ordinal));
        Assert.Null(await StoredCulture());

        var forged = await client.PostAsync("/culture/set", new FormUrlEncodedContent(new Dictionary<string, string> { ["culture"] = "en-US" }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Null(await StoredCulture());

        var token = await AntiforgeryTokenAsync(client, "/account/change-password");
        var posted = await client.PostAsync("/culture/set", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["culture"] = "en-US", ["returnUrl"] = "/run",
        }));
        Assert.Equal("/run", Location(posted));
        Assert.Equal("en-US", await StoredCulture());
    }

    // ---- 9. behind the proxy ----

    [Fact]
    public async Task Other_host_names_are_refused_and_redirects_never_carry_a_host()
    {
        var evil = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("http://evil.example") });
        Assert.Equal(HttpStatusCode.BadRequest, (await evil.GetAsync("/run")).StatusCode);

        var toLogin = await NewClient().GetAsync("/run");
        Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
        Assert.StartsWith("/account/login?", RawLocation(toLogin));

        var user = await app.CreateUserAsync();
        var signIn = await HttpSignIn.SignInAsync(NewClient(), user.UserName!, CodeRunnerAppFactory.DefaultPassword);
        Assert.Equal("/", RawLocation(signIn));
        Assert.Equal("/account/access-denied?ReturnUrl=%2Fadmin", RawLocation(await SignedInGetAsync(user, "/admin")));
    }

    private async Task<HttpResponseMessage> SignedInGetAsync(AppUser user, string path)
    {
        var client = NewClient();
        await HttpSignIn.SignInAsync(client, user.UserName!, CodeRunnerAppFactory.DefaultPassword);
        return await client.GetAsync(path);
    }

    [Fact]
    public async Task Https_at_the_proxy_makes_cookies_secure_and_adds_hsts_and_the_client_address_reaches_the_audit_log()
    {
        var user = await app.CreateUserAsync();
        var ip = NewClientIp();
        // Exactly the headers README's nginx block sets.
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        Assert.Contains("proxy_set_header   X-Forwarded-For $proxy_add_x_forwarded_for;", readme);
        Assert.Contains("proxy_set_header   X-Forwarded-Proto $scheme;", readme);
        Assert.Contains("proxy_set_header   Upgrade $http_upgrade;", readme);
        // Cookies by hand: the client's cookie jar would not send Secure cookies back over the test's plain http.
        var client = NewClient(ip, handleCookies: false);
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");

        var login = await client.GetAsync("/account/login");
        Assert.StartsWith("max-age=31536000", login.Headers.GetValues("Strict-Transport-Security").Single());
        var antiforgery = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        Assert.Contains("; secure", antiforgery, StringComparison.OrdinalIgnoreCase);
        var token = new HtmlParser().ParseDocument(await login.Content.ReadAsStringAsync())
            .QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = token, ["_handler"] = "login",
                ["Input.Login"] = user.UserName!, ["Input.Password"] = CodeRunnerAppFactory.DefaultPassword,
            }),
        };
        post.Headers.Add("Cookie", antiforgery.Split(';')[0]);
        var signIn = await client.SendAsync(post);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("coderunner.auth=", StringComparison.Ordinal));
        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("/", Location(signIn));
        var row = await InScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs
            .FirstAsync(a => a.UserId == user.Id && a.Action == "account.signin"));
        Assert.Equal(ip, row.IpAddress);

        // Plain http (no proxy telling otherwise): no HSTS, no Secure flag.
        var plain = await NewClient().GetAsync("/account/login");
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
        Assert.DoesNotContain(plain.Headers.GetValues("Set-Cookie"), c => c.Contains("secure", StringComparison.OrdinalIgnoreCase));

        // Only the configured proxy is trusted: the framework's loopback defaults are gone.
        var options = app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        Assert.Equal(["127.0.0.1"], options.KnownProxies.Select(a => a.ToString()));
        Assert.Empty(options.KnownIPNetworks);
        Assert.Equal(ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, options.ForwardedHeaders);
    }

    [Fact]
    public async Task Content_security_policy_allows_connections_to_this_site_only()
    {
        var csp = (await NewClient().GetAsync("/account/login")).Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("connect-src 'self';", csp);
        Assert.DoesNotContain("ws:", csp);
        Assert.DoesNotContain("wss:", csp);
    }
}
