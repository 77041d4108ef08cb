using CodeRunner.Core.Tiers;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Admin;

/// <summary>One row of the public user-levels page; null counts are unlimited.</summary>
public sealed record UserLevelInfo(int Level, string Name, int? RunsPerDay, int? ApiCallsPerDay, int TimeoutSeconds, int MemoryMb, int? MaxSnippets, int? MaxApiKeys);

/// <summary>What each tier gets, from the configured <see cref="TierOptions"/> (the one home of those numbers). Public: anyone may read it.</summary>
public sealed class UserLevelsQuery(IOptions<TierOptions> tiers)
{
    public IReadOnlyList<UserLevelInfo> List() =>
        tiers.Value.Levels.OrderBy(l => l.Key)
            .Select(l => new UserLevelInfo(l.Key, l.Value.Name, l.Value.RunsPerDay, l.Value.ApiCallsPerDay, l.Value.TimeoutSeconds, l.Value.MemoryMb,
                l.Value.MaxSnippets, l.Value.MaxApiKeys))
            .ToList();
}
