using System.Text;
using CodeRunner.Core.Ai;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Ai;

public class AiProviderServiceTests(AiAppFixture fx) : IClassFixture<AiAppFixture>
{
    [Fact]
    public async Task Sixteen_racing_creates_leave_a_user_with_exactly_five_providers()
    {
        var user = await fx.NewUserAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await fx.AddProviderAsync(user, fx.Edit(name: $"p{i}"));
                return true;
            }
            catch (QuotaExceededError e) when (e.Code == "ai.provider_limit_reached")
            {
                return false;
            }
        })).ToList();
        start.SetResult();
        Assert.Equal(5, (await Task.WhenAll(attempts)).Count(ok => ok));
        var list = await fx.WithAsync(s => s.ListAsync(user));
        Assert.Equal(5, list.Count);
        Assert.Single(list, p => p.IsActive);
    }

    [Fact]
    public async Task The_first_provider_is_active_and_activating_another_leaves_exactly_one_active()
    {
        var user = await fx.NewUserAsync();
        var first = await fx.AddProviderAsync(user, fx.Edit(name: "one"));
        var second = await fx.AddProviderAsync(user, fx.Edit(name: "two"));
        Assert.True(first.IsActive);
        Assert.False(second.IsActive);

        await fx.WithAsync(async s => { await s.SetActiveAsync(user, second.Id, true); return 0; });
        var list = await fx.WithAsync(s => s.ListAsync(user));
        Assert.Equal([second.Id], list.Where(p => p.IsActive).Select(p => p.Id));

        await fx.WithAsync(async s => { await s.SetActiveAsync(user, second.Id, false); return 0; });
        Assert.DoesNotContain(await fx.WithAsync(s => s.ListAsync(user)), p => p.IsActive);
    }

    [Fact]
    public async Task The_key_is_encrypted_in_the_database_and_views_show_only_its_last_four_characters()
    {
        var user = await fx.NewUserAsync();
        var view = await fx.AddProviderAsync(user, fx.Edit());
        Assert.True(view.HasApiKey);
        Assert.Equal("WXYZ", view.ApiKeyLast4);

        // The raw row, read past EF: neither the key nor any long part of it.
        string? stored;
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(fx.App.DataDirectory, "coderunner.db")};Mode=ReadOnly"))
        {
            await connection.OpenAsync();
            var command = connection.CreateCommand();
            command.CommandText = "SELECT EncryptedApiKey FROM AiProviderConfigs WHERE Id = $id";
            command.Parameters.AddWithValue("$id", view.Id);
            stored = (string?)await command.ExecuteScalarAsync();
        }
        Assert.NotNull(stored);
        Assert.DoesNotContain(FakeOpenAiServer.ApiKey[..^4], stored);

        // It still works: the provider receives the real key.
        await fx.WithAsync(s => s.TestAsync(user, view.Id));
        Assert.Contains(fx.Server.Requests, r => r.Authorization == "Bearer " + FakeOpenAiServer.ApiKey);

        await fx.App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(FULL);"));
        var secret = Encoding.UTF8.GetBytes(FakeOpenAiServer.ApiKey[..^4]);
        var files = Directory.GetFiles(fx.App.DataDirectory, "coderunner.db*").Concat(Directory.GetFiles(Path.Combine(fx.App.DataDirectory, "logs")));
        foreach (var file in files)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            await stream.CopyToAsync(memory);
            Assert.True(memory.ToArray().AsSpan().IndexOf(secret) < 0, $"The API key was found in {file}");
        }
    }

    [Fact]
    public async Task Updating_without_a_key_keeps_the_stored_key_and_clearing_removes_it()
    {
        var user = await fx.NewUserAsync();
        var view = await fx.AddProviderAsync(user, fx.Edit(kind: AiProviderKinds.Custom));
        var updated = await fx.WithAsync(s => s.UpdateAsync(user, view.Id, fx.Edit(kind: AiProviderKinds.Custom, apiKey: null, name: "renamed")));
        Assert.Equal("renamed", updated.Name);
        Assert.True(updated.HasApiKey);
        await fx.WithAsync(s => s.TestAsync(user, view.Id));

        var cleared = await fx.WithAsync(s => s.UpdateAsync(user, view.Id, fx.Edit(kind: AiProviderKinds.Custom, apiKey: null) with { ClearApiKey = true }));
        Assert.False(cleared.HasApiKey);
        Assert.Null(cleared.ApiKeyLast4);
    }

    [Fact]
    public async Task A_keyless_provider_sends_no_authorization_header()
    {
        var user = await fx.NewUserAsync();
        var view = await fx.AddProviderAsync(user, fx.Edit(kind: AiProviderKinds.Ollama, apiKey: null, name: "keyless-" + Guid.NewGuid().ToString("N")[..6]));
        var before = fx.Server.Requests.Count;
        await fx.WithAsync(s => s.TestAsync(user, view.Id));
        Assert.Null(fx.Server.Requests.Skip(before).Single().Authorization);
    }

    [Fact]
    public async Task Users_cannot_see_change_delete_or_test_each_others_providers()
    {
        var owner = await fx.NewUserAsync();
        var other = await fx.NewUserAsync();
        var view = await fx.AddProviderAsync(owner, fx.Edit());
        Assert.Empty(await fx.WithAsync(s => s.ListAsync(other)));
        await Assert.ThrowsAsync<NotFoundError>(() => fx.WithAsync(s => s.UpdateAsync(other, view.Id, fx.Edit())));
        await Assert.ThrowsAsync<NotFoundError>(() => fx.WithAsync(async s => { await s.DeleteAsync(other, view.Id); return 0; }));
        await Assert.ThrowsAsync<NotFoundError>(() => fx.WithAsync(async s => { await s.SetActiveAsync(other, view.Id, true); return 0; }));
        await Assert.ThrowsAsync<NotFoundError>(() => fx.WithAsync(s => s.TestAsync(other, view.Id)));
        Assert.Single(await fx.WithAsync(s => s.ListAsync(owner)));
    }

    [Fact]
    public async Task Only_admins_configure_the_team_default_and_users_do_not_see_its_key()
    {
        var user = await fx.NewUserAsync();
        var admin = await fx.NewUserAsync(isAdmin: true);
        await Assert.ThrowsAsync<ForbiddenError>(() => fx.WithAsync(s => s.SetTeamDefaultAsync(user, fx.Edit())));
        await Assert.ThrowsAsync<ForbiddenError>(() => fx.WithAsync(async s => { await s.ClearTeamDefaultAsync(user); return 0; }));

        var team = await fx.WithAsync(s => s.SetTeamDefaultAsync(admin, fx.Edit(name: "团队")));
        Assert.True(team.IsTeamDefault);
        var seenByUser = await fx.WithAsync(s => s.GetTeamDefaultAsync(user));
        Assert.NotNull(seenByUser);
        Assert.Null(seenByUser.ApiKeyLast4);
        Assert.Equal("WXYZ", (await fx.WithAsync(s => s.GetTeamDefaultAsync(admin)))!.ApiKeyLast4);
        // The team row is nobody's: not even an admin edits or deletes it as "their" provider.
        await Assert.ThrowsAsync<NotFoundError>(() => fx.WithAsync(async s => { await s.DeleteAsync(admin, team.Id); return 0; }));
        await Assert.ThrowsAsync<NotFoundError>(() => fx.WithAsync(s => s.TestAsync(user, team.Id)));
        await fx.WithAsync(s => s.TestAsync(admin, team.Id));
    }

    [Fact]
    public async Task Kinds_fill_in_their_default_url_and_model()
    {
        var user = await fx.NewUserAsync();
        var qwen = await fx.AddProviderAsync(user, new AiProviderEdit { Name = "千问", Provider = AiProviderKinds.Qwen, ApiKey = "sk-abcdef123456" });
        Assert.Equal("https://dashscope.aliyuncs.com/compatible-mode/v1", qwen.BaseUrl);
        Assert.Equal("qwen-plus", qwen.Model);
        var ollama = await fx.AddProviderAsync(user, new AiProviderEdit { Name = "本地", Provider = AiProviderKinds.Ollama });
        Assert.Equal("http://localhost:11434/v1", ollama.BaseUrl);
        Assert.False(ollama.HasApiKey);
    }

    [Theory]
    [InlineData("", "openai", "coder", null, "sk-x12345", 0.2, 100, "ai.name_required")]
    [InlineData("n", "gemini", "coder", null, "sk-x12345", 0.2, 100, "ai.provider_unknown")]
    [InlineData("n", "custom", "coder", "", "sk-x12345", 0.2, 100, "ai.base_url_required")]
    [InlineData("n", "custom", "coder", "file:///etc/passwd", "sk-x12345", 0.2, 100, "ai.base_url_invalid")]
    [InlineData("n", "custom", "coder", "http://user:pw@example.com/v1", "sk-x12345", 0.2, 100, "ai.base_url_invalid")]
    [InlineData("n", "openai", "coder", null, null, 0.2, 100, "ai.api_key_required")]
    [InlineData("n", "openai", "coder", null, "sk with space", 0.2, 100, "ai.api_key_invalid")]
    [InlineData("n", "openai", "coder", null, "sk-x12345", 2.5, 100, "ai.temperature_invalid")]
    [InlineData("n", "openai", "coder", null, "sk-x12345", 0.2, 0, "ai.max_tokens_invalid")]
    public async Task Bad_settings_are_refused_with_a_field_error(string name, string kind, string model, string? baseUrl, string? key, double temperature, int maxTokens, string code)
    {
        var user = await fx.NewUserAsync();
        var edit = new AiProviderEdit { Name = name, Provider = kind, Model = model, BaseUrl = baseUrl, ApiKey = key, Temperature = temperature, MaxTokens = maxTokens };
        var error = await Assert.ThrowsAsync<ValidationError>(() => fx.AddProviderAsync(user, edit));
        Assert.Equal(code, error.Code);
        Assert.Empty(await fx.WithAsync(s => s.ListAsync(user)));
    }
}
