using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using CodeRunner.Core.Common;
using CodeRunner.Core.Community;
using CodeRunner.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Hosting;

namespace CodeRunner.Bench;

/// <summary>
/// Seeds a community of realistic size into a temp SQLite database (default 100 000 posts, 500 000 likes,
/// 200 000 comments, 2 000 users) and times the feed and post-page queries through the real Core services,
/// printing p50/p95 and the SQLite query plan of every statement they run.
/// usage: community [--data dir] [--pages-only] [posts likes comments users]
/// </summary>
public static class CommunityBenchmark
{
    private const int Iterations = 200;
    private const int Warmup = 20;
    private const int PageWarmupRounds = 60;

    public static async Task<int> RunAsync(string[] args)
    {
        // --data <dir>: keep the seeded database there and reuse it on the next run (migrated to the current schema first),
        // so measuring a change does not cost a reseed. Without it, a temp directory is seeded and deleted.
        var dataOption = Array.IndexOf(args, "--data");
        string? keptData = dataOption >= 0 && dataOption + 1 < args.Length ? Path.GetFullPath(args[dataOption + 1]) : null;
        if (dataOption >= 0) args = args.Where((_, i) => i != dataOption && i != dataOption + 1).ToArray();
        // --pages-only: just the whole-page timings (and the Markdown share), for iterating on rendering.
        var pagesOnly = args.Contains("--pages-only");
        args = args.Where(a => a != "--pages-only").ToArray();
        int Arg(int i, int fallback) => args.Length > i && int.TryParse(args[i], out var v) ? v : fallback;
        var sizes = new SeedSizes(Posts: Arg(0, 100_000), Likes: Arg(1, 500_000), Comments: Arg(2, 200_000), Users: Arg(3, 2_000));
        var data = keptData ?? Path.Combine(Path.GetTempPath(), "coderunner-communitybench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        try
        {
            var recorder = new CommandRecorder();
            await using var provider = BuildServices(data, recorder);
            await using (var scope = provider.CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>().Database.MigrateAsync();

            var dbPath = Path.Combine(data, "coderunner.db");
            var seedFile = Path.Combine(data, "community-seed.json");
            SeedResult seeded;
            if (keptData is not null && File.Exists(seedFile))
            {
                seeded = JsonSerializer.Deserialize<SeedResult>(await File.ReadAllTextAsync(seedFile))!;
                sizes = seeded.Sizes ?? sizes;
                Console.WriteLine($"reusing the community seeded in {data} ({sizes.Posts:N0} posts, {sizes.Likes:N0} likes, {sizes.Comments:N0} comments, "
                                  + $"{sizes.Users:N0} users); db {new FileInfo(dbPath).Length / 1024 / 1024} MB; {Environment.ProcessorCount} cores");
            }
            else
            {
                var seedClock = Stopwatch.StartNew();
                seeded = await CommunitySeeder.SeedAsync(dbPath, sizes) with { Sizes = sizes };
                if (keptData is not null) await File.WriteAllTextAsync(seedFile, JsonSerializer.Serialize(seeded));
                Console.WriteLine($"seeded {sizes.Posts:N0} posts, {sizes.Likes:N0} likes, {sizes.Comments:N0} comments, {sizes.Users:N0} users, "
                                  + $"{seeded.Follows:N0} follows in {seedClock.Elapsed.TotalSeconds:F1} s; db {new FileInfo(dbPath).Length / 1024 / 1024} MB; {Environment.ProcessorCount} cores");
            }
            Console.WriteLine($"load average: {Samples.LoadAverage()}");

            var reader = new UserRef(seeded.ReaderId, seeded.ReaderName, false, 1);
            var busyPost = seeded.BusiestPostId;
            var random = new Random(7);
            var cases = new (string Name, Func<IServiceProvider, Task> Run)[]
            {
                ("feed 最新 page 1 (visitor)", sp => sp.GetRequiredService<FeedQueries>().FeedAsync(null, new FeedQuery())),
                ("feed 最新 page 50", sp => sp.GetRequiredService<FeedQueries>().FeedAsync(reader, new FeedQuery(Page: 50))),
                ("feed 热门 page 1", sp => sp.GetRequiredService<FeedQueries>().FeedAsync(reader, new FeedQuery(FeedTab.Hot))),
                ("feed 关注 page 1", sp => sp.GetRequiredService<FeedQueries>().FeedAsync(reader, new FeedQuery(FeedTab.Following))),
                ("feed popular tags (the feed page's tag filter)", sp => sp.GetRequiredService<FeedQueries>().PopularTagsAsync(15)),
                ("feed tag filter", sp => sp.GetRequiredService<FeedQueries>().FeedAsync(reader, new FeedQuery(Tag: "numpy"))),
                ("feed search", sp => sp.GetRequiredService<FeedQueries>().FeedAsync(reader, new FeedQuery(Search: "matplotlib"))),
                ("post page, random post (detail + comments)", sp => PostPageAsync(sp, reader, 1 + random.Next(sizes.Posts))),
                ("count a view (a write: insert + counter update)", sp => sp.GetRequiredService<PostService>().RecordViewAsync(null, busyPost, "anon:" + random.Next())),
                ($"post page, busiest post ({seeded.BusiestComments} comments)", sp => PostPageAsync(sp, reader, busyPost)),
                ("profile (counts + first page of posts)", async sp =>
                {
                    await sp.GetRequiredService<ProfileService>().GetAsync(reader, seeded.BusiestAuthorName);
                    await sp.GetRequiredService<FeedQueries>().ByAuthorAsync(reader, seeded.BusiestAuthorName);
                }),
                ("notifications bell (unread count)", sp => sp.GetRequiredService<NotificationService>().UnreadCountAsync(reader)),
            };

            Console.WriteLine($"\n{"case",-52} {"p50 ms",8} {"p95 ms",8}   (n={Iterations}, after {Warmup} warm-up)");
            var plans = new List<(string Case, List<string> Plan)>();
            foreach (var (name, run) in pagesOnly ? [] : cases)
            {
                var samples = new List<double>();
                for (var i = 0; i < Warmup + Iterations; i++)
                {
                    await using var scope = provider.CreateAsyncScope();
                    recorder.Clear();
                    var clock = Stopwatch.StartNew();
                    await run(scope.ServiceProvider);
                    if (i >= Warmup) samples.Add(clock.Elapsed.TotalMilliseconds);
                }
                samples.Sort();
                Console.WriteLine($"{name,-52} {Samples.Percentile(samples, 0.50),8:F2} {Samples.Percentile(samples, 0.95),8:F2}");
                plans.Add((name, await ExplainAsync(dbPath, recorder.Commands)));
            }

            await MeasureMarkdownAsync(provider, seeded);
            await MeasurePagesAsync(data, seeded, sizes);

            Console.WriteLine("\nquery plans (EXPLAIN QUERY PLAN of each statement the case ran):");
            foreach (var (name, plan) in plans)
            {
                Console.WriteLine($"-- {name}");
                foreach (var line in plan) Console.WriteLine("   " + line);
            }
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (keptData is null)
                try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Seeds the community into a data directory (migrating its database first).</summary>
    public static async Task<int> SeedAsync(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: community-seed <data-dir> [posts likes comments users]");
            return 2;
        }
        int Arg(int i, int fallback) => args.Length > i && int.TryParse(args[i], out var v) ? v : fallback;
        var sizes = new SeedSizes(Posts: Arg(1, 100_000), Likes: Arg(2, 500_000), Comments: Arg(3, 200_000), Users: Arg(4, 2_000));
        Directory.CreateDirectory(args[0]);
        await using var provider = BuildServices(args[0], new CommandRecorder());
        await using (var scope = provider.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>().Database.MigrateAsync();
        var seeded = await CommunitySeeder.SeedAsync(Path.Combine(Path.GetFullPath(args[0]), "coderunner.db"), sizes);
        Console.WriteLine($"seeded {sizes.Posts:N0} posts, {sizes.Likes:N0} likes, {sizes.Comments:N0} comments, {sizes.Users:N0} users (bench0..), {seeded.Follows:N0} follows");
        return 0;
    }

    /// <summary>
    /// Whole pages as a visitor's browser first gets them: the real app on the seeded database, GET of the prerendered
    /// HTML (routing, auth, the component tree, the queries, rendering), measured at the HTTP client.
    /// </summary>
    private static async Task MeasurePagesAsync(string data, SeedResult seeded, SeedSizes sizes)
    {
        await using var app = new PagesAppFactory(data);
        using var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var random = new Random(11);
        var pages = new (string Name, Func<string> Url)[]
        {
            ("GET /community/posts/0 (not found: layout + 1 query)", () => "/community/posts/0"),
            ("GET /community (feed page, server render)", () => "/community"),
            ("GET /community?tab=hot", () => "/community?tab=hot"),
            ("GET /community/posts/{random} (post page)", () => $"/community/posts/{1 + random.Next(100, sizes.Posts)}"),
            ($"GET /community/posts/{seeded.BusiestPostId} (busiest post)", () => $"/community/posts/{seeded.BusiestPostId}"),
        };
        async Task GetAsync(string url)
        {
            using var response = await client.GetAsync(url);
            await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url} answered {(int)response.StatusCode}");
        }
        // Warm every page before timing any: a server that has run for a while has the whole request path tiered up by the
        // JIT. With a few warm-up requests per page, the first pages timed ran partly in tier-0 code and the numbers said
        // more about when the JIT caught up than about the page.
        // Then keep going until the JIT is quiet (Samples.WarmUntilCompiledAsync, as the REST benches): with tiered PGO the
        // background compiler was still re-compiling hot paths after the fixed rounds, on the same two cores the timed pages ran on.
        var compiled = await Samples.WarmUntilCompiledAsync(async () =>
        {
            for (var round = 0; round < PageWarmupRounds; round++)
                foreach (var (_, url) in pages) await GetAsync(url());
        });
        Console.WriteLine($"warm-up ({PageWarmupRounds} rounds of all pages each), methods JIT-compiled in each: {string.Join(" ", compiled)}");
        var compiledBefore = Samples.CompiledMethods();
        // Per page, over the timed requests (app and in-memory client together): the process's CPU time, and the bytes
        // allocated (which does not move with the neighbours' load at all, and is what the GC has to collect).
        Console.WriteLine($"\n{"page (visitor, prerendered HTML)",-52} {"p50 ms",8} {"p95 ms",8} {"CPU ms",8} {"alloc KB",9}   (n={Iterations} each, after the warm-up)");
        using var process = Process.GetCurrentProcess();
        foreach (var (name, url) in pages)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var samples = await Samples.TimeAsync(() => GetAsync(url()), warmup: 0, Iterations);
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / Iterations;
            var allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1024.0 / Iterations;
            Console.WriteLine($"{name,-52} {Samples.Percentile(samples, 0.50),8:F2} {Samples.Percentile(samples, 0.95),8:F2} {cpu,8:F2} {allocated,9:F0}");
        }
        Console.WriteLine(Samples.SteadyState(compiledBefore));
    }

    /// <summary>
    /// Part of the page breakdown: what turning the busiest post's body and its first page of comment threads from Markdown
    /// into sanitized HTML costs when done on every render (the page's share that does not depend on storing it).
    /// </summary>
    private static async Task MeasureMarkdownAsync(IServiceProvider provider, SeedResult seeded)
    {
        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
        var body = await db.Posts.Where(p => p.Id == seeded.BusiestPostId).Select(p => p.Content).SingleAsync();
        var page = await scope.ServiceProvider.GetRequiredService<CommentService>().ListAsync(null, seeded.BusiestPostId);
        var comments = new List<string>();
        void Collect(IEnumerable<CommentView> views)
        {
            foreach (var view in views)
            {
                if (view.Content is not null) comments.Add(view.Content);
                Collect(view.Replies);
            }
        }
        Collect(page.Items);
        var samples = new List<double>();
        for (var i = 0; i < Warmup + Iterations; i++)
        {
            // A new renderer each time: its cache of rendered HTML is empty, so this is the cost of rendering, not of a lookup.
            using var markdown = new MarkdownRenderer();
            var clock = Stopwatch.StartNew();
            markdown.ToHtml(body);
            foreach (var comment in comments) markdown.ToHtml(comment);
            if (i >= Warmup) samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        Console.WriteLine($"\n{$"Markdown→HTML, uncached: busiest post + {comments.Count} comments on page 1",-52} {Samples.Percentile(samples, 0.50),8:F2} {Samples.Percentile(samples, 0.95),8:F2}");
    }

    private sealed class PagesAppFactory(string dataDirectory) : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<CodeRunner.Web.Components.App>
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("DataDirectory", dataDirectory);
            builder.UseSetting("Admin:InitialPassword", "Bench-Admin-Pass-1");
        }
    }

    /// <summary>What the post page loads when it is opened: the post and its first page of comment threads.</summary>
    private static async Task PostPageAsync(IServiceProvider services, UserRef viewer, int postId)
    {
        try
        {
            await services.GetRequiredService<PostService>().GetWithCommentsAsync(viewer, postId);
        }
        catch (NotFoundError)
        {
            // A private post: the page shows "not found" after the same first query.
        }
    }

    private static ServiceProvider BuildServices(string data, CommandRecorder recorder)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DataDirectory"] = data }).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddCodeRunnerCoreForBench(configuration, recorder);
        return services.BuildServiceProvider();
    }

    private static void AddCodeRunnerCoreForBench(this IServiceCollection services, IConfiguration configuration, CommandRecorder recorder)
    {
        CodeRunner.Core.CoreServiceCollectionExtensions.AddCodeRunnerCore(services, configuration);
        // Same context as the app, plus an interceptor that keeps the SQL of each case for EXPLAIN QUERY PLAN.
        services.AddSingleton(recorder);
        services.ConfigureDbContext<CodeRunnerDbContext>(o => o.AddInterceptors(recorder));
    }

    private static async Task<List<string>> ExplainAsync(string dbPath, IReadOnlyList<RecordedCommand> commands)
    {
        var lines = new List<string>();
        await using var connection = new SqliteConnection($"Data Source={dbPath}");
        await connection.OpenAsync();
        foreach (var command in commands.DistinctBy(c => c.Sql))
        {
            var sql = command.Sql.TrimStart();
            if (!sql.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) && !sql.StartsWith("WITH", StringComparison.OrdinalIgnoreCase)) continue;
            await using var explain = connection.CreateCommand();
            explain.CommandText = "EXPLAIN QUERY PLAN " + command.Sql;
            foreach (var (name, value) in command.Parameters) explain.Parameters.AddWithValue(name, value ?? DBNull.Value);
            lines.Add(FirstLine(command.Sql));
            await using var reader = await explain.ExecuteReaderAsync();
            while (await reader.ReadAsync()) lines.Add("    " + reader.GetString(3));
        }
        return lines;
    }

    private static string FirstLine(string sql)
    {
        var flat = string.Join(' ', sql.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        return flat.Length > 140 ? flat[..140] + "…" : flat;
    }

    private sealed record RecordedCommand(string Sql, List<(string Name, object? Value)> Parameters);

    private sealed class CommandRecorder : DbCommandInterceptor
    {
        private readonly List<RecordedCommand> commands = [];

        public IReadOnlyList<RecordedCommand> Commands
        {
            get { lock (commands) return commands.ToList(); }
        }

        public void Clear()
        {
            lock (commands) commands.Clear();
        }

        private void Record(DbCommand command)
        {
            var parameters = command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, (object?)p.Value)).ToList();
            lock (commands) commands.Add(new RecordedCommand(command.CommandText, parameters));
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return base.ScalarExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
