using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Community;

/// <summary>
/// The feed's search in title, body and tags: one substring of the query, case-insensitive. This is the one home of
/// provider-specific search SQL: on SQLite the FTS5 trigram index PostsSearch (created and kept in sync by triggers in the
/// CommunitySearchAndThreads migration) finds the newest matching posts without reading every body; on any other provider, and for
/// terms shorter than one trigram, the same match is plain LINQ (a LIKE-style scan).
/// </summary>
public static class PostSearch
{
    /// <summary>The trigram tokenizer cannot match fewer characters than this; shorter terms take the LINQ path.</summary>
    public const int TrigramLength = 3;

    /// <summary>
    /// On SQLite a search looks at the newest this-many matching posts (the index walks its matches newest first and stops
    /// there): a common word matches most posts (the bench's "matplotlib": 93 000 of 100 000), and handing all of them to
    /// the feed query cost seconds. The feed counts and pages at most this many posts anyway.
    /// </summary>
    public const int MaxCandidates = FeedQueries.MaxCountedPosts;

    /// <summary>The search term as both paths compare it: trimmed, lower case, cut to the longest search allowed.</summary>
    public static string Normalize(string? search)
    {
        var term = (search ?? "").Trim().ToLowerInvariant();
        return term.Length > CommunityRules.MaxSearchLength ? term[..CommunityRules.MaxSearchLength] : term;
    }

    /// <summary><paramref name="posts"/> narrowed to those whose title, body or tags contain the term (all of them for an empty term).</summary>
    public static IQueryable<Post> Matching(CodeRunnerDbContext db, IQueryable<Post> posts, string? search)
    {
        var term = Normalize(search);
        if (term.Length == 0) return posts;
        if (db.Database.IsSqlite() && term.EnumerateRunes().Count() >= TrigramLength)
        {
            var matches = db.Database.SqlQuery<int>(
                $"SELECT rowid AS \"Value\" FROM PostsSearch WHERE PostsSearch MATCH {Fts5Phrase(term)} ORDER BY rowid DESC LIMIT {MaxCandidates}");
            return posts.Where(p => matches.Contains(p.Id));
        }
        return posts.Where(p => p.Title.ToLower().Contains(term) || p.Content.ToLower().Contains(term) || p.Tags.Contains(term));
    }

    /// <summary>The term as one FTS5 string (a phrase): quotes doubled, so no user input is read as query syntax.</summary>
    public static string Fts5Phrase(string term) => "\"" + term.Replace("\"", "\"\"") + "\"";
}
