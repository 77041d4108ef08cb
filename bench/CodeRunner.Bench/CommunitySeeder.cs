using System.Text;
using CodeRunner.Core.Community;
using Microsoft.Data.Sqlite;

namespace CodeRunner.Bench;

public sealed record SeedSizes(int Posts, int Likes, int Comments, int Users);

/// <summary>What the benchmark needs to know about a seeded community; Sizes is kept with a reused database.</summary>
public sealed record SeedResult(string ReaderId, string ReaderName, int BusiestPostId, int BusiestComments, string BusiestAuthorName, int Follows, SeedSizes? Sizes = null);

/// <summary>
/// Fills a migrated CodeRunner database with a synthetic community: users, posts (Markdown, tags, 30 % with a program,
/// 5 % private), likes and comments skewed towards a few popular posts, replies, follows and notifications, with the
/// counters and hot scores the services would have written. Bulk inserts through prepared statements in one transaction.
/// </summary>
public static class CommunitySeeder
{
    private static readonly string[] Tags = ["python", "numpy", "pandas", "matplotlib", "算法", "数据分析", "入门", "web", "爬虫", "机器学习", "测试", "性能", "asyncio", "教程", "面试"];
    private static readonly string[] Words = ["列表推导式", "生成器", "装饰器", "字典", "性能", "matplotlib", "numpy", "数组", "循环", "递归", "排序", "二分查找", "dataclass",
        "typing", "异常处理", "上下文管理器", "正则表达式", "文件读写", "json", "csv", "pandas", "DataFrame", "绘图", "统计", "async", "await", "线程", "进程", "缓存", "测试"];

    public static async Task<SeedResult> SeedAsync(string dbPath, SeedSizes sizes, int seed = 42)
    {
        var random = new Random(seed);
        await using var connection = new SqliteConnection($"Data Source={dbPath}");
        await connection.OpenAsync();
        await Exec(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;");
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();

        var start = DateTime.UtcNow.AddDays(-365);
        var userIds = new string[sizes.Users];
        using (var insert = Prepare(connection, transaction, """
            INSERT INTO AspNetUsers (Id, UserName, NormalizedUserName, Email, NormalizedEmail, EmailConfirmed, PhoneNumberConfirmed, TwoFactorEnabled,
                LockoutEnabled, AccessFailedCount, FullName, IsActive, Level, MustChangePassword, CreatedAt, Bio)
            VALUES ($id, $name, upper($name), $name || '@bench.test', upper($name || '@bench.test'), 1, 0, 0, 1, 0, $full, 1, 2, 0, $created, $bio)
            """, "$id", "$name", "$full", "$created", "$bio"))
        {
            for (var i = 0; i < sizes.Users; i++)
            {
                userIds[i] = Guid.NewGuid().ToString();
                Run(insert, userIds[i], $"bench{i}", $"用户 {i}", start.AddMinutes(i), "写 Python 的人");
            }
        }

        // Authors are skewed too: a few people write most posts.
        var postAuthors = new int[sizes.Posts + 1];
        var createdAt = new DateTime[sizes.Posts + 1];
        var isPublic = new bool[sizes.Posts + 1];
        using (var insert = Prepare(connection, transaction, """
            INSERT INTO Posts (Id, AuthorId, Title, Content, Excerpt, Tags, IsPublic, Code, CodeLanguage, EnvironmentName,
                LikeCount, FavoriteCount, CommentCount, ViewCount, SaveCount, HotScore, CreatedAt, UpdatedAt)
            VALUES ($id, $author, $title, $content, $excerpt, $tags, $public, $code, 'python', NULL, 0, 0, 0, $views, 0, 0, $created, $created)
            """, "$id", "$author", "$title", "$content", "$excerpt", "$tags", "$public", "$code", "$views", "$created"))
        using (var insertTag = Prepare(connection, transaction, "INSERT INTO PostTags (PostId, Tag, CreatedAt, IsPublic) VALUES ($id, $tag, $created, $public)",
                   "$id", "$tag", "$created", "$public"))
        {
            var step = TimeSpan.FromDays(365).TotalSeconds / sizes.Posts;
            for (var id = 1; id <= sizes.Posts; id++)
            {
                var author = Skewed(random, sizes.Users);
                postAuthors[id] = author;
                createdAt[id] = start.AddSeconds(id * step);
                var content = Body(random);
                var tags = string.Join(',', Enumerable.Range(0, random.Next(0, 4)).Select(_ => Tags[random.Next(Tags.Length)]).Distinct());
                var code = random.NextDouble() < 0.3 ? $"import math\nfor i in range({random.Next(2, 20)}):\n    print(i, math.sqrt(i))\n" : null;
                isPublic[id] = id <= 100 || random.NextDouble() < 0.95;
                var excerpt = content.Length > CommunityRules.ExcerptLength ? content[..CommunityRules.ExcerptLength] + "…" : content;
                Run(insert, id, userIds[author], $"{Words[random.Next(Words.Length)]} 的 {random.Next(1, 10)} 个技巧 #{id}", content, excerpt.Replace('\n', ' '),
                    tags, isPublic[id] ? 1 : 0, code, random.Next(0, 500), createdAt[id]);
                foreach (var tag in tags.Split(',', StringSplitOptions.RemoveEmptyEntries)) Run(insertTag, id, tag, createdAt[id], isPublic[id] ? 1 : 0);
            }
        }

        await InsertPairsAsync(connection, transaction, "INSERT INTO PostLikes (PostId, UserId, CreatedAt) VALUES ($a, $b, $c)", sizes.Likes, sizes, random, userIds, createdAt);
        await InsertPairsAsync(connection, transaction, "INSERT INTO PostFavorites (PostId, UserId, CreatedAt) VALUES ($a, $b, $c)", sizes.Likes / 5, sizes, random, userIds, createdAt);

        var commentsPerPost = new Dictionary<int, List<int>>();
        using (var insert = Prepare(connection, transaction,
                   "INSERT INTO Comments (Id, PostId, AuthorId, ParentId, Content, IsDeleted, LikeCount, CreatedAt) VALUES ($id, $post, $author, $parent, $content, $deleted, 0, $created)",
                   "$id", "$post", "$author", "$parent", "$content", "$deleted", "$created"))
        {
            for (var id = 1; id <= sizes.Comments; id++)
            {
                var post = 1 + Skewed(random, sizes.Posts);
                if (!commentsPerPost.TryGetValue(post, out var earlier)) commentsPerPost[post] = earlier = [];
                int? parent = earlier.Count > 0 && random.NextDouble() < 0.3 ? earlier[random.Next(earlier.Count)] : null;
                Run(insert, id, post, userIds[random.Next(sizes.Users)], parent, $"{Words[random.Next(Words.Length)]} 写得很好，**谢谢**分享！",
                    random.NextDouble() < 0.02 ? 1 : 0, createdAt[post].AddMinutes(earlier.Count + 1));
                earlier.Add(id);
            }
        }

        var follows = 0;
        using (var insert = Prepare(connection, transaction, "INSERT OR IGNORE INTO Follows (FollowerId, FolloweeId, CreatedAt) VALUES ($a, $b, $c)", "$a", "$b", "$c"))
        {
            for (var u = 0; u < sizes.Users; u++)
                for (var k = 0; k < (u == 0 ? 50 : 10); k++)
                {
                    var followee = Skewed(random, sizes.Users);
                    if (followee != u) follows += Run(insert, userIds[u], userIds[followee], start);
                }
        }

        using (var insert = Prepare(connection, transaction,
                   "INSERT INTO Notifications (RecipientId, ActorId, Kind, PostId, IsRead, CreatedAt) VALUES ($r, $a, 'like', $p, $read, $c)", "$r", "$a", "$p", "$read", "$c"))
        {
            for (var i = 0; i < sizes.Likes / 5; i++)
            {
                var post = 1 + random.Next(sizes.Posts);
                Run(insert, userIds[postAuthors[post]], userIds[random.Next(sizes.Users)], post, random.NextDouble() < 0.8 ? 1 : 0, createdAt[post]);
            }
        }

        await Exec(connection, """
            UPDATE Posts SET
                LikeCount = (SELECT COUNT(*) FROM PostLikes l WHERE l.PostId = Posts.Id),
                FavoriteCount = (SELECT COUNT(*) FROM PostFavorites f WHERE f.PostId = Posts.Id),
                CommentCount = (SELECT COUNT(*) FROM Comments c WHERE c.PostId = Posts.Id AND c.IsDeleted = 0);
            """, transaction);
        var scores = new List<(int Id, double Score)>();
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT Id, LikeCount, CommentCount, FavoriteCount, CreatedAt FROM Posts";
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                scores.Add((reader.GetInt32(0), HotRanking.Score(reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetDateTime(4))));
        }
        using (var update = Prepare(connection, transaction, "UPDATE Posts SET HotScore = $s WHERE Id = $id", "$s", "$id"))
            foreach (var (id, score) in scores) Run(update, score, id);

        await transaction.CommitAsync();

        var busiest = commentsPerPost.Where(p => isPublic[p.Key]).MaxBy(p => p.Value.Count);
        var busiestAuthor = postAuthors.Skip(1).GroupBy(a => a).MaxBy(g => g.Count())!.Key;
        return new SeedResult(userIds[0], "bench0", busiest.Key, busiest.Value.Count, $"bench{busiestAuthor}", follows);
    }

    /// <summary>Distinct (post, user) pairs with popular posts getting most of them.</summary>
    private static async Task InsertPairsAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, int count, SeedSizes sizes,
        Random random, string[] userIds, DateTime[] createdAt)
    {
        var seen = new HashSet<long>(count);
        using var insert = Prepare(connection, transaction, sql, "$a", "$b", "$c");
        var attempts = 0;
        while (seen.Count < count && attempts++ < count * 20)
        {
            var post = 1 + Skewed(random, sizes.Posts);
            var user = random.Next(sizes.Users);
            if (!seen.Add((long)post * sizes.Users + user)) continue;
            Run(insert, post, userIds[user], createdAt[post].AddHours(1));
        }
        await Task.CompletedTask;
    }

    /// <summary>0..n-1, heavily skewed towards small values (a power law: a few items get most of the picks).</summary>
    private static int Skewed(Random random, int n) => Math.Min(n - 1, (int)(n * Math.Pow(random.NextDouble(), 2.2)));

    private static string Body(Random random)
    {
        var text = new StringBuilder();
        for (var p = 0; p < random.Next(2, 6); p++)
        {
            for (var w = 0; w < random.Next(20, 60); w++) text.Append(Words[random.Next(Words.Length)]).Append(w % 7 == 6 ? "，" : " ");
            text.Append("\n\n");
        }
        text.Append("```python\nprint('hello')\n```\n");
        return text.ToString();
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in names) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    private static int Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
        return command.ExecuteNonQuery();
    }

    private static async Task Exec(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
