using CodeRunner.Core.Ai;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Ai;

public class AssistantServiceTests(AiAppFixture fx) : IClassFixture<AiAppFixture>
{
    [Fact]
    public async Task Generate_streams_the_whole_answer_and_records_usage_without_the_prompt()
    {
        var user = await fx.NewUserAsync();
        await fx.AddProviderAsync(user, fx.Edit());
        var answer = await fx.AskAsync(user, new AssistantRequest(AssistantAction.Generate, "打印 问候语 marker-4711", null, null));
        Assert.Equal(FakeOpenAiServer.DefaultReply, answer);

        var (record, audit) = await fx.App.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            return (await db.AiUsageRecords.SingleAsync(r => r.UserId == user.Id),
                await db.AuditLogs.Where(a => a.UserId == user.Id && a.Action == "ai.request").SingleAsync());
        });
        Assert.True(record.Succeeded);
        Assert.Equal("generate", record.Action);
        Assert.Equal("coder", record.Model);
        Assert.Equal(42, record.TokensIn);
        Assert.True(record.TokensOut > 0);
        Assert.False(record.UsedTeamDefault);
        Assert.DoesNotContain("marker-4711", audit.Details);
        Assert.DoesNotContain(FakeOpenAiServer.ApiKey, audit.Details);
    }

    [Theory]
    [InlineData(AssistantAction.Generate, true, true, false)]
    [InlineData(AssistantAction.Fix, false, true, true)]
    [InlineData(AssistantAction.ExplainCode, false, true, false)]
    [InlineData(AssistantAction.ExplainError, false, true, true)]
    [InlineData(AssistantAction.Optimize, false, true, false)]
    public async Task Each_action_sends_the_code_and_error_it_is_about(AssistantAction action, bool sendsPrompt, bool sendsCode, bool sendsError)
    {
        var user = await fx.NewUserAsync();
        var model = "coder";
        await fx.AddProviderAsync(user, fx.Edit(model));
        var tag = Guid.NewGuid().ToString("N")[..8];
        var code = $"x = 1  # code-{tag}\nprint(x / 0)\n";
        var error = $"Traceback (most recent call last):\nZeroDivisionError: division by zero err-{tag}";
        var prompt = $"prompt-{tag}";
        await fx.AskAsync(user, new AssistantRequest(action, prompt, code, error));

        var sent = fx.Server.Requests.Single(r => r.Body.Contains(tag));
        var messages = sent.Messages;
        Assert.Equal(sendsPrompt || action != AssistantAction.Generate, messages.Contains(prompt));
        Assert.Equal(sendsCode, messages.Contains($"code-{tag}"));
        Assert.Equal(sendsError, messages.Contains($"err-{tag}"));
        Assert.Contains("```python", messages);
        Assert.Contains("Simplified Chinese", messages);
    }

    [Fact]
    public async Task Error_output_is_cut_to_its_tail_where_the_traceback_is()
    {
        var user = await fx.NewUserAsync();
        await fx.AddProviderAsync(user, fx.Edit());
        var tag = Guid.NewGuid().ToString("N")[..8];
        var error = $"head-{tag}\n" + new string('.', 20_000) + $"\nNameError: name 'y' is not defined tail-{tag}";
        await fx.AskAsync(user, new AssistantRequest(AssistantAction.ExplainError, null, null, error));
        var messages = fx.Server.Requests.Single(r => r.Body.Contains($"tail-{tag}")).Messages;
        Assert.DoesNotContain($"head-{tag}", messages);
    }

    [Fact]
    public async Task Missing_inputs_are_refused_before_any_request()
    {
        var user = await fx.NewUserAsync();
        await fx.AddProviderAsync(user, fx.Edit());
        var before = fx.Server.Requests.Count;
        Assert.Equal("ai.prompt_required", (await Assert.ThrowsAsync<ValidationError>(() => fx.AskAsync(user, new AssistantRequest(AssistantAction.Generate, " ", null, null)))).Code);
        Assert.Equal("ai.error_output_required", (await Assert.ThrowsAsync<ValidationError>(() => fx.AskAsync(user, new AssistantRequest(AssistantAction.Fix, null, "print(1)", null)))).Code);
        Assert.Equal("ai.code_required", (await Assert.ThrowsAsync<ValidationError>(() => fx.AskAsync(user, new AssistantRequest(AssistantAction.Optimize, null, "", null)))).Code);
        Assert.Equal("ai.prompt_too_long", (await Assert.ThrowsAsync<ValidationError>(() => fx.AskAsync(user, new AssistantRequest(AssistantAction.Generate, new string('a', 4001), null, null)))).Code);
        Assert.Equal(before, fx.Server.Requests.Count);
    }

    [Fact]
    public async Task A_user_without_provider_and_without_team_default_gets_a_clear_error()
    {
        await ClearTeamDefaultAsync();
        var user = await fx.NewUserAsync();
        var error = await Assert.ThrowsAsync<ConflictError>(() => fx.AskAsync(user, new AssistantRequest(AssistantAction.Generate, "hi", null, null)));
        Assert.Equal("ai.no_provider", error.Code);
    }

    [Fact]
    public async Task The_first_token_arrives_while_the_server_is_still_holding_the_rest()
    {
        var user = await fx.NewUserAsync();
        var model = "gated-" + Guid.NewGuid().ToString("N")[..8];
        await fx.AddProviderAsync(user, fx.Edit(model));
        await using var scope = fx.App.Services.CreateAsyncScope();
        var assistant = scope.ServiceProvider.GetRequiredService<AssistantService>();
        await using var tokens = assistant.StreamAsync(user, new AssistantRequest(AssistantAction.Generate, "hello", null, null)).GetAsyncEnumerator();

        Assert.True(await tokens.MoveNextAsync());
        Assert.Equal(FakeOpenAiServer.DefaultReply[..6], tokens.Current);
        // The server has sent one token and waits for the gate: the rest cannot have arrived yet.
        fx.Server.Release(model);
        var rest = new System.Text.StringBuilder();
        while (await tokens.MoveNextAsync()) rest.Append(tokens.Current);
        Assert.Equal(FakeOpenAiServer.DefaultReply[6..], rest.ToString());
    }

    [Fact]
    public async Task Stop_cancels_the_request_mid_answer_and_is_recorded_as_cancelled()
    {
        var user = await fx.NewUserAsync();
        var model = "gated-" + Guid.NewGuid().ToString("N")[..8];
        await fx.AddProviderAsync(user, fx.Edit(model));
        using var stop = new CancellationTokenSource();
        await using (var scope = fx.App.Services.CreateAsyncScope())
        {
            var assistant = scope.ServiceProvider.GetRequiredService<AssistantService>();
            var tokens = assistant.StreamAsync(user, new AssistantRequest(AssistantAction.Generate, "hello", null, null), stop.Token).GetAsyncEnumerator();
            Assert.True(await tokens.MoveNextAsync());
            var next = tokens.MoveNextAsync().AsTask();
            stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
            await tokens.DisposeAsync();
        }
        var record = await fx.App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AiUsageRecords.SingleAsync(r => r.UserId == user.Id));
        Assert.False(record.Succeeded);
        Assert.Equal("cancelled", record.ErrorCode);
    }

    [Theory]
    [InlineData("wrong-key", AiFailure.Unauthorized)]
    [InlineData("unknown-model", AiFailure.ModelNotFound)]
    [InlineData("rate-limited", AiFailure.RateLimited)]
    [InlineData("broken", AiFailure.ServerError)]
    [InlineData("stall", AiFailure.Timeout)]
    [InlineData("cut", AiFailure.StreamInterrupted)]
    [InlineData("no-v1", AiFailure.EndpointNotFound)]
    [InlineData("refused", AiFailure.Unreachable)]
    [InlineData("no-dns", AiFailure.Unreachable)]
    public async Task Provider_failures_become_typed_errors_and_are_recorded(string scenario, AiFailure expected)
    {
        var user = await fx.NewUserAsync();
        await fx.AddProviderAsync(user, ScenarioEdit(scenario));
        var error = await Assert.ThrowsAsync<AiProviderError>(() => fx.AskAsync(user, new AssistantRequest(AssistantAction.Generate, "hello", null, null)));
        Assert.True(expected == error.Failure, $"{error.Failure}: {error.Detail}");
        var record = await fx.App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AiUsageRecords.SingleAsync(r => r.UserId == user.Id));
        Assert.False(record.Succeeded);
        Assert.Equal(error.Code, record.ErrorCode);
    }

    [Theory]
    [InlineData("ok", null)]
    [InlineData("wrong-key", AiFailure.Unauthorized)]
    [InlineData("unknown-model", AiFailure.ModelNotFound)]
    [InlineData("rate-limited", AiFailure.RateLimited)]
    [InlineData("stall", AiFailure.Timeout)]
    [InlineData("no-v1", AiFailure.EndpointNotFound)]
    [InlineData("refused", AiFailure.Unreachable)]
    public async Task Test_connection_says_exactly_what_failed(string scenario, AiFailure? expected)
    {
        var user = await fx.NewUserAsync();
        var provider = await fx.AddProviderAsync(user, ScenarioEdit(scenario));
        if (expected is null)
        {
            var result = await fx.WithAsync(s => s.TestAsync(user, provider.Id));
            Assert.Equal("coder", result.Model);
            Assert.Contains("print", result.Reply);
            return;
        }
        var error = await Assert.ThrowsAsync<AiProviderError>(() => fx.WithAsync(s => s.TestAsync(user, provider.Id)));
        Assert.Equal(expected, error.Failure);
    }

    [Fact]
    public async Task Team_default_requests_stop_exactly_at_the_tier_quota_even_when_racing()
    {
        var admin = await fx.NewUserAsync(isAdmin: true);
        await fx.WithAsync(s => s.SetTeamDefaultAsync(admin, fx.Edit(name: "团队默认")));
        var user = await fx.NewUserAsync(level: 1);
        var attempts = Enumerable.Range(0, 9).Select(async i =>
        {
            try
            {
                await fx.AskAsync(user, new AssistantRequest(AssistantAction.Generate, $"race {i}", null, null));
                return true;
            }
            catch (QuotaExceededError e) when (e.Code == "quota.ai_requests_exhausted")
            {
                return false;
            }
        });
        Assert.Equal(5, (await Task.WhenAll(attempts)).Count(ok => ok));
        var records = await fx.App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AiUsageRecords.Where(r => r.UserId == user.Id).ToListAsync());
        Assert.Equal(5, records.Count);
        Assert.All(records, r => Assert.True(r.UsedTeamDefault));
    }

    [Fact]
    public async Task A_users_own_provider_does_not_spend_the_team_quota()
    {
        var admin = await fx.NewUserAsync(isAdmin: true);
        await fx.WithAsync(s => s.SetTeamDefaultAsync(admin, fx.Edit(name: "团队默认")));
        var user = await fx.NewUserAsync(level: 1);
        await fx.AddProviderAsync(user, fx.Edit());
        for (var i = 0; i < 7; i++) await fx.AskAsync(user, new AssistantRequest(AssistantAction.Generate, "hi", null, null));
        var used = await fx.App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunner.Core.Tiers.QuotaService>().GetStatusAsync(user, CodeRunner.Core.Tiers.QuotaKind.AiRequests));
        Assert.Equal(0, used.Used);
    }

    private AiProviderEdit ScenarioEdit(string scenario) => scenario switch
    {
        "ok" => fx.Edit(),
        "wrong-key" => fx.Edit(apiKey: "sk-wrong-key-0000"),
        "unknown-model" => fx.Edit("no-such-model"),
        "no-v1" => fx.Edit(baseUrl: fx.Server.BaseUrl + "/api"),
        "refused" => fx.Edit(baseUrl: $"http://127.0.0.1:{ClosedPort()}/v1"),
        "no-dns" => fx.Edit(baseUrl: "http://provider.does-not-exist.invalid/v1"),
        _ => fx.Edit(scenario),
    };

    private async Task ClearTeamDefaultAsync()
    {
        var admin = await fx.NewUserAsync(isAdmin: true);
        await fx.App.WithScopeAsync(sp => sp.GetRequiredService<AiProviderService>().ClearTeamDefaultAsync(admin));
    }

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

public class AiUsageQueriesTests(AiAppFixture fx) : IClassFixture<AiAppFixture>
{
    [Fact]
    public async Task Usage_is_summed_per_user_per_day_and_only_admins_see_everyone()
    {
        var user = await fx.NewUserAsync();
        await fx.AddProviderAsync(user, fx.Edit());
        await fx.AskAsync(user, new AssistantRequest(AssistantAction.Generate, "one", null, null));
        await fx.AskAsync(user, new AssistantRequest(AssistantAction.ExplainCode, null, "print(1)", null));
        var failing = await fx.NewUserAsync();
        await fx.AddProviderAsync(failing, fx.Edit("broken"));
        await Assert.ThrowsAsync<AiProviderError>(() => fx.AskAsync(failing, new AssistantRequest(AssistantAction.Generate, "x", null, null)));

        var mine = await fx.App.WithScopeAsync(sp => sp.GetRequiredService<AiUsageQueries>().ForUserAsync(user));
        var today = Assert.Single(mine);
        Assert.Equal(2, today.Requests);
        Assert.Equal(0, today.Failures);
        Assert.Equal(84, today.TokensIn);

        await Assert.ThrowsAsync<ForbiddenError>(() => fx.App.WithScopeAsync(sp => sp.GetRequiredService<AiUsageQueries>().ForEveryoneAsync(user)));
        var admin = await fx.NewUserAsync(isAdmin: true);
        var everyone = await fx.App.WithScopeAsync(sp => sp.GetRequiredService<AiUsageQueries>().ForEveryoneAsync(admin));
        Assert.Equal(1, everyone.Single(d => d.UserId == failing.Id).Failures);
        Assert.Equal(2, everyone.Single(d => d.UserId == user.Id).Requests);
    }
}
