using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Library;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Library;

[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class SnippetServiceTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private Task<T> WithAsync<T>(Func<SnippetService, Task<T>> action) =>
        app.WithScopeAsync(sp => action(sp.GetRequiredService<SnippetService>()));

    private static SnippetEdit Edit(string title, string code = "print(1)", bool isPublic = false, string? tags = null) =>
        new() { Title = title, Code = code, IsPublic = isPublic, Tags = tags };

    [Fact]
    public async Task A_free_user_cannot_keep_more_than_five_snippets_and_the_error_names_the_limit()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 1));
        for (var i = 0; i < 5; i++) await WithAsync(s => s.CreateAsync(user, Edit($"s{i}")));
        var error = await Assert.ThrowsAsync<QuotaExceededError>(() => WithAsync(s => s.CreateAsync(user, Edit("one too many"))));
        Assert.Equal("library.limit_reached", error.Code);
        Assert.Equal(5, error.Limit);
    }

    [Fact]
    public async Task Twelve_racing_creates_leave_a_free_user_with_exactly_five_snippets()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 1));
        var attempts = Enumerable.Range(0, 12).Select(async i =>
        {
            try
            {
                await WithAsync(s => s.CreateAsync(user, Edit($"race {i}")));
                return true;
            }
            catch (QuotaExceededError)
            {
                return false;
            }
        });
        var created = (await Task.WhenAll(attempts)).Count(ok => ok);
        Assert.Equal(5, created);
        var stored = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().Snippets.CountAsync(x => x.UserId == user.Id));
        Assert.Equal(5, stored);
    }

    [Fact]
    public async Task Copying_a_public_snippet_counts_against_the_limit_and_makes_a_private_copy()
    {
        var author = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        var source = await WithAsync(s => s.CreateAsync(author, Edit("shared", isPublic: true, tags: "a")));
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 1));
        var copy = await WithAsync(s => s.CopyAsync(user, source.Id));
        Assert.Equal(user.Id, copy.UserId);
        Assert.False(copy.IsPublic);
        Assert.Equal("a", copy.Tags);
        for (var i = 0; i < 4; i++) await WithAsync(s => s.CopyAsync(user, source.Id));
        await Assert.ThrowsAsync<QuotaExceededError>(() => WithAsync(s => s.CopyAsync(user, source.Id)));
    }

    [Fact]
    public async Task Only_the_owner_or_an_admin_changes_a_snippet_and_others_private_ones_are_not_found()
    {
        var owner = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        var other = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        var admin = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        var hidden = await WithAsync(s => s.CreateAsync(owner, Edit("private")));
        var shown = await WithAsync(s => s.CreateAsync(owner, Edit("public", isPublic: true)));

        await Assert.ThrowsAsync<NotFoundError>(() => WithAsync(s => s.GetAsync(other, hidden.Id)));
        await Assert.ThrowsAsync<NotFoundError>(() => WithAsync(s => s.UpdateAsync(other, hidden.Id, Edit("hijack"))));
        await Assert.ThrowsAsync<NotFoundError>(() => app.WithScopeAsync(async sp => { await sp.GetRequiredService<SnippetService>().DeleteAsync(other, hidden.Id); return 0; }));
        await Assert.ThrowsAsync<ForbiddenError>(() => WithAsync(s => s.UpdateAsync(other, shown.Id, Edit("hijack"))));
        Assert.Equal("public", (await WithAsync(s => s.GetAsync(other, shown.Id))).Title);

        var updated = await WithAsync(s => s.UpdateAsync(admin, hidden.Id, Edit("moderated")));
        Assert.Equal("moderated", updated.Title);
        Assert.Equal(owner.Id, updated.UserId);
    }

    [Fact]
    public async Task Fields_are_validated_and_tags_normalized()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 4));
        Assert.Equal("library.title_required", (await Assert.ThrowsAsync<ValidationError>(() => WithAsync(s => s.CreateAsync(user, Edit("  "))))).Code);
        var tooLong = await Assert.ThrowsAsync<ValidationError>(() => WithAsync(s => s.CreateAsync(user, Edit(new string('t', 201)))));
        Assert.Equal("title", tooLong.Field);
        var tooBig = await Assert.ThrowsAsync<ValidationError>(() => WithAsync(s => s.CreateAsync(user, Edit("big", code: new string('x', 64 * 1024 + 1)))));
        Assert.Equal("library.code_too_large", tooBig.Code);

        var saved = await WithAsync(s => s.CreateAsync(user, Edit("  tags  ", tags: " NumPy, plots ,numpy,,数据 ")));
        Assert.Equal("tags", saved.Title);
        Assert.Equal("numpy,plots,数据", saved.Tags);
        var audits = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs.CountAsync(a => a.UserId == user.Id && a.Action == "snippet.create"));
        Assert.Equal(1, audits);
    }

    [Fact]
    public async Task My_snippets_are_searched_in_code_filtered_by_tag_and_newest_first_and_public_lists_exclude_private()
    {
        var me = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 4));
        var other = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 4));
        await WithAsync(s => s.CreateAsync(me, Edit("first", code: "import numpy", tags: "np")));
        await WithAsync(s => s.CreateAsync(me, Edit("second", code: "print('x')", tags: "basics")));
        var theirsPublic = await WithAsync(s => s.CreateAsync(other, Edit("theirs", isPublic: true)));
        await WithAsync(s => s.CreateAsync(other, Edit("theirs private")));

        var mine = await app.WithScopeAsync(sp => sp.GetRequiredService<SnippetQueries>().MineAsync(me, new SnippetQuery()));
        Assert.Equal(["second", "first"], mine.Items.Select(i => i.Title));
        var byCode = await app.WithScopeAsync(sp => sp.GetRequiredService<SnippetQueries>().MineAsync(me, new SnippetQuery(Search: "NUMPY")));
        Assert.Equal("first", Assert.Single(byCode.Items).Title);
        var byTag = await app.WithScopeAsync(sp => sp.GetRequiredService<SnippetQueries>().MineAsync(me, new SnippetQuery(Tag: "basics")));
        Assert.Equal("second", Assert.Single(byTag.Items).Title);
        var pub = await app.WithScopeAsync(sp => sp.GetRequiredService<SnippetQueries>().PublicOfOthersAsync(me, new SnippetQuery(PageSize: 100)));
        Assert.Contains(pub.Items, i => i.Id == theirsPublic.Id);
        Assert.DoesNotContain(pub.Items, i => i.Title == "theirs private" || i.OwnerId == me.Id);
    }

    [Fact]
    public async Task Save_from_run_creates_a_snippet_or_overwrites_the_code_of_one_i_own()
    {
        var me = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 4));
        var created = await WithAsync(s => s.SaveFromRunAsync(me, "from run", "print(1)", "base"));
        var overwritten = await WithAsync(s => s.SaveFromRunAsync(me, "", "print(2)", null, created.Id));
        Assert.Equal(created.Id, overwritten.Id);
        Assert.Equal("from run", overwritten.Title);
        Assert.Equal("print(2)", overwritten.Code);
        var other = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        await Assert.ThrowsAsync<NotFoundError>(() => WithAsync(s => s.SaveFromRunAsync(other, "x", "print(3)", null, created.Id)));
    }
}
